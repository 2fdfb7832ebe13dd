"""No network at all: the app, the model, the voice and the browser work in a network namespace
that has only loopback, and no code even tries to reach another host."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from appdriver import ANSWER

from rehearse.bench.accuracy import normalize, word_error_rate
from rehearse.settings import load_settings
from rehearse.store import database

pytestmark = pytest.mark.slow
SCRIPT = Path(__file__).parents[1] / "support" / "offline_drill.py"


@pytest.mark.browser
def test_full_drill_with_no_network(tmp_path, fake_mic, record_seconds, shots):
    unshare, ip = shutil.which("unshare"), shutil.which("ip") or "/usr/sbin/ip"
    assert unshare and Path(ip).exists(), "needs util-linux (unshare) and iproute2 (ip): run `make test`"
    if subprocess.run([unshare, "-n", "true"], capture_output=True).returncode != 0:
        pytest.skip("cannot create a network namespace here (needs root or unprivileged user namespaces)")
    workdir = tmp_path / "offline"
    workdir.mkdir()
    # Loopback only, and up; the server and Chromium both run in here, talking over 127.0.0.1.
    done = subprocess.run(
        [
            unshare,
            "-n",
            "sh",
            "-c",
            f'{ip} link set lo up && exec "$0" "$@"',
            sys.executable,
            str(SCRIPT),
            str(workdir),
            str(fake_mic),
            str(shots),
            str(record_seconds),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    result_file = workdir / "result.json"
    assert result_file.exists(), done.stderr[-4000:]
    result = json.loads(result_file.read_text())
    shutil.copy(result_file, shots / "result.json")
    assert done.returncode == 0, done.stderr[-4000:] + result.get("server_log", "")

    network = result["network"]
    assert network["interfaces"] == ["lo"]
    assert "unreachable" in network["connect"].lower()
    assert network["dns"] != "resolved"

    seen = result["seen"]
    for key in ("transcript", "probe_transcript"):
        assert word_error_rate(normalize(ANSWER), normalize(seen[key])) <= 0.2, seen[key]
    assert seen["question_audio"]["currentTime"] > 0
    assert result["outbound_page"] == []
    assert result["outbound_server"] == []  # no lookup or connect to any other host, hub included

    db = database.open_database(load_settings({"REHEARSE_HOME": str(workdir / "home")}))
    [session] = database.list_sessions(db)
    assert session.status == "completed"
    assert [a.status for a in database.session_answers(db, session.id)] == ["transcribed", "transcribed"]


@pytest.mark.parametrize(
    "reach",
    [
        "import urllib.request; urllib.request.urlopen('http://example.invalid/x', timeout=2)",
        # What REHEARSE_MODEL=base.en would do: faster-whisper asks the Hugging Face hub.
        "from faster_whisper import WhisperModel; WhisperModel('base.en', device='cpu', compute_type='int8')",
    ],
    ids=["urllib", "model-hub"],
)
def test_netguard_sees_attempts_to_reach_other_hosts(tmp_path, reach):
    """The guard the app servers run under is not blind: a hub download attempt is logged even
    when it fails (here it runs without a network namespace, so it may also really fail)."""
    log = tmp_path / "net.log"
    code = (
        f"import sys; sys.path.insert(0, {str(SCRIPT.parent)!r}); import netguard; netguard.install({str(log)!r})\n"
        f"try:\n    {reach}\nexcept Exception as exc:\n    print(type(exc).__name__)"
    )
    unshare = shutil.which("unshare")
    cmd = [sys.executable, "-c", code]
    if unshare and subprocess.run([unshare, "-n", "true"], capture_output=True).returncode == 0:
        cmd = [unshare, "-n", *cmd]  # never really download anything
    subprocess.run(
        cmd,
        capture_output=True,
        text=True,
        timeout=120,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "HF_HOME": str(tmp_path / "hf")},
    )
    logged = log.read_text() if log.exists() else ""
    assert ("example.invalid" in logged) or ("huggingface.co" in logged), logged
