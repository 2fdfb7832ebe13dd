"""Incremental transcription while the user speaks, so that at stop little or nothing remains.

A whole-file decode finds the speech with voice activity detection, groups it into chunks of up
to 30 s of speech and decodes each chunk on its own (transcribe.transcribe_speech). The live
transcriber runs the same detector over the audio as it arrives (its probabilities are the same
bit for bit, fed whole or in pieces), so it knows the chunks a whole-file decode will make:

- a chunk followed by the start of the next one can no longer change: it is decoded once, and its
  text is committed;
- the last, open chunk is decoded again after each `step_seconds` of new audio, and at once when
  the speaker pauses (the detector has closed the speech span), because a stop usually follows a
  pause and then the open chunk is already decoded exactly as the final transcript needs it.

At stop, `finish()` makes the whole-file chunked decode of everything received, taking every chunk
it has already decoded from its cache (keyed by the chunk's exact audio): the final transcript is
the whole-file transcript, and only a chunk that changed since its last decode costs time.
When a more accurate final pass will replace the text anyway, `snapshot()` instead returns at
once what has been decoded so far (an answer that ends mid-sentence lacks its last second or so).

`LiveTranscriber` decodes in a background thread (`start()`), or step by step (`step()`) for a
deterministic simulation.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from rehearse.errors import TranscriptionError

from .transcribe import (
    SAMPLE_RATE,
    ChunkText,
    DecodeOptions,
    Model,
    SpeechChunk,
    SpeechDetector,
    Transcript,
    chunk_key,
    decode_chunk,
    speech_chunks,
    transcribe_speech,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LiveOptions:
    # New audio after which the open chunk is decoded again while the speaker keeps talking.
    step_seconds: float = 1.0
    # How often the detector looks at new audio for a pause (after which the open chunk is decoded at once).
    check_seconds: float = 0.3


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
    decode_seconds: float  # time spent decoding while the audio came in (the final decode not counted)
    audio_seconds: float
    final_tail_seconds: float  # chunk audio that still had to be decoded when finish() was called
    finish_seconds: float  # from finish() to the final transcript


class LiveTranscriber:
    """Feed 16 kHz mono audio as it arrives; read `state()` while it runs; `finish()` at stop.

    `feed` and `state` may be called from any thread. One transcriber is one answer.
    """

    def __init__(
        self,
        model: Model,
        options: DecodeOptions = DecodeOptions(),
        live: LiveOptions = LiveOptions(),
        on_update: Callable[[LiveState], None] | None = None,
    ):
        self.model = model
        self.options = replace(options, chunked=True)  # only chunked decoding can be done ahead
        self.live = live
        self.on_update = on_update
        self._buf = np.zeros(0, dtype=np.float32)  # grown on demand: unused recorders cost nothing
        self._n = 0
        self._lock = threading.Condition()
        self._detector = SpeechDetector()
        self._known: dict[bytes, ChunkText] = {}  # decoded chunks by their audio
        # Closed chunks by their spans: a closed chunk's audio never changes, so it is neither cut out nor hashed again.
        self._closed: dict[tuple, ChunkText] = {}
        self._committed: list[ChunkText] = []
        self._committed_at = 0  # end of the last closed chunk, in samples
        self._open: ChunkText | None = None
        self._open_key: bytes | None = None
        self._open_decoded_at = 0  # samples received when the open chunk was last decoded
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
            self._buf[self._n : need] = samples
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
                committed=" ".join(c.text for c in self._committed if c.text),
                tentative=self._open.text if self._open else "",
                audio_seconds=round(self._n / SAMPLE_RATE, 2),
                committed_seconds=round(self._committed_at / SAMPLE_RATE, 2),
                decodes=self._decodes,
            )

    # --- decoding -------------------------------------------------------------------------
    def _decoded(self, audio: np.ndarray, chunk: SpeechChunk, key: bytes) -> ChunkText:
        if key not in self._known:
            began = time.perf_counter()
            self._known[key] = decode_chunk(self.model, audio, chunk, self.options)
            took = time.perf_counter() - began
            self._decode_seconds += took
            self._decodes += 1
            log.debug("decoded %.1f s chunk in %.2f s: %r", len(audio) / SAMPLE_RATE, took, self._known[key].text)
        return self._known[key]

    def step(self) -> LiveState:
        """Look at the new audio; decode closed chunks not yet decoded, and the open chunk when it is due.
        Used by the thread and by simulations."""
        with self._lock:
            end = self._n
            buf = self._buf  # a grown buffer is a new array; this one holds everything up to `end`
        self._detector.feed(buf[self._detector.fed : end])
        samples = buf[:end]
        chunks = speech_chunks(self._detector.spans())
        committed = []
        for chunk in chunks[:-1]:
            if chunk.spans not in self._closed:
                audio = chunk.audio(samples)
                self._closed[chunk.spans] = self._decoded(audio, chunk, chunk_key(audio))
            committed.append(self._closed[chunk.spans])
        open_text, open_key, decoded_at = self._open, self._open_key, self._open_decoded_at
        if chunks:
            chunk = chunks[-1]
            audio = chunk.audio(samples)
            key = chunk_key(audio)
            # The detector has closed the last span once it ends before the audio does: the speaker paused.
            paused = chunk.end < end
            if key != open_key and (
                paused or key in self._known or end - decoded_at >= self.live.step_seconds * SAMPLE_RATE
            ):
                open_text, open_key, decoded_at = self._decoded(audio, chunk, key), key, end
        with self._lock:
            self._committed = committed
            self._committed_at = chunks[-2].end if len(chunks) > 1 else 0
            self._open, self._open_key, self._open_decoded_at = open_text, open_key, decoded_at
        state = self.state()
        if self.on_update:
            self.on_update(state)
        return state

    def _run(self) -> None:
        quantum = max(1, int(self.live.check_seconds * SAMPLE_RATE))
        checked = 0
        try:
            while True:
                with self._lock:
                    self._lock.wait_for(lambda since=checked: self._finishing or self._n - since >= quantum)
                    if self._finishing:
                        return
                    checked = self._n
                self.step()
        except BaseException as exc:  # reported by finish(); the thread must not die silently
            log.exception("live transcription failed")
            self._error = exc

    def start(self) -> LiveTranscriber:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="live-transcriber", daemon=True)
            self._thread.start()
        return self

    def finish(self) -> Transcript:
        """Stop taking audio and return the whole-file transcript of everything received, decoding
        only the chunks not already decoded with exactly this audio."""
        began = time.perf_counter()
        with self._lock:
            self._finishing = True
            self._lock.notify_all()
        if self._thread is not None:
            self._thread.join()  # at most one decode still in flight
        if self._error is not None:
            raise TranscriptionError(
                f"Live transcription failed with model {self.model.label!r}: {self._error}"
            ) from self._error
        self._streaming_decode_seconds = self._decode_seconds
        known_before = set(self._known)
        transcript = transcribe_speech(self.model, self._buf[: self._n], self.options, self._detector, self._known)
        new = [t for k, t in self._known.items() if k not in known_before]
        self._decodes += len(new)
        self.final_tail_seconds = round(sum(t.seconds for t in new), 3)
        self.finish_seconds = time.perf_counter() - began
        return replace(transcript, seconds=round(self.finish_seconds, 3))

    def snapshot(self, in_flight_seconds: float = 0.5) -> Transcript:
        """Stop taking audio and return the words decoded so far: the closed chunks and the open chunk
        as last decoded, nothing decoded now. A decode in flight at stop (often the one a final pause
        started, with every word) is waited for up to `in_flight_seconds`, then left to end unused."""
        began = time.perf_counter()
        with self._lock:
            self._finishing = True
            self._lock.notify_all()
        if self._thread is not None:
            self._thread.join(in_flight_seconds)
        with self._lock:
            pieces = [*self._committed, *([self._open] if self._open is not None else [])]
            received = self._n
        if self._error is not None:
            raise TranscriptionError(
                f"Live transcription failed with model {self.model.label!r}: {self._error}"
            ) from self._error
        self._streaming_decode_seconds = self._decode_seconds
        self.finish_seconds = time.perf_counter() - began
        return Transcript(
            " ".join(p.text for p in pieces if p.text),
            tuple(w for p in pieces for w in p.words),
            round(received / SAMPLE_RATE, 3),
            self.model.label,
            round(self.finish_seconds, 3),
            self.model.language,
        )

    def stats(self) -> LiveStats:
        streaming = self._streaming_decode_seconds if self._finishing else self._decode_seconds
        return LiveStats(
            self._decodes,
            round(streaming, 3),
            round(self._n / SAMPLE_RATE, 3),
            round(self.final_tail_seconds, 3),
            round(self.finish_seconds, 3),
        )
