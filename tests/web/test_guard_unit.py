"""The guard's rules on their own (a stand-in ASGI app behind it): fast, no Streamlit."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

from rehearse.web import guard


def call(app, path="/", host="localhost:8501", query=b"", headers=(), kind="http"):
    sent = []

    async def receive():
        return {"type": "http.request", "body": b""}

    async def send(message):
        sent.append(message)

    scope = {
        "type": kind,
        "path": path,
        "query_string": query,
        "server": ("127.0.0.1", 8501),
        "headers": [(b"host", host.encode()), *headers],
    }
    # On a thread of its own: Playwright's sync API (the browser tests, same process) leaves an
    # event loop running on the main thread, where asyncio.run refuses to start another.
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, app(scope, receive, send)).result()
    return sent


async def inner(scope, receive, send):
    if scope["type"] == "websocket":
        await send({"type": "websocket.accept"})
        return
    await send({"type": "http.response.start", "status": 200, "headers": [(b"x-frame-options", b"ALLOWALL")]})
    await send({"type": "http.response.body", "body": b"the app"})


def status(sent) -> int | str:
    first = sent[0]
    return first.get("status") or first["type"]


def test_hosts_are_loopback_names_plus_the_chosen_address():
    hosts = guard.allowed_hosts(["rehearse.lan", "0.0.0.0", "fe80::1", ""])
    assert {"localhost", "127.0.0.1", "[::1]", "rehearse.lan", "[fe80::1]"} <= hosts
    assert "0.0.0.0" not in hosts
    app = guard.Guard(inner, key="k" * 20, hosts=lambda: hosts)
    for host in ["rehearse.lan:8501", "[fe80::1]:8501", "[::1]:8501", "LOCALHOST:8501"]:
        assert status(call(app, host=host, query=b"key=" + b"k" * 20)) == 200, host
    for host in ["evil.example", "rehearse.lan.evil.example:8501", "", "127.0.0.2:8501"]:
        assert status(call(app, host=host, query=b"key=" + b"k" * 20)) == 403, host


def test_key_cookie_frame_headers_and_websocket():
    app = guard.Guard(inner, key="secret-key-123456")
    sent = call(app, query=b"key=secret-key-123456")
    headers = dict(sent[0]["headers"])
    assert headers[b"x-frame-options"] == b"SAMEORIGIN"  # Streamlit's own value replaced
    assert headers[b"content-security-policy"] == b"frame-ancestors 'self'"
    assert headers[b"set-cookie"] == b"rehearse_key_8501=secret-key-123456; Path=/; HttpOnly; SameSite=Strict"
    cookie = (b"cookie", b"other=1; rehearse_key_8501=secret-key-123456")
    assert status(call(app, headers=[cookie])) == 200
    assert b"set-cookie" not in dict(call(app, headers=[cookie])[0]["headers"])
    assert status(call(app)) == 403 and b"private to the person who started it" in call(app)[1]["body"]
    assert status(call(app, headers=[(b"cookie", b"rehearse_key_9999=secret-key-123456")])) == 403  # another port's
    assert status(call(app, kind="websocket")) == "websocket.close"
    assert status(call(app, kind="websocket", headers=[cookie])) == "websocket.accept"
    foreign = (b"origin", b"http://localhost:9999")
    assert status(call(app, kind="websocket", headers=[cookie, foreign])) == "websocket.close"
    assert status(call(app, path="/_stcore/health")) == 200  # no key needed to see it is up
