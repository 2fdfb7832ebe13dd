"""An int8 copy of a CTranslate2 Whisper model, written once, so that loading it holds no float16.

Rehearse runs every model with compute_type="int8", and both shipped models are stored in float16.
CTranslate2 quantizes on load: it reads every float16 weight into memory and then converts them,
so while base loaded the process held about 150 MB more than the loaded model (peak 319 MB for
158 MB resident, base alone), on top of everything else the app server already held. The copy
loads with no such moment (peak 167 MB) and gives the same transcripts, because it quantizes
exactly what CTranslate2 quantizes on load (models/model.cc, `ensure_dtype`): every variable whose
name ends in "weight" except the convolutions (WhisperModel::is_quantizable), per row, with the
scale 127 / max|row| and rounding to nearest, in float32; the other floats become float32, which
is what int8 compute holds them as. tests/speech/test_int8.py checks the transcripts are equal.

The file format is CTranslate2's model.bin (python/ctranslate2/specs/model_spec.py, `_serialize`):
a version, the spec's name and revision, the variables (name, shape, type, bytes), then aliases.
Only versions with a type id per variable (4 and later) are read; an older or unexpected file is
refused with ModelFormatError, and the caller loads the original instead.
"""

from __future__ import annotations

import json
import logging
import os
import struct
from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO

import numpy as np

from rehearse import files
from rehearse.errors import ModelFormatError

log = logging.getLogger(__name__)

# CTranslate2's type ids, in its order (DataType in include/ctranslate2/types.h).
TYPES = ("float32", "int8", "int16", "int32", "float16", "bfloat16")
FLOATS = {"float32": np.float32, "float16": np.float16}
MARKER = "rehearse-int8.json"
FORMAT = 1  # raise when the copy changes, so that copies of an older kind are written again
BLOCK_BYTES = 8 << 20  # weights are read and quantized in blocks of rows, never whole


class _Parts:
    """The model.bin parts, read as one file (base ships cut in two)."""

    def __init__(self, paths: Iterable[Path]):
        self.paths = list(paths)
        self.size = sum(p.stat().st_size for p in self.paths)
        self._files = [open(p, "rb") for p in self.paths]
        self._at = 0

    def read(self, n: int) -> bytes:
        chunks = []
        while n > 0 and self._at < len(self._files):
            chunk = self._files[self._at].read(n)
            if not chunk:
                self._at += 1
                continue
            chunks.append(chunk)
            n -= len(chunk)
        if n > 0:
            raise ModelFormatError(f"{self.paths[-1]} ends early: the model file is incomplete")
        return b"".join(chunks)

    def unpack(self, fmt: str):
        return struct.unpack("<" + fmt, self.read(struct.calcsize("<" + fmt)))

    def string(self) -> str:
        (length,) = self.unpack("H")
        return self.read(length)[:-1].decode("utf-8")

    def at_end(self) -> bool:
        return not any(f.read(1) for f in self._files[self._at :])

    def close(self) -> None:
        for f in self._files:
            f.close()


def _string(out: BinaryIO, text: str) -> None:
    data = text.encode("utf-8")
    out.write(struct.pack("<H", len(data) + 1) + data + b"\0")


def _header(out: BinaryIO, name: str, shape: tuple[int, ...], dtype: str, nbytes: int) -> None:
    _string(out, name)
    out.write(struct.pack(f"<B{len(shape)}I", len(shape), *shape))
    out.write(struct.pack("<BI", TYPES.index(dtype), nbytes))


def quantized(name: str) -> bool:
    """What CTranslate2 quantizes when it loads a Whisper model for int8 compute."""
    return name.endswith("weight") and "conv" not in name


