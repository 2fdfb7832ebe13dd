"""The int8 copy of a model: written as CTranslate2 would hold it, once, privately, and the same transcripts."""

from __future__ import annotations

import os
import stat
import struct

import numpy as np
import pytest
from paths import SHARED_SPEECH

from rehearse.errors import ModelFormatError, TranscriptionError
from rehearse.settings import load_settings
from rehearse.speech import int8, transcribe


def _string(text: str) -> bytes:
    data = text.encode()
    return struct.pack("<H", len(data) + 1) + data + b"\0"


def model_bin(variables: list[tuple[str, np.ndarray]], aliases=(), version: int = 6) -> bytes:
    """A model.bin as CTranslate2's converter writes one (specs/model_spec.py, _serialize)."""
    out = struct.pack("<I", version) + _string("WhisperSpec") + struct.pack("<II", 3, len(variables))
    for name, value in variables:
        data = value.tobytes()
        out += _string(name) + struct.pack(f"<B{value.ndim}I", value.ndim, *value.shape)
        out += struct.pack("<BI", int8.TYPES.index(str(value.dtype)), len(data)) + data
    out += struct.pack("<I", len(aliases))
    for alias, name in aliases:
        out += _string(alias) + _string(name)
    return out


def read_bin(path) -> tuple[dict[str, np.ndarray], list[tuple[str, str]], int]:
    src = int8._Parts([path])
    try:
        (version,) = src.unpack("I")
        src.string(), src.unpack("I")
        variables = {}
        for _ in range(src.unpack("I")[0]):
            name = src.string()
            (rank,) = src.unpack("B")
            shape = src.unpack(f"{rank}I")
            type_id, nbytes = src.unpack("BI")
            variables[name] = np.frombuffer(src.read(nbytes), dtype=int8.TYPES[type_id]).reshape(shape)
        aliases = [(src.string(), src.string()) for _ in range(src.unpack("I")[0])]
        assert src.at_end()
    finally:
        src.close()
    return variables, aliases, version


@pytest.fixture
def weights():
    rng = np.random.default_rng(7)
    linear = rng.normal(0, 0.05, (300, 64)).astype(np.float16)
    linear[3] = 0  # a row of zeros keeps the scale finite
    return [
        ("decoder/activation", np.array(1, dtype=np.int8)),
        ("decoder/embeddings/weight", rng.normal(0, 1, (50, 16)).astype(np.float16)),
        ("decoder/layer_0/ffn/linear_0/weight", linear),
        ("decoder/layer_0/ffn/linear_0/bias", rng.normal(0, 1, 300).astype(np.float16)),
        ("decoder/layer_norm/gamma", np.ones(64, dtype=np.float16)),
        ("encoder/conv1/weight", rng.normal(0, 1, (8, 4, 3)).astype(np.float16)),
        ("encoder/num_heads", np.array(8, dtype=np.int16)),
    ]


def test_copy_quantizes_what_ctranslate2_quantizes_per_row(tmp_path, weights, monkeypatch):
    source = tmp_path / "model.bin"
    source.write_bytes(model_bin(weights, [("decoder/projection/weight", "decoder/embeddings/weight")]))
    monkeypatch.setattr(int8, "BLOCK_BYTES", 64 * 4 * 7)  # several blocks of rows, the last one short
    int8.write_int8([source], tmp_path / "int8.bin")
    got, aliases, version = read_bin(tmp_path / "int8.bin")
    original = dict(weights)

    assert version == 6 and aliases == [("decoder/projection/weight", "decoder/embeddings/weight")]
    for name in ("decoder/embeddings/weight", "decoder/layer_0/ffn/linear_0/weight"):
        q, scale = got[name], got[name + "_scale"]
        assert q.dtype == np.int8 and scale.dtype == np.float32 and scale.shape == (q.shape[0],)
        x = original[name].astype(np.float32)
        assert np.array_equal(q, np.rint(x * scale[:, None]).astype(np.int8))
        assert np.abs(q).max(axis=1).max() == 127  # each row's largest weight maps to 127
        assert np.allclose(q / scale[:, None], x, atol=float((0.5 / scale).max()) + 1e-6)
    assert got["decoder/layer_0/ffn/linear_0/weight_scale"][3] == 1  # zeros: no division by zero
    # The convolution, biases and norms stay floats, as float32 (what int8 compute holds them as).
    for name in ("encoder/conv1/weight", "decoder/layer_0/ffn/linear_0/bias", "decoder/layer_norm/gamma"):
        assert got[name].dtype == np.float32 and np.array_equal(got[name], original[name].astype(np.float32))
    for name in ("decoder/activation", "encoder/num_heads"):  # scalars as they were
        assert got[name].dtype == original[name].dtype and got[name] == original[name]
    assert len(got) == len(weights) + 2


