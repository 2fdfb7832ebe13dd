"""The terminal drill's layers one at a time: device choice, the PortAudio guard,
and the drill loop with a scripted keyboard and a fake microphone (the real microphone run is in
test_terminal_audio.py)."""

import io
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from rehearse.errors import AudioDeviceError
from rehearse.library import bank
from rehearse.practice.run import DrillRun
from rehearse.speech import audio
from rehearse.store import database
from rehearse.terminal import devices
from rehearse.terminal.drill import Console, LineReader, TerminalDrill

ROOT = Path(__file__).resolve().parents[2]


DEVICES = (
    devices.Device(0, "HDA Intel PCH: ALC257 Analog (hw:0,0)", "ALSA", 2, 2, 48000, False, False),
    devices.Device(1, "USB Headset: Audio (hw:1,0)", "ALSA", 1, 2, 44100, False, False),
    devices.Device(2, "HDMI 0 (hw:0,3)", "ALSA", 0, 8, 48000, False, False),
    devices.Device(3, "default", "ALSA", 64, 64, 44100, True, True),
)


def test_choose_device_by_default_index_and_name():
    assert devices.choose_device(DEVICES, None, "input").index == 3
    assert devices.choose_device(DEVICES, "", "output").index == 3
    assert devices.choose_device(DEVICES, "1", "input").name.startswith("USB Headset")
    assert devices.choose_device(DEVICES, "usb headset", "input").index == 1
    assert devices.choose_device(DEVICES, "HDMI", "output").index == 2
    assert devices.choose_device(DEVICES, "Default", "input").index == 3
    with pytest.raises(AudioDeviceError, match=r"--input 2: no input device has that index.*\[1\] USB Headset"):
        devices.choose_device(DEVICES, "2", "input")  # HDMI has no inputs
    with pytest.raises(AudioDeviceError, match=r"--input 'hdmi': no input device has that name. Choose one of: \[0\]"):
        devices.choose_device(DEVICES, "hdmi", "input")
    with pytest.raises(AudioDeviceError, match=r"--output 'hw:' matches several output devices"):
        devices.choose_device(DEVICES, "hw:", "output")
    no_default = tuple(d for d in DEVICES if d.index != 3)
    with pytest.raises(AudioDeviceError, match="There is no default input device. Choose one with --input"):
        devices.choose_device(no_default, None, "input")
    with pytest.raises(AudioDeviceError, match="No audio input device was found. Plug in a microphone or a headset"):
        devices.choose_device((DEVICES[2],), None, "input")


class _BrokenPortAudio:
    """Makes `import sounddevice` fail the way it does without libportaudio2."""

    def find_spec(self, name, path=None, target=None):
        if name == "sounddevice":
            raise OSError("PortAudio library not found")
        return None


def test_missing_portaudio_is_a_clear_error(monkeypatch):
    monkeypatch.delitem(sys.modules, "sounddevice", raising=False)
    monkeypatch.setattr(sys, "meta_path", [_BrokenPortAudio(), *sys.meta_path])
    for call in (devices.list_devices, lambda: devices.AudioDevices("1", None)):
        with pytest.raises(
            AudioDeviceError,
            match=r"needs the PortAudio library.*\(PortAudio library not found\).*apt-get install libportaudio2",
        ):
            call()


