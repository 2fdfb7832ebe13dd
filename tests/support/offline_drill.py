"""A full drill with no network: run by test_offline.py inside `unshare -n` (only loopback).

Usage: python offline_drill.py WORKDIR FAKE_MIC SHOTS_DIR RECORD_SECONDS

Proves the namespace really has no network, starts the app, drives the whole test drill in
Chromium, and writes WORKDIR/result.json for the test to check.
"""

import json
import socket
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from appdriver import AppPage, AppServer, drive_drill, launch_chromium, write_test_drill  # noqa: E402


def no_network() -> dict:
    """What this namespace can reach: interface names, an outside connect, a name lookup."""
    found = {"interfaces": sorted(name for _, name in socket.if_nameindex())}
    try:
        socket.create_connection(("1.1.1.1", 443), timeout=5).close()
        found["connect"] = "connected"
    except OSError as exc:
        found["connect"] = f"{type(exc).__name__}: {exc}"
    try:
        socket.getaddrinfo("huggingface.co", 443)
        found["dns"] = "resolved"
    except OSError as exc:
        found["dns"] = f"{type(exc).__name__}: {exc}"
    return found


def main(workdir: Path, fake_mic: Path, shots: Path, record_seconds: float) -> None:
    result: dict = {"network": no_network()}
    server = AppServer(
        home=workdir / "home",
        workdir=workdir / "server",
        env={"REHEARSE_DRILLS": str(write_test_drill(workdir / "drills")), "REHEARSE_LIVE": "0"},
    )
    from playwright.sync_api import sync_playwright

    try:
        server.start()
        with sync_playwright() as p:
            browser = launch_chromium(p, fake_mic)
            page = AppPage.open(
                browser.new_context(permissions=["microphone"], viewport={"width": 1000, "height": 1200}), server, shots
            )
            result["seen"] = drive_drill(page, record_seconds)
            result["outbound_page"] = page.outbound_requests()
            browser.close()
    finally:
        server.stop()
        result["outbound_server"] = server.outbound()
        result["server_log"] = server.log_tail()
        (workdir / "result.json").write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]), float(sys.argv[4]))
