"""The real `rehearse drill` and `rehearse devices` commands on real PortAudio and ALSA.

No sound card is needed: each test writes its own ~/.asoundrc (HOME is a temporary folder) whose
default microphone is ALSA's `file` plugin reading a raw recording of Piper speaking an answer,
paced to real time by a small reader, and whose speaker writes what is played to a file.
"""

from __future__ import annotations

import os
import pty
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from rehearse.bench.accuracy import normalize, word_error_rate
from rehearse.clock import minutes_seconds as clock
from rehearse.practice import probes
from rehearse.settings import load_settings
from rehearse.speech import audio
from rehearse.speech.voice import Voice
from rehearse.store import database

ROOT = Path(__file__).resolve().parents[2]
ANSWER = "I met with their director every week and we agreed on a rollback plan together."
DRILL_TOML = """title = "Terminal test"
description = "One question and one follow-up."
questions = ["lead-cross-org-change"]
count = 1
order = "fixed"
probes_per_question = 1
time_limit_seconds = 120
"""
# Takes what the fake microphone "records" at 16-bit 16 kHz real time; ALSA's file plugin blocks
# on the pipe, so the capture runs at the speed of speech instead of as fast as the CPU can read.
PACER = """import sys, time
start, done = time.monotonic(), 0
while chunk := sys.stdin.buffer.read(3200):
    done += len(chunk)
    time.sleep(max(0.0, done / 32000 - (time.monotonic() - start)))
"""


def portaudio_available() -> bool:
    done = subprocess.run([sys.executable, "-c", "import sounddevice"], capture_output=True, timeout=60)
    return done.returncode == 0


pytestmark = pytest.mark.skipif(not portaudio_available(), reason="libportaudio2 is not installed (make system-deps)")


def write_asoundrc(home: Path, mic_raw: Path, played_raw: Path) -> None:
    home.mkdir(parents=True, exist_ok=True)
    (home / "pacer.py").write_text(PACER)
    (home / ".asoundrc").write_text(f"""
pcm.!default {{
  type asym
  playback.pcm "speaker"
  capture.pcm "fakemic"
}}
pcm.speaker {{
  type plug
  slave {{ pcm "speakerfile"; format S16_LE; rate 16000; channels 1 }}
}}
pcm.speakerfile {{
  type file
  slave.pcm "null"
  file "{played_raw}"
  format "raw"
}}
pcm.fakemic {{
  type plug
  slave {{ pcm "micfile"; format S16_LE; rate 16000; channels 1 }}
}}
pcm.micfile {{
  type file
  slave.pcm "null"
  file "|{sys.executable} {home / "pacer.py"}"
  infile "{mic_raw}"
  format "raw"
}}
""")


def env_for(home: Path, tmp_path: Path) -> dict[str, str]:
    drills = tmp_path / "drills"
    drills.mkdir(exist_ok=True)
    (drills / "terminal-test.toml").write_text(DRILL_TOML)
    return {
        "PATH": "/usr/bin:/bin",
        "HOME": str(home),
        "REHEARSE_HOME": str(tmp_path / "data"),
        "REHEARSE_DRILLS": str(drills),
        "HF_HUB_OFFLINE": "1",
    }


def rehearse(*args, env, timeout=120, python=(sys.executable, "-m", "rehearse")):
    return subprocess.run([*python, *args], capture_output=True, text=True, timeout=timeout, env=env, cwd=ROOT)