def test_only_rehearse_devices_imports_sounddevice():
    importers = [
        p.relative_to(ROOT).as_posix()
        for p in (ROOT / "rehearse").rglob("*.py")
        if "import sounddevice" in p.read_text()
    ]
    assert importers == ["rehearse/terminal/devices.py"]
    # Importing everything, the command line included, must not load PortAudio.
    code = (
        "import sys, importlib, pkgutil, rehearse\n"
        "names = [m.name for m in pkgutil.walk_packages(rehearse.__path__, 'rehearse.') if not m.name.startswith('rehearse.web') and m.name != 'rehearse.__main__']\n"
        "for n in names: importlib.import_module(n)\n"
        "assert 'rehearse.terminal.devices' in sys.modules and 'rehearse.cli' in sys.modules\n"
        "print('sounddevice' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"


# ---------------------------------------------------------------- the loop, with fakes


class FakeVoice:
    def __init__(self, folder: Path):
        self.folder = folder

    def speak(self, text: str) -> Path:
        path = self.folder / f"{abs(hash(text))}.wav"
        path.write_bytes(audio.wav_bytes(np.zeros(1600, dtype=np.float32), 16000))
        return path


class FakeMicrophone:
    """Hands out 0.1 s blocks of a tone, then raises Ctrl+C."""

    sample_rate = 16000

    def __init__(self, blocks: int):
        self.left = blocks

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return None

    def read(self, timeout):
        if not self.left:
            raise KeyboardInterrupt
        self.left -= 1
        return (0.1 * np.sin(np.arange(1600) / 5)).astype(np.float32)


class FakeAudio:
    def __init__(self):
        self.played: list[Path] = []

    def play(self, path):
        self.played.append(path)

    def microphone(self):
        return FakeMicrophone(blocks=25)


DRILL = bank.Drill(
    "two",
    "Two stories",
    "Two questions, one probe each.",
    2,
    "fixed",
    1,
    questions=("lead-cross-org-change", "lead-unpopular-decision"),
    think_seconds=5,
    time_limit_seconds=90,
)


def run_scripted(settings, db, tmp_path, keys: str):
    library = bank.load_library(settings)
    steps = bank.plan_drill(DRILL, library.questions)
    out = io.StringIO()
    fake = FakeAudio()
    drill = TerminalDrill(settings, db, None, FakeVoice(tmp_path), fake, Console(out, LineReader(io.StringIO(keys))))
    session_id = drill.run(DrillRun(DRILL, list(steps), source="terminal"), library.questions)
    session = database.get_session(db, session_id) if session_id else None
    return drill, session, out.getvalue(), fake, steps


def test_skip_replay_bad_keys_and_ctrl_c_save_what_was_recorded(settings, db, tmp_path):
    # Q1: a wrong key, play again, skip (its probe goes too); Q2: record, then Ctrl+C while recording.
    drill, session, out, fake, steps = run_scripted(settings, db, tmp_path, "x\np\ns\n\n")
    assert "'x' is not one of the choices" in out and "Skipped." in out
    assert "(take up to 5 s to think, answer within 90 s)" in out
    assert fake.played[0] == fake.played[1] and len(fake.played) == 3  # Q1 twice, then Q2
    assert "REC 0:01 / 1:30" in out and "Interrupted. Recorded 2.5 s." in out
    assert "Your recording (2.5 s) is saved." in out and "Drill ended early: Two stories. 1 answer(s) saved" in out
    assert drill.interrupted
    assert (session.source, session.status, session.answer_count, len(session.plan)) == ("terminal", "ended", 1, 4)
    answers = database.session_answers(db, session.id)
    assert [(a.question_id, a.probe_index, a.status) for a in answers] == [
        ("lead-cross-org-change", 0, "skipped"),
        ("lead-unpopular-decision", 0, "recorded"),
    ]
    kept = answers[1].audio_file(settings)
    assert kept.suffix == ".flac" and answers[1].duration == pytest.approx(2.5)
    assert len(audio.read_audio(kept)[0]) == 2.5 * 16000


@pytest.mark.parametrize("keys", ["q\n", ""])
def test_q_or_end_of_input_ends_the_session_cleanly(settings, db, tmp_path, keys):
    drill, session, out, fake, _ = run_scripted(settings, db, tmp_path, keys)
    assert not drill.interrupted
    # Nothing answered or skipped: no empty session is left behind.
    assert session is None and database.list_sessions(db) == []
    assert "Drill ended early: Two stories. 0 answer(s) saved" in out


def test_a_speaker_that_fails_is_reported_and_the_drill_goes_on(settings, db, tmp_path, monkeypatch):
    def broken(self, path):
        raise AudioDeviceError("Cannot play sound on [3] default (ALSA) (Device unavailable).")

    monkeypatch.setattr(FakeAudio, "play", broken)
    drill, session, out, _, _ = run_scripted(settings, db, tmp_path, "s\nq\n")
    assert out.count("(The question cannot be played: Cannot play sound on [3] default (ALSA)") == 2
    assert "Question 2 of 2" in out and session.status == "ended"


def test_a_refused_take_is_kept_but_not_rated_and_the_question_can_still_be_skipped(settings, db, tmp_path):
    # Q1: Enter starts recording and the next Enter stops it at once: too short, refused. No rating
    # is asked for; the question is skipped instead (with its probe); Q2: end the drill.
    drill, session, out, fake, steps = run_scripted(settings, db, tmp_path, "\n\ns\nq\n")
    assert "This take does not count as your answer: record again, or skip." in out
    assert "Rate this answer" not in out
    answers = database.session_answers(db, session.id)
    assert [(a.question_id, a.probe_index, a.status) for a in answers] == [
        ("lead-cross-org-change", 0, "failed"),
        ("lead-cross-org-change", 0, "skipped"),
    ]
    assert answers[0].audio_file(settings).exists()  # the refused take is kept
    assert "Question 2 of 2" in out and session.status == "ended"


# ---------------------------------------------------------------- listening follow-ups, with fakes

STORY = (
    "Last year our three teams used different release processes and it kept breaking things. "
    "We aligned the teams on one process. The finance director pushed back because of the cost. "
    "In the end we cut the failed releases by 30 percent in 90 days, and I learned to bring finance in early."
)


class SpeakingMicrophone(FakeMicrophone):
    """Tone, then silence, never Ctrl+C: the take ends on Enter or silence and is saved."""

    def read(self, timeout):
        self.left -= 1
        if self.left < 0:
            return np.zeros(1600, dtype=np.float32)
        return (0.1 * np.sin(np.arange(1600) / 5)).astype(np.float32)


class SpeakingAudio(FakeAudio):
    def microphone(self):
        return SpeakingMicrophone(blocks=20)


class PrefetchingVoice(FakeVoice):
    def __init__(self, folder):
        super().__init__(folder)
        self.prefetched: list[str] = []

    def prefetch(self, texts):
        self.prefetched += list(texts)


def test_the_terminal_drill_asks_listening_follow_ups_first_and_shows_what_they_pick_up(
    settings, db, tmp_path, monkeypatch
):
    from dataclasses import replace

    from rehearse.practice import pipeline, probes
    from rehearse.speech.transcribe import Transcript
    from rehearse.terminal.drill import DrillOptions

    def typed(settings, model, path, take, live, options, on_progress):
        # The "transcript" of the tone: the story, as a typed answer (the real model runs in test_terminal_audio.py).
        return Transcript(STORY, (), 2.0, "typed", 0.1), 2.0

    monkeypatch.setattr(pipeline, "_check_and_transcribe", typed)
    library = bank.load_library(settings)
    drill = replace(DRILL, count=1, questions=DRILL.questions[:1], listening_probes=2)
    run = DrillRun.start(drill, library.questions, seed=1, source="terminal")
    curated = run.steps[1].prompt
    out = io.StringIO()
    voice = PrefetchingVoice(tmp_path)
    # Main answer: record (the next Enter stops it), no rating, no note; skip both listening
    # follow-ups; end at the curated one.
    keys = "\n\n\n\ns\ns\nq\n"
    terminal = TerminalDrill(
        settings, db, None, voice, SpeakingAudio(), Console(out, LineReader(io.StringIO(keys))), DrillOptions(0.5)
    )
    terminal.run(run, library.questions)
    text = " ".join(out.getvalue().split())  # prompts are wrapped to the terminal's width
    expected = probes.propose(STORY, (), library.questions[DRILL.questions[0]], settings)[:2]
    assert [s.prompt for s in run.steps[1:3]] == [p.text for p in expected] and run.steps[3].prompt == curated
    assert voice.prefetched == [p.text for p in expected]  # spoken ahead as soon as they were chosen
    for p in expected:
        assert f"({probes.caption(p.kind, p.evidence, p.start, p.why)})" in text
        if p.evidence:
            assert f"»{p.evidence}«" in text
    assert text.index(expected[0].text) < text.index(expected[1].text) < text.index(curated)
    answers = database.session_answers(db, run.session_id)
    assert [(a.probe_index, a.status, a.probe_kind) for a in answers] == [
        (0, "transcribed", ""),
        (101, "skipped", expected[0].kind),
        (102, "skipped", expected[1].kind),
    ]
