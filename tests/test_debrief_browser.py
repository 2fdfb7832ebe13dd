"""A real Streamlit server and Chromium: what is typed into a debrief is saved when the field is left,
and a reload of the page comes back to the same draft with it filled in."""

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from rehearse import debrief_store, storage
from rehearse.settings import load_settings

pytestmark = [pytest.mark.slow, pytest.mark.browser]
ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server(tmp_path):
    if not Path(CHROMIUM).exists():
        pytest.skip("chromium is not installed (make system-deps installs it)")
    port = free_port()
    home = tmp_path / "home"
    env = {**os.environ, "REHEARSE_HOME": str(home)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(ROOT / "streamlit_app.py"), "--server.headless", "true",
         "--server.port", str(port), "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                urllib.request.urlopen(f"{url}/_stcore/health", timeout=1)
                break
            except OSError:
                time.sleep(0.5)
        else:
            pytest.fail("the Streamlit server did not start")
        yield url, load_settings({"REHEARSE_HOME": str(home)})
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_typed_debrief_survives_a_reload(server):
    from playwright.sync_api import expect, sync_playwright

    url, settings = server
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"])
        page = browser.new_page()
        page.goto(f"{url}/debrief")
        page.get_by_role("button", name="New debrief").click()
        company = page.get_by_label("Company", exact=True)
        company.fill("Acme Robotics")
        company.press("Tab")  # leaving the field saves it
        expect(page.get_by_text("17 checklist item(s) still to fill in")).to_be_visible(timeout=20000)
        assert "debrief=" in page.url

        page.reload()
        expect(page.get_by_label("Company", exact=True)).to_have_value("Acme Robotics", timeout=20000)
        expect(page.get_by_text("17 checklist item(s) still to fill in")).to_be_visible()
        browser.close()
    [d] = debrief_store.list_debriefs(storage.open_database(settings))
    assert d.company == "Acme Robotics"
