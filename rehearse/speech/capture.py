"""Live capture: the browser streams the microphone to a small WebSocket server on localhost.

Each recording has an unguessable token. The browser connects to ws://127.0.0.1:<port>/<token>
and sends 16 kHz mono 16-bit PCM in binary messages of ~100 ms, then the text message
{"type": "stop", "samples": N}. Every chunk is appended to a part file on disk as it arrives,
before it reaches the transcriber, so what was said is on disk even if the app dies. The
server sends the words back as they settle ({"committed": ..., "tentative": ...}) for the
page to show while the user speaks.

When the connection ends without "stop", the recording is kept as far as it arrived and marked
dropped; a "stop" whose sample count is more than arrived marks the lost tail the same way.
A text message that is not such an object is ignored. When the disk refuses the part file (full,
read-only), the recording goes on in memory, the browser is told which folder and what to do,
and the page saves it from memory (with Save again) once the disk has room. The final transcript is started the moment the recording ends, in parallel with the
page's rerun that collects it.

The page opens a recorder with the note its answer row will carry (answer id, session, step);
it is written beside the part file, so store.recovery can turn a part file that a reload or a
crash left behind into that answer at the next start.

No Streamlit here: the page side (the component and its rerun) lives in rehearse/web/ui.py.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import re
import secrets
import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from websockets.exceptions import ConnectionClosed
from websockets.sync.server import ServerConnection, serve

from rehearse import files
from rehearse.errors import AudioError, RehearseError, TranscriptionError
from rehearse.speech.live import LiveOptions, LiveState, LiveTranscriber
from rehearse.speech.transcribe import SAMPLE_RATE, DecodeOptions, Model, Transcript

log = logging.getLogger(__name__)

# Only pages served from this machine may stream to the server.
LOCAL_ORIGIN = re.compile(r"https?://(localhost|127\.0\.0\.1|\[::1\])(:\d+)?")
MAX_MESSAGE = 1 << 20
UNUSED_TOKEN_SECONDS = 6 * 3600
_SERVERS: weakref.WeakSet[CaptureServer] = weakref.WeakSet()


def recording_now() -> bool:
    """Whether any capture server in this process is receiving a recording (a final pass waits)."""
    return any(server.recording() for server in list(_SERVERS))


@dataclass(frozen=True)
class Capture:
    """Every sample of one live recording that reached the server."""

    samples: np.ndarray
    dropped: bool  # the connection ended before the user pressed stop, or its tail never arrived
    expected_samples: int | None  # what the browser said it sent, when it could say
    disk_error: str | None = None  # the part file could not be written: the samples are in memory only

    @property
    def seconds(self) -> float:
        return len(self.samples) / SAMPLE_RATE

    @property
    def lost_seconds(self) -> float:
        """What the browser sent that never arrived (the dropped tail), when it said how much."""
        if self.expected_samples is None:
            return 0.0
        return max(0, self.expected_samples - len(self.samples)) / SAMPLE_RATE


@dataclass(frozen=True)
class Finished:
    transcript: Transcript | None
    error: str | None  # why there is no transcript
    seconds: float  # end of recording to final transcript


class CaptureSession:
    def __init__(
        self,
        token: str,
        model: Model,
        options: DecodeOptions,
        live: LiveOptions,
        part_path: Path,
        note: dict | None = None,
        home: Path | None = None,
        settle: bool = True,
    ):
        self.token = token
        self.settle = settle
        self.part_path = part_path
        self.note = note
        self.home = home or part_path.parent
        self.disk_error: str | None = None
        self.transcriber = LiveTranscriber(model, options, live, on_update=self._updated)
        self.state = "waiting"  # waiting, recording, stopped, dropped
        self.created = time.monotonic()
        self.expected: int | None = None
        self.ended = threading.Event()
        self.finished = threading.Event()
        self.transcript: Transcript | None = None
        self.error: str | None = None
        self.ended_at = 0.0
        self.finish_seconds = 0.0
        self._file = None
        self._peer: ServerConnection | None = None
        self._end_lock = threading.Lock()
        # The interviewer who cuts in (open(watch=...)): see _watch_cut.
        self.watch: Callable[[str, float], Any] | None = None
        self.speak: Callable[[str], Path] | None = None
        self.cut: Any = None

    def _updated(self, state: LiveState) -> None:
        self._watch_cut(state)
        peer = self._peer
        if peer is not None and self.state == "recording":
            update = {"committed": state.committed, "tentative": state.tentative, "seconds": state.audio_seconds}
            if self.disk_error:
                update["warning"] = self.disk_error
            try:
                peer.send(json.dumps(update))
            except (ConnectionClosed, RuntimeError, OSError):
                pass  # the reader notices the closed connection and ends the recording

    def _watch_cut(self, state: LiveState) -> None:
        """Asks the watch, with what has been said so far, whether to cut in; once it does, the
        voice's words (and their audio, made in the background) go to the browser as
        {"type": "cut", "say": ..., "audio": base64 WAV or ""}, and the browser stops recording."""
        if self.watch is None or self.cut is not None or self.state != "recording":
            return
        cut = self.watch(state.text, state.audio_seconds)
        if cut is None:
            return
        self.cut = cut
        log.info("recording %s: the interviewer cuts in at %.1f s: %s", self.token[:6], state.audio_seconds, cut.say)
        threading.Thread(target=self._send_cut, args=(cut.say,), name=f"cut-{self.token[:6]}", daemon=True).start()

    def _send_cut(self, say: str) -> None:
        spoken = ""
        if self.speak is not None:
            try:
                spoken = base64.b64encode(self.speak(say).read_bytes()).decode()
            except (RehearseError, OSError) as exc:  # the words still go: the browser shows them
                log.warning("the cut cannot be spoken: %s", exc)
        peer = self._peer
        if peer is not None:
            try:
                peer.send(json.dumps({"type": "cut", "say": say, "audio": spoken}))
            except (ConnectionClosed, RuntimeError, OSError):
                pass

    def begin(self, peer: ServerConnection) -> None:
        self._peer = peer
        self.state = "recording"
        try:
            files.private_dir(self.part_path.parent)
            if self.note is not None:
                sidecar = self.part_path.with_suffix(".json")
                note = self.note | {"pid": os.getpid(), "sample_rate": SAMPLE_RATE}
                files.private_write(sidecar, json.dumps(note).encode())
            self._file = files.private_open(self.part_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
        except OSError as exc:
            self._disk_refused(exc)
        self.transcriber.start()

    def _disk_refused(self, exc: OSError) -> None:
        """Go on in memory: what is said must not be lost because the disk is full or read-only."""
        log.warning("recording %s: the part file %s cannot be written (%s)", self.token[:6], self.part_path, exc)
        self.disk_error = (
            files.message(self.home, "write your recording to disk as you speak", exc)
            + " Keep talking: what you say is held in memory until it can be saved."
        )
        if self._file is not None:
            try:
                self._file.close()
            except OSError:
                pass  # the buffered tail cannot be written either; it is in memory
            self._file = None

    def add(self, pcm: bytes) -> None:
        samples = np.frombuffer(pcm[: len(pcm) - len(pcm) % 2], dtype="<i2")
        with self._end_lock:
            if self.ended.is_set():
                return  # ended from the page's side (the stop never came): the answer is already taken
            if self._file is not None:
                try:
                    self._file.write(samples.tobytes())
                    self._file.flush()
                except OSError as exc:
                    self._disk_refused(exc)
            self.transcriber.feed(samples)

    def end(self, dropped: bool) -> None:
        """Close the part file, then transcribe what is left in the background."""
        with self._end_lock:  # the socket thread and a collecting page may both end it
            if self.ended.is_set():
                return
            self._end(dropped)

    def _end(self, dropped: bool) -> None:
        self.state = "dropped" if dropped else "stopped"
        self.ended_at = time.perf_counter()
        if self._file is not None:
            try:
                os.fsync(self._file.fileno())
                self._file.close()
            except OSError as exc:
                self._disk_refused(exc)
        received = self.transcriber.seconds * SAMPLE_RATE
        if self.expected is not None and self.expected != round(received):
            log.warning(
                "recording %s: the browser sent %d samples but %d arrived", self.token[:6], self.expected, received
            )
            if self.expected > received:
                self.state = "dropped"  # the tail was lost on the way
        self.ended.set()
        threading.Thread(target=self._finish, name=f"finish-{self.token[:6]}", daemon=True).start()

    def _finish(self) -> None:
        try:
            self.transcript = self.transcriber.finish() if self.settle else self.transcriber.snapshot()
        except TranscriptionError as exc:
            self.error = str(exc)
        self.finish_seconds = time.perf_counter() - self.ended_at
        stats = self.transcriber.stats()
        log.info(
            "recording %s %s: %.1f s of audio, final tail %.1f s, transcript %.2f s after the end (%d decodes)",
            self.token[:6],
            self.state,
            stats.audio_seconds,
            stats.final_tail_seconds,
            self.finish_seconds,
            stats.decodes,
        )
        self.finished.set()


def _sample_count(value) -> int | None:
    """The browser's count of samples sent, when it is a count at all."""
    if isinstance(value, bool) or not isinstance(value, int | float) or value != value or value < 0:
        return None
    return int(value) if value < 1 << 40 else None


