"""Privacy defaults of the shipped .streamlit/config.toml, checked on a running server: it listens
on loopback only and is not reachable on this machine's other addresses; usage statistics are
off; the data folder and everything in it is the owner's only."""

import ipaddress
import json
import os
import socket
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from appdriver import ROOT

from rehearse.library.bank import Step
from rehearse.practice import pipeline
from rehearse.speech.voice import Voice
from rehearse.store import database

pytestmark = pytest.mark.slow


def listening(port: int) -> set[str]:
    """Local addresses with a TCP socket in LISTEN state on `port`, from /proc/net/tcp{,6}."""
    found = set()
    for name, family in (("tcp", socket.AF_INET), ("tcp6", socket.AF_INET6)):
        for line in Path(f"/proc/net/{name}").read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            hex_ip, hex_port = local.split(":")
            if state != "0A" or int(hex_port, 16) != port:
                continue
            raw = bytes.fromhex(hex_ip)
            # /proc prints each 32-bit word in host (little-endian) order.
            raw = b"".join(raw[i : i + 4][::-1] for i in range(0, len(raw), 4))
            found.add(socket.inet_ntop(family, raw))
    return found


def other_addresses() -> list[str]:
    """This machine's non-loopback IPv4 addresses."""
    done = subprocess.run(["ip", "-j", "-4", "addr"], capture_output=True, text=True)
    if done.returncode != 0:
        return []
    return [
        a["local"]
        for link in json.loads(done.stdout)
        for a in link.get("addr_info", [])
        if not ipaddress.ip_address(a["local"]).is_loopback
    ]


def test_server_listens_on_loopback_only(app):
    app.start()
    addresses = listening(app.port)
    assert addresses, f"nothing listens on {app.port}"
    assert all(ipaddress.ip_address(a).is_loopback for a in addresses), addresses
    for address in other_addresses():
        with pytest.raises(OSError):
            socket.create_connection((address, app.port), timeout=3).close()
    socket.create_connection(("127.0.0.1", app.port), timeout=3).close()


def test_shipped_config_turns_usage_statistics_off_and_binds_localhost(tmp_path):
    """As Streamlit itself reads the config when started from the project folder."""
    code = (
        "from streamlit import config; config.get_config_options(force_reparse=True); "
        "print(config.get_option('browser.gatherUsageStats'), config.get_option('server.address'), "
        "config.get_option('server.headless'))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
    )
    assert done.stdout.split() == ["False", "localhost", "True"], done.stderr


def test_data_folder_and_files_are_owner_only(settings, speech):
    """Whatever the umask, the folder is 0700 and the database, recordings, prompts and notes 0600."""
    old = os.umask(0o022)
    try:
        db = database.open_database(settings)
        sid = database.create_session(db, "d", "D", [])
        pipeline.save_answer(db, settings, sid, Step("q", 0, "Q", "Q", 1), speech("Hello there, this is my answer."))
        Voice(settings).speak("A question.")
    finally:
        os.umask(old)
    assert stat.S_IMODE(settings.home.stat().st_mode) == 0o700
    files = [p for p in settings.home.rglob("*") if p.is_file()]
    assert {p.suffix for p in files} >= {".db", ".flac", ".wav"}
    for path in files:
        assert stat.S_IMODE(path.stat().st_mode) & 0o077 == 0, f"{path} is readable by others"
    for folder in (p for p in settings.home.rglob("*") if p.is_dir()):
        assert stat.S_IMODE(folder.stat().st_mode) & 0o077 == 0, f"{folder} is open to others"
