"""Start the Streamlit app with the guard (guard.py) in front: `python -m rehearse.web.serve run streamlit_app.py ...`.

Streamlit has no setting for a Host allow-list, framing headers or an access key, but its server
(1.67: Starlette under uvicorn) builds its middleware list in one function,
`starlette_app.create_streamlit_middleware`; wrapping that function before the server starts puts
the guard first in the stack, for every HTTP request and the /_stcore/stream websocket. `make run`,
tests/support/appdriver.py (through netguard.py) and the browser tests start the app this way;
streamlit_app.py refuses to show anything when it runs without the guard (a bare `streamlit run`).

The launch key is REHEARSE_LAUNCH_KEY when set (the tests set it, to open the app and to keep it
across a restart), otherwise a fresh random one per launch; the link with it is printed on start.
"""

from __future__ import annotations

import os
import secrets
import sys
import threading
import time
import urllib.request
import webbrowser
from urllib.parse import urlsplit

from rehearse.web import guard

_active_key: str | None = None


def active() -> bool:
    """True in a server process whose Streamlit middleware includes the guard."""
    return _active_key is not None


def link(address: str, port: int, key: str, page: str = "") -> str:
    host = f"[{address}]" if ":" in address and not address.startswith("[") else address
    if host in ("0.0.0.0", "[::]", ""):
        host = "localhost"
    return f"http://{host}:{port}/{page}?{guard.KEY_PARAM}={key}"


def _announce_when_up(url: str, open_browser: bool, timeout: float = 60) -> None:
    """Print (and open) the private link once the server answers: after Streamlit's own URL lines,
    whose URL without the key leads only to the private page."""
    parts = urlsplit(url)
    health = f"{parts.scheme}://{parts.netloc}/_stcore/health"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(health, timeout=2):
                break
        except OSError:
            time.sleep(0.3)
    sys.stderr.write(
        f"\n  Rehearse is private to you: open {url}\n  (Streamlit's URL above has no key; Ctrl+C stops it)\n\n"
    )
    sys.stderr.flush()
    if open_browser:
        webbrowser.open(url)


def install(key: str, open_browser: bool = False) -> None:
    """Wrap Streamlit's middleware factory so that the guard runs before anything of Streamlit's."""
    global _active_key
    from starlette.middleware import Middleware
    from streamlit import config
    from streamlit.web.server.starlette import starlette_app

    original = starlette_app.create_streamlit_middleware
    if getattr(original, "rehearse_guarded", False):
        _active_key = key
        return

    def hosts() -> frozenset[str]:
        return guard.allowed_hosts([config.get_option("server.address"), config.get_option("browser.serverAddress")])

    def create_streamlit_middleware():
        address = config.get_option("server.address") or "localhost"
        url = link(address, config.get_option("server.port"), key)
        threading.Thread(target=_announce_when_up, args=(url, open_browser), daemon=True).start()
        return [Middleware(guard.Guard, key=key, hosts=hosts), *original()]

    create_streamlit_middleware.rehearse_guarded = True
    starlette_app.create_streamlit_middleware = create_streamlit_middleware
    _active_key = key


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    open_browser = "--open" in args
    args = [a for a in args if a != "--open"]
    key = os.environ.get("REHEARSE_LAUNCH_KEY") or secrets.token_urlsafe(24)
    install(key, open_browser=open_browser)
    from rehearse.speech.memory import limit_malloc_arenas

    limit_malloc_arenas()  # before Streamlit starts its threads
    from streamlit.web.cli import main as streamlit_main

    sys.argv = ["streamlit", *(args or ["run", "streamlit_app.py"])]
    return streamlit_main()


if __name__ == "__main__":
    # Through the imported module, so that streamlit_app.py's `serve.active()` sees this launch.
    from rehearse.web import serve

    sys.exit(serve.main())