def test_parts_cut_anywhere_give_the_same_copy(tmp_path, weights):
    data = model_bin(weights)
    whole = tmp_path / "model.bin"
    whole.write_bytes(data)
    int8.write_int8([whole], tmp_path / "from-whole.bin")
    for cut in (1, 37, len(data) // 2, len(data) - 3):
        parts = [tmp_path / "p1", tmp_path / "p2"]
        parts[0].write_bytes(data[:cut])
        parts[1].write_bytes(data[cut:])
        int8.write_int8(parts, tmp_path / "from-parts.bin")
        assert (tmp_path / "from-parts.bin").read_bytes() == (tmp_path / "from-whole.bin").read_bytes()


@pytest.mark.parametrize(
    "damage, message",
    [
        (lambda data: data[: len(data) // 2], "ends early"),
        (lambda data: data + b"more", "data after its aliases"),
        (lambda data: struct.pack("<I", 3) + data[4:], "binary version 3"),
        (lambda data: data[:8] + b"\xff\xfe" + data[10:], "not a CTranslate2 model.bin"),
    ],
)
def test_a_model_file_of_another_kind_is_refused(tmp_path, weights, damage, message):
    source = tmp_path / "model.bin"
    source.write_bytes(damage(model_bin(weights)))
    with pytest.raises(ModelFormatError, match=message):
        int8.write_int8([source], tmp_path / "int8.bin")


def package(folder, weights) -> list:
    folder.mkdir()
    for name in transcribe.MODEL_FILES:
        (folder / name).write_text(f"{name} contents")
    (folder / "model.bin").write_bytes(model_bin(weights))
    return [folder / "model.bin"]


def mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_copy_is_made_once_privately_and_again_when_cut_short_or_of_an_older_kind(tmp_path, weights):
    parts = package(tmp_path / "pkg", weights)
    dest = tmp_path / "home" / "models" / "tiny.en"
    assert transcribe.int8_model(tmp_path / "pkg", parts, dest) == dest
    assert int8.is_current(dest, parts) and (dest / "tokenizer.json").read_text() == "tokenizer.json contents"
    assert mode(dest) == 0o700 and {mode(p) for p in dest.iterdir()} == {0o600}
    written = (dest / "model.bin").stat().st_mtime_ns
    transcribe.int8_model(tmp_path / "pkg", parts, dest)
    assert (dest / "model.bin").stat().st_mtime_ns == written  # already there: not written again

    # Another model of the same size (retrained, same shape) in the package: copied again.
    changed = model_bin([(n, v + 1 if v.dtype == np.float16 else v) for n, v in weights])
    assert len(changed) == parts[0].stat().st_size
    parts[0].write_bytes(changed)
    assert not int8.is_current(dest, parts)
    copied = (dest / "model.bin").read_bytes()
    transcribe.int8_model(tmp_path / "pkg", parts, dest)
    assert int8.is_current(dest, parts) and (dest / "model.bin").read_bytes() != copied

    # A join from before the copy existed (float16, no marker), or a copy cut short: made again.
    (dest / "model.bin").write_bytes(parts[0].read_bytes())
    (dest / int8.MARKER).unlink()
    transcribe.int8_model(tmp_path / "pkg", parts, dest)
    assert read_bin(dest / "model.bin")[0]["decoder/embeddings/weight"].dtype == np.int8
    assert not list(dest.glob(".*.tmp"))


def test_copy_on_a_full_disk_is_refused_up_front_and_tiny_en_then_loads_from_its_package(tmp_path, monkeypatch):
    parts = package(tmp_path / "pkg", [("decoder/embeddings/weight", np.ones((4, 4), dtype=np.float16))])
    import shutil

    full = shutil.disk_usage(tmp_path)._replace(free=1 << 20)
    monkeypatch.setattr(shutil, "disk_usage", lambda path: full)
    with pytest.raises(TranscriptionError, match="only 1 MB free there; free 67 MB or set REHEARSE_HOME"):
        transcribe.int8_model(tmp_path / "pkg", parts, tmp_path / "dest")
    assert not (tmp_path / "dest").exists()  # nothing written, not even the small files

    settings = load_settings({"REHEARSE_HOME": str(tmp_path / "home")})
    target, label = transcribe.resolve_model(settings)
    assert target == str(transcribe.bundled_model_path()) and label == transcribe.BUNDLED_LABEL


def test_shipped_models_resolve_to_their_int8_copies(tmp_path):
    settings = load_settings({"REHEARSE_HOME": str(tmp_path)})
    target, label = transcribe.resolve_model(settings)
    assert target == str(tmp_path / "models" / "tiny.en") and label == transcribe.BUNDLED_LABEL
    variables, _, _ = read_bin(tmp_path / "models" / "tiny.en" / "model.bin")
    linear = [n for n in variables if n.endswith("weight") and "conv" not in n]
    assert linear and all(variables[n].dtype == np.int8 and n + "_scale" in variables for n in linear)
    assert os.path.getsize(tmp_path / "models" / "tiny.en" / "model.bin") < 0.6 * os.path.getsize(
        transcribe.bundled_model_path() / "model.bin"
    )


SHARED_CLIPS = ("apollo11_radio.mp3", "jfk_inaugural.flac", "librivox_sense_0870.wav")


def int8_parts(name: str) -> list:
    if name == "tiny.en":
        return [transcribe.bundled_model_path() / "model.bin"]
    return transcribe.split_base_parts()[1]


@pytest.mark.slow
@pytest.mark.parametrize("name", ["tiny.en", "base"])
def test_the_copy_transcribes_exactly_as_the_original(tmp_path, name, speech):
    """Real speech through both: the model CTranslate2 quantized on load and the copy Rehearse wrote.
    The radio clip is the telling one: quantizing the convolutions too changed its transcript."""
    if name == "base" and transcribe.split_base_parts() is None:
        pytest.skip("the base model packages are not installed")
    settings = load_settings({"REHEARSE_HOME": str(tmp_path), "REHEARSE_MODEL": name, "REHEARSE_THREADS": "1"})
    copy = transcribe.Model(settings)
    folder = "tiny.en" if name == "tiny.en" else "whisper-base"
    assert transcribe.resolve_model(settings)[0] == str(tmp_path / "models" / folder)
    assert int8.is_current(tmp_path / "models" / folder, int8_parts(name))
    if name == "base":
        original_dir = transcribe.join_split_model(*transcribe.split_base_parts(), tmp_path / "joined")
    else:
        original_dir = transcribe.bundled_model_path()
    original = transcribe.Model(
        load_settings({"REHEARSE_HOME": str(tmp_path), "REHEARSE_MODEL": str(original_dir), "REHEARSE_THREADS": "1"})
    )
    wav = tmp_path / "answer.wav"
    wav.write_bytes(
        speech(
            "Um, I led the migration at Northwind. Uh, the finance team pushed back, so I met their director weekly."
        )
    )
    clips = [wav, *(SHARED_SPEECH / c for c in SHARED_CLIPS if (SHARED_SPEECH / c).is_file())]
    for clip in clips:
        assert transcribe.transcribe(copy, clip).text == transcribe.transcribe(original, clip).text, clip
