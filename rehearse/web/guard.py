"""Who may talk to the running app: the person who started it, through a loopback name, unframed.

Streamlit answers any Host header (so a DNS-rebinding name that resolves to 127.0.0.1 could read
History) and anyone on the machine who can reach the port (another local account's browser).
This ASGI middleware sits in front of Streamlit's own (see serve.py for how it gets there) and
lets a request through only when

- its Host is localhost, 127.0.0.1 or [::1], or the address the user chose (`--server.address`);
- it carries the launch key: `?key=...` in the link `make run` printed, after which the key is
  kept in an HttpOnly, SameSite=Strict cookie for this port, as Jupyter does with its token.

and it comes from the app's own pages: an Origin header, when there is one, must be this very
origin, and a subresource another site's page asks for (Sec-Fetch-Site same-site or cross-site,
not a navigation) is refused. SameSite cookies ignore the port, so without this a page served on
localhost:9999 could open the app's websocket with the user's cookie; Streamlit's own origin check
lets any localhost origin in.

Every HTTP answer forbids framing by other origins (X-Frame-Options and CSP frame-ancestors), so a
foreign page cannot lay the delete buttons under its own. The health check needs no key (it tells
nothing), but still a loopback Host. The capture server (speech/capture.py) keeps its own tokens.
"""

from __future__ import annotations

import hmac
import html
import logging
from collections.abc import Callable, Iterable
from http.cookies import SimpleCookie
from urllib.parse import parse_qs

log = logging.getLogger(__name__)

LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "[::1]", "::1"})
KEY_PARAM = "key"
COOKIE_PREFIX = "rehearse_key_"
OPEN_PATHS = frozenset({"/_stcore/health", "/healthz"})
FRAME_HEADERS = [
    (b"x-frame-options", b"SAMEORIGIN"),
    (b"content-security-policy", b"frame-ancestors 'self'"),
]

PRIVATE_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Rehearse is private</title></head>
<body style="font-family: sans-serif; max-width: 40em; margin: 4em auto; line-height: 1.5">
<h1>This Rehearse is private</h1>
<p>This Rehearse is private to the person who started it: open the link <code>make run</code> printed
(it ends in <code>?key=…</code>). If you started it and lost the link, stop it with Ctrl+C and run
<code>make run</code> again.</p></body></html>"""

HOST_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Wrong address</title></head>
<body style="font-family: sans-serif; max-width: 40em; margin: 4em auto; line-height: 1.5">
<h1>Rehearse does not answer to this address</h1>
<p>This page was asked for as <code>{host}</code>. Rehearse answers only on this machine's own
addresses ({allowed}), so that no other web site can reach it through a name of its own.
Open the link <code>make run</code> printed.</p></body></html>"""


FOREIGN_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Refused</title></head>
<body style="font-family: sans-serif; max-width: 40em; margin: 4em auto; line-height: 1.5">
<h1>Another page asked for this</h1>
<p>Rehearse answers only its own pages, so that no other web site or page on this machine can
read or change your answers. Open the link <code>make run</code> printed.</p></body></html>"""


def _host_name(host: str) -> str:
    """'localhost:8501' -> 'localhost', '[::1]:8501' -> '[::1]'."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[: host.find("]") + 1] if "]" in host else host
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def allowed_hosts(extra: Iterable[str] = ()) -> frozenset[str]:
    names = set(LOOPBACK_HOSTS)
    for name in extra:
        name = (name or "").strip().lower()
        if not name or name in ("0.0.0.0", "::"):
            continue  # "every interface" is not a name a browser sends
        names.add(f"[{name}]" if ":" in name and not name.startswith("[") else name)
    return frozenset(names)


class Guard:
    """Pure ASGI middleware: `Guard(app, key=..., hosts=lambda: allowed_hosts(...))`."""

    def __init__(self, app, key: str, hosts: Callable[[], frozenset[str]] = lambda: LOOPBACK_HOSTS):
        if not key:
            raise ValueError("the launch key must not be empty")
        self.app, self.key, self.hosts = app, key, hosts

    def _cookie_name(self, scope) -> str:
        server = scope.get("server") or ("", 0)
        return f"{COOKIE_PREFIX}{server[1] if len(server) > 1 else 0}"

    def _key_in(self, scope) -> tuple[bool, bool]:
        """(key is good, it came in the query string so the cookie must be set)."""
        query = parse_qs((scope.get("query_string") or b"").decode("latin-1"))
        for given in query.get(KEY_PARAM, []):
            if hmac.compare_digest(given.encode(), self.key.encode()):
                return True, True
        headers = dict(scope.get("headers") or [])
        cookie = SimpleCookie()
        try:
            cookie.load(headers.get(b"cookie", b"").decode("latin-1"))
        except Exception:  # a malformed cookie header is the same as none
            return False, False
        morsel = cookie.get(self._cookie_name(scope))
        return bool(morsel and hmac.compare_digest(morsel.value.encode(), self.key.encode())), False

    async def __call__(self, scope, receive, send):
        if scope["type"] not in ("http", "websocket"):
            return await self.app(scope, receive, send)
        headers = dict(scope.get("headers") or [])
        host = headers.get(b"host", b"").decode("latin-1")
        allowed = self.hosts()
        if _host_name(host) not in allowed:
            log.warning("refused a request for Host %r (%s)", host, scope.get("path"))
            page = HOST_PAGE.format(host=html.escape(host or "(none)"), allowed=", ".join(sorted(allowed)))
            return await self._refuse(scope, send, 403, page)
        if not self._same_origin(headers, host):
            log.warning("refused a request from another origin (%s) for %s", headers.get(b"origin"), scope.get("path"))
            return await self._refuse(scope, send, 403, FOREIGN_PAGE)
        good, from_query = self._key_in(scope)
        if not good and scope.get("path") not in OPEN_PATHS:
            return await self._refuse(scope, send, 403, PRIVATE_PAGE)
        if scope["type"] == "websocket":
            return await self.app(scope, receive, send)

        cookie = None
        if from_query:
            cookie = f"{self._cookie_name(scope)}={self.key}; Path=/; HttpOnly; SameSite=Strict".encode()

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                extra = list(FRAME_HEADERS)
                if cookie:
                    extra.append((b"set-cookie", cookie))
                names = {name for name, _ in extra if name != b"set-cookie"}
                kept = [(k, v) for k, v in message.get("headers", []) if k.lower() not in names]
                message = {**message, "headers": kept + extra}
            await send(message)

        return await self.app(scope, receive, send_with_headers)

    @staticmethod
    def _same_origin(headers: dict, host: str) -> bool:
        origin = headers.get(b"origin", b"").decode("latin-1").strip().lower()
        if origin and origin not in (f"http://{host.lower()}", f"https://{host.lower()}"):
            return False
        site = headers.get(b"sec-fetch-site", b"").decode("latin-1").lower()
        mode = headers.get(b"sec-fetch-mode", b"").decode("latin-1").lower()
        return not (site in ("same-site", "cross-site") and mode != "navigate")

    async def _refuse(self, scope, send, status: int, page: str) -> None:
        if scope["type"] == "websocket":
            # Closing before accepting makes the server answer the handshake with 403.
            await send({"type": "websocket.close", "code": 1008})
            return
        body = page.encode()
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", b"text/html; charset=utf-8"),
                    (b"content-length", str(len(body)).encode()),
                    (b"cache-control", b"no-store"),
                    *FRAME_HEADERS,
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