def _copy_weight(src: _Parts, out: BinaryIO, name: str, shape: tuple[int, ...], dtype) -> int:
    """Quantizes one weight block by block: int8 rows, then their float32 scales."""
    rows = shape[0]
    per_row = int(np.prod(shape[1:], dtype=np.int64))
    _header(out, name, shape, "int8", rows * per_row)
    step = max(1, BLOCK_BYTES // (per_row * 4))
    scales = []
    for start in range(0, rows, step):
        count = min(step, rows - start)
        block = np.frombuffer(src.read(count * per_row * np.dtype(dtype).itemsize), dtype=dtype)
        block = block.reshape(count, per_row).astype(np.float32)
        amax = np.abs(block).max(axis=1)
        scale = np.where(amax != 0, np.float32(127) / np.where(amax != 0, amax, 1), np.float32(1))
        scale = scale.astype(np.float32)
        out.write(np.rint(block * scale[:, None]).astype(np.int8).tobytes())
        scales.append(scale)
    scale = np.concatenate(scales)
    _header(out, name + "_scale", (rows,), "float32", scale.nbytes)
    out.write(scale.tobytes())
    return 2


def write_int8(parts: list[Path], target: Path) -> None:
    """model.bin (or its parts, in order) written to `target` as CTranslate2 would hold it for int8."""
    try:
        _write_int8(parts, target)
    except (UnicodeDecodeError, ValueError, struct.error) as exc:  # bytes that are not a model.bin
        raise ModelFormatError(f"{parts[0]} is not a CTranslate2 model.bin Rehearse can copy ({exc})") from None


def _write_int8(parts: list[Path], target: Path) -> None:
    src = _Parts(parts)
    try:
        with files.private_open(target) as out:
            (version,) = src.unpack("I")
            if not 4 <= version <= 6:
                raise ModelFormatError(f"model.bin has binary version {version}, which Rehearse does not copy")
            out.write(struct.pack("<I", version))
            _string(out, src.string())
            out.write(struct.pack("<I", *src.unpack("I")))  # spec revision
            (count,) = src.unpack("I")
            count_at = out.tell()
            out.write(struct.pack("<I", count))
            written = 0
            for _ in range(count):
                name = src.string()
                (rank,) = src.unpack("B")
                shape = src.unpack(f"{rank}I")
                type_id, nbytes = src.unpack("BI")
                if type_id >= len(TYPES):
                    raise ModelFormatError(f"model.bin variable {name} has an unknown type id {type_id}")
                dtype = TYPES[type_id]
                if dtype in FLOATS and rank >= 2 and quantized(name):
                    written += _copy_weight(src, out, name, shape, FLOATS[dtype])
                    continue
                data = src.read(nbytes)
                if dtype == "float16" and rank > 0:
                    data = np.frombuffer(data, dtype=np.float16).astype(np.float32).tobytes()
                    dtype = "float32"
                _header(out, name, shape, dtype, len(data))
                out.write(data)
                written += 1
            (aliases,) = src.unpack("I")
            out.write(struct.pack("<I", aliases))
            for _ in range(2 * aliases):
                _string(out, src.string())
            if not src.at_end():
                raise ModelFormatError("model.bin has data after its aliases, which Rehearse does not copy")
            out.seek(count_at)
            out.write(struct.pack("<I", written))
            out.flush()
            os.fsync(out.fileno())
    finally:
        src.close()


def int8_size(parts: list[Path]) -> int:
    """About what the copy takes on disk: a float16 model halves, plus a little for the float32
    norms, biases and scales (tiny.en: 42.1 MB for 75.5 MB)."""
    return sum(p.stat().st_size for p in parts) // 2 + (4 << 20)


def fingerprint(parts: list[Path]) -> str:
    """What tells one source model.bin from another, cheaply: its size and a hash of its first and
    last MB (a retrained model of the same shape has the same size, not the same bytes)."""
    import hashlib

    src = _Parts(parts)
    try:
        digest = hashlib.sha256(src.read(min(src.size, 1 << 20)))
        tail = min(src.size, 1 << 20)
        last = parts[-1]
        with open(last, "rb") as f:  # the last MB of the last part
            f.seek(max(0, last.stat().st_size - tail))
            digest.update(f.read())
    finally:
        src.close()
    return f"{src.size}:{digest.hexdigest()}"


def is_current(dest: Path, parts: list[Path]) -> bool:
    """The copy in `dest` is complete and was made from these parts by this kind of copy."""
    try:
        marker = json.loads((dest / MARKER).read_text())
    except (OSError, ValueError):
        return False
    return (
        (dest / "model.bin").is_file() and marker.get("format") == FORMAT and marker.get("source") == fingerprint(parts)
    )


def make_copy(parts: list[Path], dest: Path) -> None:
    """The int8 model.bin in `dest`, written to a temporary file and renamed, then its marker, so
    that a copy cut short is made again next time rather than loaded half-written."""
    files.private_dir(dest)
    (dest / MARKER).unlink(missing_ok=True)
    tmp = dest / f".model.bin.{os.getpid()}.tmp"
    log.info("writing an int8 copy of %s into %s", parts[0].parent, dest)
    try:
        write_int8(parts, tmp)
        os.replace(tmp, dest / "model.bin")
    finally:
        tmp.unlink(missing_ok=True)
    files.private_write(dest / MARKER, json.dumps({"format": FORMAT, "source": fingerprint(parts)}).encode())