class Typist:
    """Drives a command through pipes, or a pseudo-terminal with `tty`: waits for text on its
    output, then types a line."""

    def __init__(self, args, env, tty: bool = False):
        if tty:
            primary, secondary = pty.openpty()
            self.proc = subprocess.Popen(
                args, stdin=secondary, stdout=secondary, stderr=subprocess.PIPE, env={**env, "COLUMNS": "150"}, cwd=ROOT
            )
            os.close(secondary)
            self._in = self._out = primary
        else:
            self.proc = subprocess.Popen(
                args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=ROOT
            )
            self._in, self._out = self.proc.stdin.fileno(), self.proc.stdout.fileno()
        self.output = ""
        self.seen = 0
        self._lock = threading.Lock()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        try:
            while chunk := os.read(self._out, 4096):
                with self._lock:
                    self.output += chunk.decode("utf-8", "replace")
        except OSError:  # a pseudo-terminal reports EIO once the command has exited
            pass

    def expect(self, text: str, timeout: float = 120) -> str:
        """Everything printed from the last match up to and including `text`."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                found = self.output.find(text, self.seen)
                if found >= 0:
                    chunk, self.seen = self.output[self.seen : found + len(text)], found + len(text)
                    return chunk
            if self.proc.poll() is not None and text not in self.output[self.seen :]:
                time.sleep(0.2)
                break
            time.sleep(0.05)
        self.proc.kill()
        raise AssertionError(f"never saw {text!r}; output:\n{self.output}\nstderr:\n{self.proc.stderr.read().decode()}")

    def type(self, line: str) -> None:
        os.write(self._in, line.encode() + b"\n")


def test_devices_lists_the_microphone_and_speaker(tmp_path):
    home = tmp_path / "home"
    (tmp_path / "mic.raw").write_bytes(bytes(3200))
    write_asoundrc(home, tmp_path / "mic.raw", tmp_path / "played.raw")
    done = rehearse("devices", env=env_for(home, tmp_path))
    assert done.returncode == 0, done.stderr
    inputs, outputs = done.stdout.split("Output devices")
    assert inputs.startswith("Input devices (choose with --input INDEX or NAME):")
    assert "fakemic (ALSA), 128 channel(s)" in inputs and "speaker" in outputs
    default_line = next(line for line in inputs.splitlines() if "default (ALSA)" in line)
    assert default_line.lstrip().startswith("* [") and default_line.endswith("(default)")


@pytest.mark.slow
def test_drill_in_the_terminal_with_a_fake_microphone(tmp_path, speech):
    answer = audio.read_audio(speech(ANSWER, pad=0.5))[0][:, 0]
    speech_end = len(answer) / 16000 - 0.5
    mic = np.concatenate([answer, np.zeros(16000 * 2, dtype=np.float32)])  # silence after the answer
    (tmp_path / "mic.raw").write_bytes((np.clip(mic, -1, 1) * 32767).astype("<i2").tobytes())
    home = tmp_path / "home"
    write_asoundrc(home, tmp_path / "mic.raw", tmp_path / "played.raw")
    env = env_for(home, tmp_path)

    t = Typist(
        [sys.executable, "-m", "rehearse", "drill", "terminal-test", "--silence", "2.5", "--input", "fakemic"], env
    )
    intro = t.expect("Press Enter to start recording")
    assert "Microphone: [" in intro and "] fakemic (ALSA)" in intro
    assert "Question 1 of 1" in intro and "Tell me about a time you led a change across teams" in intro
    t.type("")  # take 1: ends by itself after 2.5 s of silence
    first = t.expect("Rate this answer 1-5")
    assert "REC 0:01 / 2:00 [" in first and "Stopped after 2.5 s of silence." in first
    assert "You said:" in first and "Pace: " in first and "words a minute while speaking" in first
    assert "Length: short, " in first and "(target 60–120 s)" in first and "lower bound" in first
    t.type("9")
    assert "'9' is not one of the choices" in t.expect("Rate this answer 1-5")
    t.type("4")
    t.expect("Note (Enter for none):")
    t.type("Name the director <b>and</b> the rollback date.")

    probe = t.expect("Press Enter to start recording")
    assert "follow-up 1 of 1" in probe and "How did you get buy-in from the other orgs?" in probe
    t.type("")  # take 1 of the probe: Enter stops it once the whole answer is in
    t.expect(f"REC {clock(int(speech_end) + 1)}")
    t.type("")
    assert "Stopped. Recorded" in t.expect("Rate this answer 1-5")
    t.type("r")  # record the probe again; this take ends on silence
    t.expect("Press Enter to start recording")
    t.type("")
    assert "Stopped after 2.5 s of silence." in t.expect("Rate this answer 1-5")
    t.type("2")
    t.expect("Note (Enter for none):")
    t.type("")
    done = t.expect("answer(s) saved")
    assert "Drill complete: Terminal test. 3 answer(s) saved" in done
    assert t.proc.wait(timeout=60) == 0

    settings = load_settings(env)
    db = database.open_database(settings)
    (session,) = database.list_sessions(db)
    assert (session.source, session.status, session.drill_id, len(session.plan)) == (
        "terminal",
        "completed",
        "terminal-test",
        2,
    )
    answers = database.session_answers(db, session.id)
    assert [(a.probe_index, a.take, a.status) for a in answers] == [
        (0, 1, "transcribed"),
        (1, 1, "transcribed"),
        (1, 2, "transcribed"),
    ]
    for a in answers:
        assert word_error_rate(normalize(ANSWER), normalize(a.transcript)) <= 0.2, a.transcript
        assert a.audio_file(settings).suffix == ".flac" and a.audio_file(settings).exists()
        assert a.metrics["wpm"] > 100 and a.metrics["word_count"] >= 12
    silence_take, enter_take, again = answers
    assert silence_take.duration == pytest.approx(speech_end + 2.5, abs=0.6)
    assert speech_end < enter_take.duration < silence_take.duration - 1.0
    assert silence_take.metrics["length_verdict"] == "short" and enter_take.metrics["length_verdict"] == ""
    assert (silence_take.stars, silence_take.note) == (4, "Name the director <b>and</b> the rollback date.")
    assert (enter_take.stars, enter_take.note) == (None, None)
    assert (again.stars, again.note) == (2, None)

    # The last thing played was the follow-up, in full, through the output device.
    prompt = Voice(settings).cache_path("How did you get buy-in from the other orgs?")
    played = np.frombuffer((tmp_path / "played.raw").read_bytes(), dtype="<i2")
    assert len(played) / 16000 == pytest.approx(len(audio.read_audio(prompt)[0]) / audio.read_audio(prompt)[1], abs=0.2)
    assert np.abs(played).max() > 3000


def test_no_audio_device_says_what_to_plug_in(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    (home / ".asoundrc").write_text("pcm.!default {\n  type hw\n  card 7\n}\nctl.!default {\n  type hw\n  card 7\n}\n")
    env = env_for(home, tmp_path)
    drill = rehearse("drill", "terminal-test", env=env)
    assert drill.returncode == 2
    assert "No audio input device was found. Plug in a microphone or a headset" in drill.stderr
    assert "arecord -l" in drill.stderr and "Traceback" not in drill.stderr
    assert not (tmp_path / "data" / "rehearse.db").exists()  # nothing half-started was stored
    listing = rehearse("devices", env=env)
    assert listing.returncode == 2 and "PortAudio found no audio device. Plug in" in listing.stderr


HIDE_BY_LOOKUP = (
    sys.executable,
    "-c",
    (
        "import ctypes.util, runpy, sys\n"
        "real = ctypes.util.find_library\n"
        "ctypes.util.find_library = lambda name: None if 'portaudio' in name else real(name)\n"
        "sys.argv[0] = 'rehearse'\n"
        "runpy.run_module('rehearse', run_name='__main__')\n"
    ),
)


def hide_by_mount() -> tuple[str, ...]:
    """Runs in a private mount namespace where the installed libportaudio is an empty file."""
    lib = next(iter(sorted(Path("/usr/lib").glob("*/libportaudio.so.2.*"))), None)
    if (
        lib is None
        or shutil.which("unshare") is None
        or subprocess.run(["unshare", "-m", "true"], capture_output=True, timeout=30).returncode != 0
    ):
        pytest.skip("needs unshare -m (root) and a Debian libportaudio2 to hide")
    return ("unshare", "-m", "sh", "-c", f'mount --bind /dev/null {lib} && exec "$0" -m rehearse "$@"', sys.executable)


@pytest.mark.parametrize("hide", ["library lookup", "mounted over"])
def test_without_portaudio_the_drill_says_what_to_install_and_the_rest_works(tmp_path, hide):
    python = HIDE_BY_LOOKUP if hide == "library lookup" else hide_by_mount()
    env = env_for(tmp_path / "home", tmp_path)
    env["PATH"] = "/usr/sbin:/usr/bin:/sbin:/bin"
    for args in (("drill", "terminal-test"), ("devices",)):
        done = rehearse(*args, env=env, python=python)
        assert done.returncode == 2, done.stderr
        assert "The terminal drill needs the PortAudio library, and it cannot be loaded" in done.stderr
        assert "sudo apt-get install libportaudio2" in done.stderr and "Traceback" not in done.stderr
    unknown = rehearse("drill", "nope", env=env, python=python)
    assert unknown.returncode == 2 and "No drill 'nope'; choose one of: terminal-test" in unknown.stderr
    listing = rehearse("drill", env=env, python=python)
    assert (
        listing.returncode == 0
        and "terminal-test" in listing.stdout
        and "Terminal test: 1 question(s)" in listing.stdout
    )
    check = rehearse("check", env=env, python=python)
    assert check.returncode == 0 and "1 drills loaded, 0 broken" in check.stdout


@pytest.mark.slow
def test_on_a_terminal_the_meter_redraws_in_place(tmp_path, speech):
    answer = audio.read_audio(speech(ANSWER, pad=0.5))[0][:, 0]
    (tmp_path / "mic.raw").write_bytes((np.clip(answer, -1, 1) * 32767).astype("<i2").tobytes() + bytes(32000 * 2))
    home = tmp_path / "home"
    write_asoundrc(home, tmp_path / "mic.raw", tmp_path / "played.raw")
    env = env_for(home, tmp_path)
    t = Typist([sys.executable, "-m", "rehearse", "drill", "terminal-test", "--silence", "1.5"], env, tty=True)
    t.expect("Press Enter to start recording")
    t.type("")
    recording = t.expect("Stopped after 1.5 s of silence.")
    meters = recording.split("\r")
    # One line redrawn many times (about ten a second), never scrolled: no newline between redraws.
    drawn = [m for m in meters if m.startswith("REC ")]
    assert len(drawn) >= 20 and all(m.endswith("\x1b[K") and "\n" not in m for m in drawn[:-1])
    # (The first two seconds may arrive at once: the pipe that paces the fake microphone buffers them.)
    assert {m[:8] for m in drawn} >= {"REC 0:03", "REC 0:04", "REC 0:05"}
    assert any("speaking" in m for m in drawn) and "silence 1.5 of 1.5 s" in drawn[-1]
    assert "You said:" in t.expect("Rate this answer 1-5")
    t.type("q")
    assert "Drill ended early: Terminal test. 1 answer(s) saved" in t.expect("answer(s) saved")
    assert t.proc.wait(timeout=60) == 0
    db = database.open_database(load_settings(env))
    (session,) = database.list_sessions(db)
    (only,) = database.session_answers(db, session.id)
    assert (session.status, only.status) == ("ended", "transcribed")
    assert word_error_rate(normalize(ANSWER), normalize(only.transcript)) <= 0.2


@pytest.mark.slow
def test_the_terminal_drill_recovers_a_live_answer_a_crash_left_in_its_part_file(tmp_path, speech):
    """Recovery runs when `rehearse drill` starts, as it does when the app starts."""
    import json

    from rehearse.library.bank import Step
    from rehearse.practice import pipeline
    from rehearse.store import recovery

    home = tmp_path / "home"
    (tmp_path / "mic.raw").write_bytes(bytes(3200))
    write_asoundrc(home, tmp_path / "mic.raw", tmp_path / "played.raw")
    env = env_for(home, tmp_path)
    settings = load_settings(env)
    db = database.open_database(settings)
    sid = database.create_session(db, "warm-up", "Warm-up", [])
    step = Step("q-one", 0, "Tell me about a hard project.", "Tell me about a hard project.", 2)
    said = audio.read_audio(speech(ANSWER))[0][:, 0]
    live = recovery.live_dir(settings)
    live.mkdir(parents=True)
    (live / "tok.json").write_text(json.dumps(pipeline.answer_note(sid, step, "a-cut") | {"pid": 999_999_999}))
    (said * 32767).astype("<i2").tofile(live / "tok.pcm")  # what the capture server had written

    t = Typist([sys.executable, "-m", "rehearse", "drill", "terminal-test", "--input", "fakemic"], env)
    assert "Recovered a recording a crash left unsaved (a-cut)" in t.expect("Press Enter to start recording")
    t.type("q")
    assert t.proc.wait(timeout=60) == 0
    answer = database.get_answer(db, "a-cut")
    assert (answer.session_id, answer.status, answer.error) == (sid, "recorded", recovery.RECOVERED)
    assert answer.duration == pytest.approx(len(said) / 16000, abs=0.01) and not list(live.iterdir())


STORY = (
    "Our three teams shipped on different schedules. We aligned the teams on one release plan, "
    "and the finance director pushed back on the cost. We cut failed releases by 30 percent."
)
LISTENING_TOML = DRILL_TOML.replace('title = "Terminal test"', 'title = "Listening test"') + "listening_probes = 2\n"


@pytest.mark.slow
def test_the_terminal_drill_asks_the_listening_follow_ups_first(tmp_path, speech):
    answer = audio.read_audio(speech(STORY, pad=0.5))[0][:, 0]
    mic = np.concatenate([answer, np.zeros(16000 * 2, dtype=np.float32)])
    (tmp_path / "mic.raw").write_bytes((np.clip(mic, -1, 1) * 32767).astype("<i2").tobytes())
    home = tmp_path / "home"
    write_asoundrc(home, tmp_path / "mic.raw", tmp_path / "played.raw")
    env = env_for(home, tmp_path)
    (tmp_path / "drills" / "listening-test.toml").write_text(LISTENING_TOML)

    t = Typist(
        [sys.executable, "-m", "rehearse", "drill", "listening-test", "--silence", "2", "--input", "fakemic"], env
    )
    t.expect("Press Enter to start recording")
    t.type("")
    t.expect("Rate this answer 1-5")
    t.type("")
    t.expect("Note (Enter for none):")
    t.type("")
    first = t.expect("Press Enter to start recording")
    t.type("s")
    second = t.expect("Press Enter to start recording")
    t.type("s")
    curated = t.expect("Press Enter to start recording")
    t.type("q")
    t.expect("answer(s) saved")
    assert t.proc.wait(timeout=60) == 0

    settings = load_settings(env)
    db = database.open_database(settings)
    (session,) = database.list_sessions(db)
    answers = database.session_answers(db, session.id)
    assert [(a.probe_index, a.status) for a in answers] == [(0, "transcribed"), (101, "skipped"), (102, "skipped")]
    main = answers[0]
    steps = [s for s in session.plan if s["kind"]]
    assert [s["probe_index"] for s in session.plan] == [0, 101, 102, 1]
    for shown, step, stored in zip((first, second), steps, answers[1:], strict=True):
        assert "follow-up" in shown and step["prompt"] in " ".join(shown.split())
        assert (stored.probe_kind, stored.probe_evidence) == (step["kind"], step["evidence"])
        caption = probes.caption(step["kind"], step["evidence"], step["evidence_start"], step["why"])
        assert f"({caption})" in shown
        if step["evidence"]:
            # The main answer's words, the quoted ones marked.
            assert f"»{step['evidence']}«" in " ".join(shown.split()) and step["evidence"] in main.transcript
            assert step["evidence_start"] is not None  # spoken: the time in the recording is known
    assert any(s["evidence"] for s in steps)
    assert "How did you get buy-in from the other orgs?" in curated and "follow-up 3 of 3" in curated
    # The probes were spoken ahead: both are in the voice's cache.
    assert all(Voice(settings).cache_path(s["prompt"]).exists() for s in steps)
