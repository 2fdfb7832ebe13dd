"""Incremental transcription while the user speaks, so that at stop only the last seconds remain.

Whisper decodes a window of up to 30 s, and its cost barely depends on how much of the window
holds speech, so re-decoding a short tail is cheap and decoding a growing answer is not. The
transcriber therefore keeps two parts:

- committed words, which never change and whose audio is never decoded again;
- the uncommitted tail, re-decoded after each second of new audio and as soon as the speaker
  pauses; silence is never decoded, so a stop after a pause usually finds nothing left to do.

A word is committed when two consecutive decodes agree on it (and on everything before it,
"local agreement") and it ends at least `holdback_seconds` before the live edge, where Whisper
still revises. Cuts go at sentence ends, where speakers pause, so no word is split; only a tail
longer than `max_tail_seconds` without a sentence end is cut at the quietest gap between agreed
words.
The committed text is the next decode's prompt, as `condition_on_previous_text` does for a file.

`LiveTranscriber` decodes in a background thread (`start()`), or step by step (`step()`) for a
deterministic simulation; `finish()` decodes the last tail if it holds unheard sound and returns
the whole Transcript.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from dataclasses import dataclass, fields, replace
from typing import Callable

import numpy as np

from .errors import TranscriptionError
from .transcribe import SAMPLE_RATE, DecodeOptions, Model, Transcript, Word, transcribe

log = logging.getLogger(__name__)

# Whisper's context is 448 tokens and faster-whisper keeps at most 223 of the prompt.
MAX_NEW_TOKENS = 224
_SENTENCE_END = re.compile(r"[.?!…][\"')\]]*$")
_TOKEN = re.compile(r"[\w']+")


@dataclass(frozen=True)
class LiveOptions:
    # Audio closer than this to the live edge is never committed: Whisper still revises it.
    holdback_seconds: float = 1.5
    # New audio needed before the tail is decoded again ...
    step_seconds: float = 1.0
    # ... unless the speaker has paused this long after some sound: then it is decoded at once.
    pause_seconds: float = 0.3
    # A tail this long with no sentence end is cut at its widest gap between agreed words.
    max_tail_seconds: float = 8.0
    # How much committed text is given to the next decode as its prompt.
    prompt_chars: int = 200
    # Audio counts as sound when at least `sound_ms` of it, in 20 ms frames, is `sound_above_floor_db`
    # louder (RMS) than the recording's noise floor, clamped to [sound_min_dbfs, sound_max_dbfs]:
    # a mouse click on stop is not speech, a short word is, and a quiet microphone still is.
    # Silence is never decoded: Whisper invents words in it, and it cannot change the words before it.
    sound_above_floor_db: float = 10.0
    sound_min_dbfs: float = -60.0
    sound_max_dbfs: float = -35.0
    sound_ms: int = 100


@dataclass(frozen=True)
class LiveState:
    """What the user sees while speaking: settled text, then the part that may still change."""

    committed: str
    tentative: str
    audio_seconds: float
    committed_seconds: float
    decodes: int

    @property
    def text(self) -> str:
        return " ".join(t for t in (self.committed, self.tentative) if t)


@dataclass(frozen=True)
class LiveStats:
    decodes: int
    decode_seconds: float        # time spent decoding while the audio came in (the final decode not counted)
    audio_seconds: float
    final_tail_seconds: float    # audio left to decode when finish() was called
    finish_seconds: float        # from finish() to the final transcript


def frame_levels(samples: np.ndarray) -> np.ndarray:
    """RMS level of each 20 ms frame, in dBFS."""
    frame = SAMPLE_RATE // 50
    n = len(samples) // frame
    rms = np.sqrt(np.mean(samples[: n * frame].reshape(n, frame) ** 2, axis=1))
    return 20 * np.log10(np.maximum(rms, 1e-9))


def noise_floor(samples: np.ndarray) -> float:
    """The level the quietest tenth of the frames stays under."""
    levels = frame_levels(samples)
    return float(np.percentile(levels, 10)) if len(levels) else -120.0


def has_sound(samples: np.ndarray, options: LiveOptions = LiveOptions(), floor: float | None = None) -> bool:
    """Whether `samples` hold something that may be a word, against the noise floor `floor` (dBFS)."""
    levels = frame_levels(samples)
    if len(levels) == 0:
        return False
    base = noise_floor(samples) if floor is None else floor
    threshold = min(max(base + options.sound_above_floor_db, options.sound_min_dbfs), options.sound_max_dbfs)
    return np.count_nonzero(levels > threshold) * 20 >= options.sound_ms


def _token(text: str) -> str:
    return "".join(_TOKEN.findall(text.lower()))


def agreed_prefix(a: list[Word], b: list[Word]) -> int:
    """How many leading words two hypotheses share, ignoring case and punctuation."""
    n = 0
    for x, y in zip(a, b):
        if _token(x.text) != _token(y.text):
            break
        n += 1
    return n


def choose_cut(words: list[Word], previous: list[Word], tail_start: float, audio_end: float,
               options: LiveOptions, loudness: Callable[[float], float] | None = None) -> tuple[int, float] | None:
    """(number of words to commit, audio time to cut at), or None to commit nothing yet.

    `loudness(t)` is the audio level around time t: a forced cut goes where it is quietest,
    because Whisper's word times on their own often swallow pauses into a neighbouring word.
    """
    agree = agreed_prefix(words, previous)
    limit = audio_end - options.holdback_seconds
    candidates = [i for i in range(agree) if words[i].end <= limit]
    if not candidates:
        return None

    def cut_time(i: int) -> float:
        # Halfway into the pause after the word, so neither neighbour is clipped.
        if i + 1 < len(words):
            return max(words[i].end, (words[i].end + words[i + 1].start) / 2)
        return words[i].end

    sentence_ends = [i for i in candidates if _SENTENCE_END.search(words[i].text)]
    if sentence_ends:
        i = sentence_ends[-1]
        return i + 1, cut_time(i)
    if audio_end - tail_start < options.max_tail_seconds:
        return None
    if loudness is None:
        i = max(candidates, key=lambda k: (cut_time(k) - words[k].end, k))
    else:
        i = min(candidates, key=lambda k: (loudness(cut_time(k)), -k))
    return i + 1, cut_time(i)


class LiveTranscriber:
    """Feed 16 kHz mono audio as it arrives; read `state()` while it runs; `finish()` at stop.

    `feed` and `state` may be called from any thread. One transcriber is one answer.
    """

    def __init__(self, model: Model, options: DecodeOptions = DecodeOptions(), live: LiveOptions = LiveOptions(),
                 on_update: Callable[[LiveState], None] | None = None):
        self.model = model
        # Word times are what the cuts are made on, whatever the caller's options say. A tail is
        # one short window: decoded in one piece, never cut into chunks (where options offer it).
        # No disfluent prompt: on the short, often silent tails a live decode sees, it leaks into
        # the transcript ("So, uh, ..." after the last word).
        self.options = replace(options, word_timestamps=True, initial_prompt=None,
                               **({"chunked": False} if "chunked" in {f.name for f in fields(options)} else {}))
        self.live = live
        self.on_update = on_update
        self._buf = np.zeros(0, dtype=np.float32)  # grown on demand: unused recorders cost nothing
        self._n = 0
        self._lock = threading.Condition()
        self._committed: list[Word] = []
        self._commit_at = 0          # sample where the uncommitted tail starts
        self._hypothesis: list[Word] = []
        self._decoded_to = 0         # samples seen by the latest decode
        self._decodes = 0
        self._decode_seconds = 0.0
        self._thread: threading.Thread | None = None
        self._finishing = False
        self._error: BaseException | None = None
        self._streaming_decode_seconds = 0.0
        self.final_tail_seconds = 0.0
        self.finish_seconds = 0.0

    # --- audio in -------------------------------------------------------------------------
    def feed(self, samples: np.ndarray) -> None:
        """Append samples: float32 in [-1, 1] or int16 PCM, mono, 16 kHz."""
        samples = np.asarray(samples).reshape(-1)
        if samples.dtype == np.int16:
            samples = samples.astype(np.float32) / 32768.0
        samples = samples.astype(np.float32, copy=False)
        with self._lock:
            if self._finishing:
                raise TranscriptionError("This answer has already been finished; start a new recording.")
            need = self._n + len(samples)
            if need > len(self._buf):
                grown = np.zeros(max(need, 2 * len(self._buf), 30 * SAMPLE_RATE), dtype=np.float32)
                grown[: self._n] = self._buf[: self._n]
                self._buf = grown
            self._buf[self._n: need] = samples
            self._n = need
            self._lock.notify_all()

    def audio(self) -> np.ndarray:
        """Everything received so far (a copy)."""
        with self._lock:
            return self._buf[: self._n].copy()

    @property
    def seconds(self) -> float:
        return self._n / SAMPLE_RATE

    def state(self) -> LiveState:
        with self._lock:
            return LiveState(
                committed=" ".join(w.text for w in self._committed),
                tentative=" ".join(w.text for w in self._hypothesis),
                audio_seconds=round(self._n / SAMPLE_RATE, 2),
                committed_seconds=round(self._commit_at / SAMPLE_RATE, 2),
                decodes=self._decodes,
            )

    # --- decoding -------------------------------------------------------------------------
    def _prompt(self) -> str | None:
        """The caller's prompt, then the end of the committed text, as Whisper's previous text."""
        text = " ".join(w.text for w in self._committed)
        if len(text) > self.live.prompt_chars:
            text = text[-self.live.prompt_chars:].split(" ", 1)[-1]
        return " ".join(p for p in (self.options.initial_prompt, text) if p) or None

    def _decode_tail(self, end: int) -> list[Word]:
        """Decode samples [commit point, end) and return its words in absolute times."""
        start = self._commit_at
        tail = self._buf[start:end]
        if not has_sound(tail, self.live, self._floor(end)):
            return []
        # After the last word, Whisper may loop on " ." in the leftover silence until its token
        # limit, and the temperature fallback then retries five times: up to 20 s at stop. No
        # repeated 4-gram ends such loops at once; one temperature and a token budget in
        # proportion to the audio (per 30 s window, within Whisper's 448 with the prompt) bound
        # the worst case.
        budget = min(MAX_NEW_TOKENS, int(8 * min(len(tail) / SAMPLE_RATE, 30)) + 16)
        extra = {"temperature": 0.0, "no_repeat_ngram_size": 4, "max_new_tokens": budget, **self.options.extra}
        began = time.perf_counter()
        result = transcribe(self.model, tail, replace(self.options, initial_prompt=self._prompt(), extra=extra))
        took = time.perf_counter() - began
        self._decode_seconds += took
        self._decodes += 1
        log.debug("decoded %.1f s of tail in %.2f s: %r", len(tail) / SAMPLE_RATE, took, result.text)
        offset = start / SAMPLE_RATE
        return [Word(round(w.start + offset, 3), round(w.end + offset, 3), w.text, w.probability)
                for w in result.words if _token(w.text)]  # punctuation alone is no word

    def _floor(self, end: int) -> float:
        """Noise floor of the recording so far (the last minute of it, to keep this cheap)."""
        return noise_floor(self._buf[max(0, end - 60 * SAMPLE_RATE):end])

    def _loudness(self, t: float) -> float:
        """RMS level in the 100 ms around time t."""
        at = int(t * SAMPLE_RATE)
        window = self._buf[max(0, at - SAMPLE_RATE // 20): min(self._n, at + SAMPLE_RATE // 20)]
        return float(np.sqrt(np.mean(window ** 2))) if len(window) else 0.0

    def step(self) -> LiveState:
        """Decode the current tail once and commit what has settled. Used by the thread and by simulations."""
        with self._lock:
            end = self._n
        if self._decoded_to > self._commit_at and not has_sound(self._buf[self._decoded_to:end], self.live, self._floor(end)):
            # Only silence since the last decode: its words stand, and the decoder stays free,
            # so that a stop during this pause finds nothing left to do.
            self._decoded_to = end
            return self.state()
        words = self._decode_tail(end)
        with self._lock:
            cut = choose_cut(words, self._hypothesis, self._commit_at / SAMPLE_RATE, end / SAMPLE_RATE, self.live,
                             self._loudness)
            if cut:
                count, at = cut
                log.debug("commit %r, cut at %.2f s of %.2f s", " ".join(w.text for w in words[:count]), at, end / SAMPLE_RATE)
                self._committed.extend(words[:count])
                self._commit_at = min(end, max(self._commit_at, int(round(at * SAMPLE_RATE))))
                words = words[count:]
            self._hypothesis = words
            self._decoded_to = end
        state = self.state()
        if self.on_update:
            self.on_update(state)
        return state

    def _run(self) -> None:
        step = int(self.live.step_seconds * SAMPLE_RATE)
        quantum = int(self.live.pause_seconds * SAMPLE_RATE)
        checked = 0
        try:
            while True:
                with self._lock:
                    self._lock.wait_for(lambda: self._finishing or self._n - max(self._decoded_to, checked) >= quantum)
                    if self._finishing:
                        return
                    end = checked = self._n
                new = self._buf[self._decoded_to:end]
                # Decode on a full step of new audio, and also as soon as the speaker pauses: a stop
                # usually follows a pause, and then the words before it are already decoded.
                floor = self._floor(end)
                if len(new) >= step or (has_sound(new[:-quantum], self.live, floor)
                                        and not has_sound(new[-quantum:], self.live, floor)):
                    self.step()
        except BaseException as exc:  # reported by finish(); the thread must not die silently
            log.exception("live transcription failed")
            self._error = exc

    def start(self) -> "LiveTranscriber":
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="live-transcriber", daemon=True)
            self._thread.start()
        return self

    def finish(self) -> Transcript:
        """Stop taking audio, decode what is left, and return the transcript of everything received."""
        began = time.perf_counter()
        with self._lock:
            self._finishing = True
            self._lock.notify_all()
        if self._thread is not None:
            self._thread.join()  # at most one tail decode still in flight
        if self._error is not None:
            raise TranscriptionError(f"Live transcription failed with model {self.model.label!r}: {self._error}") from self._error
        end = self._n
        self._streaming_decode_seconds = self._decode_seconds
        self.final_tail_seconds = (end - self._commit_at) / SAMPLE_RATE
        if not has_sound(self._buf[self._decoded_to:end], self.live, self._floor(end)):
            # The latest decode heard every sound there is: decoding again would only repeat it.
            final = self._hypothesis
        else:
            final = self._decode_tail(end)
        words = tuple(self._committed + final)
        self._hypothesis = final
        self.finish_seconds = time.perf_counter() - began
        return Transcript(" ".join(w.text for w in words), words, round(end / SAMPLE_RATE, 3), self.model.label,
                          round(self.finish_seconds, 3), self.model.language)

    def stats(self) -> LiveStats:
        streaming = self._streaming_decode_seconds if self._finishing else self._decode_seconds
        return LiveStats(self._decodes, round(streaming, 3), round(self._n / SAMPLE_RATE, 3),
                         round(self.final_tail_seconds, 3), round(self.finish_seconds, 3))
