"""Live capture: the browser streams the microphone to a small WebSocket server on localhost.

Each recording has an unguessable token. The browser connects to ws://127.0.0.1:<port>/<token>
and sends 16 kHz mono 16-bit PCM in binary messages of ~100 ms, then the text message
{"type": "stop", "samples": N}. Every chunk is appended to a part file on disk as it arrives,
before it reaches the transcriber, so what was said is on disk even if the app dies. The
server sends the words back as they settle ({"committed": ..., "tentative": ...}) for the
page to show while the user speaks.

When the connection ends without "stop", the recording is kept as far as it arrived and marked
dropped. The final transcript is started the moment the recording ends, in parallel with the
page's rerun that collects it.

No Streamlit here: the page side (the component and its rerun) lives in rehearse/ui.py.
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
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from websockets.exceptions import ConnectionClosed
from websockets.sync.server import ServerConnection, serve

from rehearse.errors import AudioError, RehearseError, TranscriptionError
from rehearse.speech.live import LiveOptions, LiveState, LiveTranscriber
from rehearse.speech.transcribe import SAMPLE_RATE, DecodeOptions, Model, Transcript

log = logging.getLogger(__name__)

# Only pages served from this machine may stream to the server.
LOCAL_ORIGIN = re.compile(r"https?://(localhost|127\.0\.0\.1|\[::1\])(:\d+)?")
MAX_MESSAGE = 1 << 20
UNUSED_TOKEN_SECONDS = 6 * 3600


@dataclass(frozen=True)
class Capture:
    """Every sample of one live recording that reached the server."""

    samples: np.ndarray
    dropped: bool  # the connection ended before the user pressed stop
    expected_samples: int | None  # what the browser said it sent, when it could say

    @property
    def seconds(self) -> float:
        return len(self.samples) / SAMPLE_RATE


@dataclass(frozen=True)
class Finished:
    transcript: Transcript | None
    error: str | None  # why there is no transcript
    seconds: float  # end of recording to final transcript


class CaptureSession:
    def __init__(self, token: str, model: Model, options: DecodeOptions, live: LiveOptions, part_path: Path):
        self.token = token
        self.part_path = part_path
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
            try:
                peer.send(
                    json.dumps(
                        {"committed": state.committed, "tentative": state.tentative, "seconds": state.audio_seconds}
                    )
                )
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
        self.part_path.parent.mkdir(parents=True, exist_ok=True)
        self._file = open(self.part_path, "ab")
        self._peer = peer
        self.state = "recording"
        self.transcriber.start()

    def add(self, pcm: bytes) -> None:
        samples = np.frombuffer(pcm[: len(pcm) - len(pcm) % 2], dtype="<i2")
        with self._end_lock:
            if self.ended.is_set():
                return  # ended from the page's side (the stop never came): the answer is already taken
            self._file.write(samples.tobytes())
            self._file.flush()
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
            os.fsync(self._file.fileno())
            self._file.close()
        self.ended.set()
        threading.Thread(target=self._finish, name=f"finish-{self.token[:6]}", daemon=True).start()

    def _finish(self) -> None:
        try:
            self.transcript = self.transcriber.finish()
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
    ):
        self.model, self.part_dir, self.options, self.live = model, part_dir, options, live
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
        log.info("live capture listening on ws://%s:%d", host, self.port)

    def url(self, token: str) -> str:
        return f"ws://{self.host}:{self.port}/{token}"

    def open(self, watch: Callable[[str, float], Any] | None = None, speak: Callable[[str], Path] | None = None) -> str:
        """A token for one new recording. `watch(text, seconds)` is asked on every live update
        and returns None, or a cut (practice/interrupt.Cut: its `say` is spoken by `speak`, which
        gives a WAV file) that stops the recording; `cut(token)` gives it afterwards."""
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
            session = CaptureSession(token, self.model, self.options, self.live, self.part_dir / f"{token}.pcm")
            session.watch, session.speak = watch, speak
            self._sessions[token] = session
        return token

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
                if control.get("type") == "stop":
                    session.expected = int(control.get("samples", 0)) or None
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
        return Capture(session.transcriber.audio(), session.state == "dropped", session.expected)

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
        """Remove a part file once its audio is saved for good."""
        (self.part_dir / f"{token}.pcm").unlink(missing_ok=True)

    def close(self) -> None:
        self._server.shutdown()
