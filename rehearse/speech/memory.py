"""The process's memory: handing freed pages back to the system, and reading what it holds.

The app server holds tiny.en, base and the voice, and each of them needs a few hundred MB for a
moment while it decodes or speaks; the issue's goal is that the server stays under 700 MB
resident (README: memory). What keeps it there: int8 copies of the models (speech/int8.py), the
voice without onnxruntime's arena (speech/voice.py), the final pass waiting while the voice speaks
(practice/final_worker.py), and the two calls below.
"""

from __future__ import annotations

import os
from pathlib import Path

M_ARENA_MAX = -8  # glibc's mallopt parameter
_malloc_trim = None


def _libc():
    import ctypes
    import ctypes.util

    return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")


def release_memory() -> None:
    """Hand the memory a decode or a synthesis freed back to the system (glibc keeps it otherwise).

    CTranslate2 and onnxruntime allocate and free a few hundred MB per decode from several threads;
    glibc keeps the freed pages in per-thread arenas, so the resident size of a process holding both
    models and the voice grew from about 470 to 610 MB after a few answers (`rehearse bench asr
    --models`). malloc_trim gives them back; elsewhere than glibc it is simply not there.
    """
    global _malloc_trim
    if _malloc_trim is None:
        try:
            _malloc_trim = _libc().malloc_trim
        except (OSError, AttributeError):
            _malloc_trim = False
    if _malloc_trim:
        _malloc_trim(0)


def limit_malloc_arenas(arenas: int = 2) -> None:
    """Fewer glibc malloc arenas for a long-running process with many threads (the app server: the
    capture server, the live decoder, the final pass, Streamlit's sessions). Each thread that meets
    contention gets its own arena, up to 8 per core, and each keeps freed pages; two held the app's
    resident size about 30 MB lower in the browser test (README, live transcription). Call it before
    the threads start; elsewhere than glibc it does nothing."""
    try:
        _libc().mallopt(M_ARENA_MAX, arenas)
    except (OSError, AttributeError):
        pass


def resident_mb(pid: int | None = None) -> tuple[float, float]:
    """(resident memory now, its peak) of a process (this one by default) in MB, from /proc (Linux);
    zeros where /proc is not there."""
    now = peak = 0.0
    try:
        for line in Path(f"/proc/{pid or os.getpid()}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                now = int(line.split()[1]) / 1024
            elif line.startswith("VmHWM:"):
                peak = int(line.split()[1]) / 1024
    except OSError:
        pass
    return now, peak