class CaptureServer:
    """The WebSocket server, one per app process, shared by every browser session."""

    def __init__(
        self,
        model: Model,
        part_dir: Path,
        options: DecodeOptions = DecodeOptions(),
        live: LiveOptions = LiveOptions(),
        host: str = "127.0.0.1",
        port: int = 0,
        home: Path | None = None,  # the data folder, named in disk-fault messages
        settle: bool = True,  # decode what is left at the end; False: a final pass replaces the words
    ):
        self.model, self.part_dir, self.options, self.live = model, part_dir, options, live
        self.settle = settle
        self.home = home or part_dir
        self._sessions: dict[str, CaptureSession] = {}
        self._cuts: dict[str, Any] = {}  # the cut of a finished recording, until cut() takes it
        self._lock = threading.Lock()
        try:
            self._server = serve(
                self._handle, host, port, origins=[LOCAL_ORIGIN], max_size=MAX_MESSAGE, compression=None
            )
        except OSError as exc:
            raise AudioError(
                f"Cannot start live capture on {host}:{port} ({exc}); the simple recorder still works."
            ) from None
        self.host = host
        self.port = self._server.socket.getsockname()[1]
        threading.Thread(target=self._server.serve_forever, name="capture-server", daemon=True).start()
        _SERVERS.add(self)
        log.info("live capture listening on ws://%s:%d", host, self.port)

    def url(self, token: str) -> str:
        return f"ws://{self.host}:{self.port}/{token}"

    def open(
        self,
        note: dict | None = None,
        watch: Callable[[str, float], Any] | None = None,
        speak: Callable[[str], Path] | None = None,
    ) -> str:
        """A token for one new recording; `note` (JSON-able: what its answer row will say) is written
        beside its part file once recording starts, for crash recovery. `watch(text, seconds)` is
        asked on every live update and returns None, or a cut (practice/interrupt.Cut: its `say` is
        spoken by `speak`, which gives a WAV file) that stops the recording; `cut(token)` gives it
        afterwards."""
        token = secrets.token_urlsafe(18)
        with self._lock:
            # Recorders shown but never used (the page moved on) are forgotten after a while.
            stale = [
                t
                for t, s in self._sessions.items()
                if s.state == "waiting" and time.monotonic() - s.created > UNUSED_TOKEN_SECONDS
            ]
            for t in stale:
                del self._sessions[t]
            session = CaptureSession(
                token, self.model, self.options, self.live, self.part_dir / f"{token}.pcm", note, self.home, self.settle
            )
            session.watch, session.speak = watch, speak
            self._sessions[token] = session
        return token

    def recording(self) -> bool:
        """Whether a recording is streaming in right now (the final pass waits for it to end)."""
        with self._lock:
            return any(s.state == "recording" for s in self._sessions.values())

    def session(self, token: str) -> CaptureSession | None:
        with self._lock:
            return self._sessions.get(token)

    def _handle(self, peer: ServerConnection) -> None:
        token = (peer.request.path if peer.request else "").strip("/")
        session = self.session(token)
        if session is None or session.state != "waiting":
            peer.close(4404, "unknown or used recording token")
            return
        session.begin(peer)
        stopped = False
        try:
            for message in peer:
                if isinstance(message, bytes):
                    session.add(message)
                    continue
                try:
                    control = json.loads(message)
                except ValueError:
                    continue
                # Anything but {"type": "stop", ...} is not a message of this protocol: ignored.
                if isinstance(control, dict) and control.get("type") == "stop":
                    session.expected = _sample_count(control.get("samples"))
                    stopped = True
                    break
        except ConnectionClosed:
            pass
        finally:
            session.end(dropped=not stopped)
        if stopped:
            peer.close(1000, "saved")

    def audio(self, token: str, wait: float = 10.0) -> Capture:
        """Every sample of a finished recording, once the browser's end (or the drop) came through.

        The page may rerun before the socket's last message arrives, hence the wait; if the end never
        comes, the recording is ended here as dropped and what arrived is returned.
        """
        session = self.session(token)
        if session is None:
            raise AudioError("This live recording is unknown to the server (was the app restarted?). Record again.")
        if not session.ended.wait(wait):
            session.end(dropped=True)
        return Capture(session.transcriber.audio(), session.state == "dropped", session.expected, session.disk_error)

    def transcript(self, token: str, wait: float = 120.0) -> Finished:
        """The final transcript of an ended recording (started when it ended); forgets the recording."""
        session = self.session(token)
        if session is None or not session.ended.is_set():
            raise AudioError("This live recording has not ended; collect its audio first.")
        if not session.finished.wait(wait):
            session_error = f"The live transcript was not ready after {wait:g} s; press 'Transcribe again'."
            return Finished(None, session_error, wait)
        with self._lock:
            gone = self._sessions.pop(token, None)
            if gone is not None and gone.cut is not None:
                self._cuts[token] = gone.cut
        return Finished(session.transcript, session.error, round(session.finish_seconds, 3))

    def cut(self, token: str) -> Any:
        """The cut that stopped this recording (see open), or None; asked once, after transcript()."""
        with self._lock:
            session = self._sessions.get(token)
            return session.cut if session is not None else self._cuts.pop(token, None)

    def discard_part(self, token: str) -> None:
        """Remove a part file (and its note) once its audio is saved for good."""
        (self.part_dir / f"{token}.pcm").unlink(missing_ok=True)
        (self.part_dir / f"{token}.json").unlink(missing_ok=True)

    def close(self) -> None:
        self._server.shutdown()
