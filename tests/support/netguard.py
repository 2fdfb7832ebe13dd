"""Run `streamlit` with a Python audit hook that logs every attempt to reach another host.

Usage: NETGUARD_LOG=<file> python netguard.py run streamlit_app.py ...  (started as rehearse.web.serve does)
(or `import netguard; netguard.install(log_path)` in any Python process)

Every name lookup, connect and datagram the server's Python code makes passes through the
audit hook (sockets, urllib, requests and huggingface_hub all end in these events). Anything
aimed at a host other than this machine is appended to NETGUARD_LOG with a stack summary,
so a test can assert the file stays empty: not "the model hub was unreachable" but "nothing
even tried".
"""

import os
import socket
import sys
import traceback

LOG = os.environ.get("NETGUARD_LOG", "")
LOCAL = {"localhost", "127.0.0.1", "::1", "0.0.0.0", "::", ""}
_busy = False


def _host(event: str, args: tuple):
    if event in ("socket.connect", "socket.sendto", "socket.sendmsg"):
        sock, address = args[0], args[1] if len(args) > 1 else None
        if getattr(sock, "family", None) not in (socket.AF_INET, socket.AF_INET6) or not address:
            return None  # Unix sockets and socketpairs stay on this machine
        return address[0]
    if event in (
        "socket.getaddrinfo",
        "socket.gethostbyname",
        "socket.gethostbyname_ex",
        "socket.gethostbyaddr",
        "socket.getnameinfo",
    ):
        first = args[0]
        return first[0] if isinstance(first, tuple) else first
    if event == "urllib.Request":
        from urllib.parse import urlparse

        return urlparse(args[0]).hostname
    return None


def _hook(event: str, args: tuple) -> None:
    global _busy
    if _busy or not event.startswith(("socket.", "urllib.")):
        return
    host = _host(event, args)
    if isinstance(host, bytes):
        host = host.decode(errors="replace")
    if host is None or str(host) in LOCAL or str(host).startswith("127."):
        return
    _busy = True
    try:
        where = "".join(traceback.format_stack(limit=8)[:-2]).replace("\n", " | ")
        with open(LOG, "a") as fh:
            fh.write(f"{event} {host!r} from {where}\n")
    finally:
        _busy = False


def install(log: str) -> None:
    global LOG
    LOG = log
    sys.addaudithook(_hook)


if __name__ == "__main__":
    install(os.environ["NETGUARD_LOG"])
    # After the hook, so imports are watched too; through serve.py, so the app runs behind its guard.
    from rehearse.web import serve

    sys.exit(serve.main(sys.argv[1:]))
