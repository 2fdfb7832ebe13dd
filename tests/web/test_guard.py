"""The real app server behind its guard: only loopback Host names, only with the launch key
(then its cookie), never framed by another origin; the websocket refuses without the key too."""

from __future__ import annotations

import http.client

import pytest
from appdriver import AppServer
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from rehearse.web import guard

pytestmark = pytest.mark.slow  # starts Streamlit (no browser, no model)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("guard")
    s = AppServer(home=tmp / "home", workdir=tmp / "server", env={"REHEARSE_LIVE": "0"}).start()
    yield s
    s.stop()


def get(server: AppServer, path: str, host: str | None = None, cookie: str | None = None):
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    headers = {"Host": host or f"localhost:{server.port}"}
    if cookie:
        headers["Cookie"] = cookie
    conn.request("GET", path, headers=headers)
    r = conn.getresponse()
    body = r.read().decode(errors="replace")
    conn.close()
    return r, body


APP_MARK = '<div id="root">'  # Streamlit's page shell: the app itself, not a refusal


def test_a_foreign_host_name_is_refused_with_a_page_that_says_why(server):
    for host in ["rebind.attacker.example", f"rebind.attacker.example:{server.port}", "127.0.0.1.nip.io", "localhost."]:
        r, body = get(server, f"/?key={server.key}", host=host)
        assert r.status == 403, host
        assert "Rehearse does not answer to this address" in body and APP_MARK not in body
    for host in [f"localhost:{server.port}", f"127.0.0.1:{server.port}", f"[::1]:{server.port}"]:
        r, body = get(server, f"/?key={server.key}", host=host)
        assert r.status == 200 and APP_MARK in body, host


def test_no_answer_may_be_framed_by_another_origin(server):
    for path in [f"/?key={server.key}", "/", "/_stcore/health"]:
        r, _ = get(server, path)
        assert r.getheader("X-Frame-Options") == "SAMEORIGIN", path
        assert "frame-ancestors 'self'" in r.getheader("Content-Security-Policy", ""), path


def test_without_the_launch_key_only_the_private_page(server):
    for path in ["/", "/history", "/_stcore/host-config", "/?key=wrong", f"/?key={server.key[:-1]}"]:
        r, body = get(server, path)
        assert r.status == 403, path
        assert "This Rehearse is private to the person who started it" in body and APP_MARK not in body
    r, body = get(server, "/_stcore/health")  # tells nothing, needed by anyone waiting for the start
    assert r.status == 200 and body.strip() == "ok"


def test_the_key_in_the_link_becomes_an_httponly_strict_cookie(server):
    r, body = get(server, f"/?key={server.key}")
    assert r.status == 200 and APP_MARK in body
    cookie = r.getheader("Set-Cookie")
    assert cookie.startswith(f"{guard.COOKIE_PREFIX}{server.port}={server.key};")
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/" in cookie
    jar = cookie.split(";", 1)[0]
    r, body = get(server, "/history", cookie=jar)
    assert r.status == 200 and APP_MARK in body
    r, _ = get(server, "/_stcore/host-config", cookie=jar)
    assert r.status == 200
    r, _ = get(server, "/history", cookie=f"{guard.COOKIE_PREFIX}{server.port}=guess")
    assert r.status == 403


def test_the_app_websocket_refuses_without_the_key(server):
    url = f"ws://localhost:{server.port}/_stcore/stream"
    origin = f"http://localhost:{server.port}"
    with pytest.raises(InvalidStatus) as refused:
        connect(url, origin=origin, subprotocols=["streamlit"], open_timeout=20).close()
    assert refused.value.response.status_code == 403
    cookie = f"{guard.COOKIE_PREFIX}{server.port}={server.key}"
    with pytest.raises(InvalidStatus):
        connect(url, origin=origin, subprotocols=["streamlit"], additional_headers={"Host": "evil.example"}).close()
    with connect(url, origin=origin, subprotocols=["streamlit"], additional_headers={"Cookie": cookie}) as ws:
        assert ws.protocol.state.name == "OPEN"


def test_another_local_origin_is_refused_even_with_the_cookie(server):
    """SameSite ignores ports: a page on localhost:other-port sends the user's cookie along."""
    cookie = f"{guard.COOKIE_PREFIX}{server.port}={server.key}"
    url = f"ws://localhost:{server.port}/_stcore/stream"
    with pytest.raises(InvalidStatus) as refused:
        connect(url, origin="http://localhost:9999", subprotocols=["streamlit"], additional_headers={"Cookie": cookie})
    assert refused.value.response.status_code == 403

    def request(headers: dict) -> int:
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
        conn.request(
            "GET", "/_stcore/host-config", headers={"Host": f"localhost:{server.port}", "Cookie": cookie, **headers}
        )
        status = conn.getresponse().status
        conn.close()
        return status

    assert request({"Origin": "http://localhost:9999"}) == 403
    assert request({"Sec-Fetch-Site": "same-site", "Sec-Fetch-Mode": "no-cors"}) == 403
    assert (
        request(
            {"Sec-Fetch-Site": "same-origin", "Sec-Fetch-Mode": "cors", "Origin": f"http://localhost:{server.port}"}
        )
        == 200
    )
    assert request({"Sec-Fetch-Site": "same-site", "Sec-Fetch-Mode": "navigate"}) == 200  # a link followed


def test_the_launcher_make_run_uses_prints_a_fresh_private_link_that_works(tmp_path):
    import os
    import re
    import subprocess
    import sys
    import time
    import urllib.error
    import urllib.request

    from appdriver import ROOT, free_port

    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if k != "REHEARSE_LAUNCH_KEY"},
        "HOME": str(tmp_path),
        "REHEARSE_HOME": str(tmp_path / "home"),
        "REHEARSE_LIVE": "0",
    }
    log = tmp_path / "serve.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "rehearse.web.serve", "run", "streamlit_app.py", "--server.port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 60
        while not (found := re.search(r"open (http://\S+\?key=(\S+))", log.read_text())):
            assert time.monotonic() < deadline and proc.poll() is None, log.read_text()
            time.sleep(0.3)
        link, key = found.groups()
        assert link == f"http://localhost:{port}/?key={key}" and len(key) >= 32
        with urllib.request.urlopen(link, timeout=30) as r:
            assert r.status == 200 and "HttpOnly" in r.headers["Set-Cookie"]
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(f"http://localhost:{port}/", timeout=30)
        assert refused.value.code == 403
    finally:
        os.killpg(proc.pid, 15)
        proc.wait(timeout=30)
