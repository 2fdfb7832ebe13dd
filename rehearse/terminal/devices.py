"""Audio devices for the terminal drill, through sounddevice (PortAudio).

The only module that imports sounddevice, and only inside functions: the app, `rehearse check`
and everything else keep working on a machine without PortAudio or without a sound card.
Every PortAudio failure becomes an AudioDeviceError that says what to install or plug in.
"""

from __future__ import annotations

import logging
import queue
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rehearse.errors import AudioDeviceError
from rehearse.speech.audio import read_audio

log = logging.getLogger(__name__)

KINDS = ("input", "output")
BLOCK_SECONDS = 0.1
# 16-bit is what microphones deliver and what answers are saved as. It is also the one format
# ALSA's `file` plugin (the tests' fake microphone) captures intact: float capture through it
# comes back garbled.
SAMPLE_FORMAT = "int16"
INSTALL_HINT = (
    "Install PortAudio: on Debian or Ubuntu `sudo apt-get install libportaudio2`, on Fedora "
    "`sudo dnf install portaudio`, on macOS `brew install portaudio`. The app (`make run`) does not need it."
)
WHAT_TO_PLUG = {"input": "a microphone or a headset", "output": "speakers, headphones or a headset"}


def plug_hint(kind: str | None = None) -> str:
    what = WHAT_TO_PLUG.get(kind, "a headset, or a microphone and speakers")
    return (
        f"Plug in {what} and check it is not muted or used by another program; `rehearse devices` lists "
        "what PortAudio finds, and on Linux `arecord -l` and `aplay -l` list what ALSA sees."
    )


@dataclass(frozen=True)
class Device:
    index: int
    name: str
    hostapi: str
    inputs: int
    outputs: int
    default_samplerate: float
    default_input: bool = False
    default_output: bool = False

    def channels(self, kind: str) -> int:
        return self.inputs if kind == "input" else self.outputs

    def label(self) -> str:
        return f"[{self.index}] {self.name} ({self.hostapi})"


def _sounddevice():
    try:
        import sounddevice
    except OSError as exc:
        raise AudioDeviceError(
            f"The terminal drill needs the PortAudio library, and it cannot be loaded ({exc}). {INSTALL_HINT}"
        ) from None
    except ImportError as exc:
        raise AudioDeviceError(
            f"The Python package sounddevice is missing ({exc}): run `make install` or `pip install sounddevice`."
        ) from None
    return sounddevice


def list_devices() -> tuple[Device, ...]:
    """Every device PortAudio can open, with the default input and output marked."""
    sd = _sounddevice()
    try:
        raw = sd.query_devices()
        default_in, default_out = sd.default.device
        hostapis = [h["name"] for h in sd.query_hostapis()]
    except sd.PortAudioError as exc:
        raise AudioDeviceError(f"PortAudio cannot list the audio devices ({exc}). {plug_hint()}") from None
    return tuple(
        Device(
            int(d["index"]),
            d["name"],
            hostapis[d["hostapi"]] if d["hostapi"] < len(hostapis) else "?",
            int(d["max_input_channels"]),
            int(d["max_output_channels"]),
            float(d["default_samplerate"]),
            int(d["index"]) == default_in,
            int(d["index"]) == default_out,
        )
        for d in raw
    )


def choose_device(devices: tuple[Device, ...], spec: str | None, kind: str) -> Device:
    """The device for `kind` ("input" or "output"): the default when spec is empty, else an index,
    an exact name or a part of one name (case-insensitive)."""
    usable = [d for d in devices if d.channels(kind) > 0]
    option = f"--{kind}"
    if not usable:
        raise AudioDeviceError(f"No audio {kind} device was found. {plug_hint(kind)}")
    choices = ", ".join(d.label() for d in usable)
    if not spec:
        for d in usable:
            if d.default_input if kind == "input" else d.default_output:
                return d
        raise AudioDeviceError(f"There is no default {kind} device. Choose one with {option}: {choices}.")
    if spec.strip().isdigit():
        for d in usable:
            if d.index == int(spec):
                return d
        raise AudioDeviceError(f"{option} {spec}: no {kind} device has that index. Choose one of: {choices}.")
    wanted = spec.strip().lower()
    exact = [d for d in usable if d.name.lower() == wanted]
    if exact:
        return exact[0]
    partial = [d for d in usable if wanted in d.name.lower()]
    if len(partial) == 1:
        return partial[0]
    if partial:
        raise AudioDeviceError(
            f"{option} {spec!r} matches several {kind} devices: "
            f"{', '.join(d.label() for d in partial)}; give the index or more of the name."
        )
    raise AudioDeviceError(f"{option} {spec!r}: no {kind} device has that name. Choose one of: {choices}.")


def play(path: Path, device: Device) -> None:
    """Play an audio file to the end on `device` (blocking)."""
    sd = _sounddevice()
    samples, rate = read_audio(path)
    try:
        try:
            sd.check_output_settings(device.index, channels=samples.shape[1], dtype="float32", samplerate=rate)
        except (sd.PortAudioError, ValueError):
            # A raw hardware device may not take the voice's 22.05 kHz: resample to its own rate.
            target = int(device.default_samplerate)
            positions = np.linspace(0, len(samples) - 1, int(len(samples) * target / rate))
            samples = np.stack(
                [np.interp(positions, np.arange(len(samples)), samples[:, c]) for c in range(samples.shape[1])], axis=1
            ).astype(np.float32)
            rate = target
        sd.play(samples, rate, device=device.index)
        sd.wait()
    except sd.PortAudioError as exc:
        raise AudioDeviceError(
            f"Cannot play sound on {device.label()} ({exc}). Choose another with --output, or: {plug_hint('output')}"
        ) from None


class Microphone:
    """A started input stream; `read` hands out mono float32 blocks of about 0.1 s (16-bit capture).

    Use as a context manager. The PortAudio callback only copies samples into a queue; all
    the logic is in rehearse.terminal.recorder.
    """

    def __init__(self, device: Device):
        self.device = device
        self.sample_rate = 16000
        self.overflows = 0
        self._blocks: queue.Queue[np.ndarray] = queue.Queue()
        self._stream = None

    def _format(self, sd) -> tuple[int, int]:
        """16 kHz mono when the device takes it (no resampling later), else what the device offers."""
        rate = int(self.device.default_samplerate) or 16000
        for candidate in ((16000, 1), (rate, 1), (rate, min(2, self.device.inputs))):
            try:
                sd.check_input_settings(
                    self.device.index, channels=candidate[1], dtype=SAMPLE_FORMAT, samplerate=candidate[0]
                )
                return candidate
            except (sd.PortAudioError, ValueError) as exc:
                log.info("input %s refuses %s Hz x %s: %s", self.device.label(), *candidate, exc)
        return rate, 1

    def _callback(self, indata, frames, time, status) -> None:
        if status.input_overflow:
            self.overflows += 1
        self._blocks.put(indata.mean(axis=1, dtype=np.float32) / 32768.0)

    def __enter__(self) -> Microphone:
        sd = _sounddevice()
        try:
            self.sample_rate, channels = self._format(sd)
            self._stream = sd.InputStream(
                device=self.device.index,
                samplerate=self.sample_rate,
                channels=channels,
                dtype=SAMPLE_FORMAT,
                blocksize=int(self.sample_rate * BLOCK_SECONDS),
                callback=self._callback,
            )
            self._stream.start()
        except sd.PortAudioError as exc:
            raise AudioDeviceError(
                f"Cannot record from {self.device.label()} ({exc}). Choose another with --input, "
                f"or: {plug_hint('input')}"
            ) from None
        return self

    def read(self, timeout: float) -> np.ndarray | None:
        try:
            return self._blocks.get(timeout=timeout)
        except queue.Empty:
            return None

    def __exit__(self, *exc_info) -> None:
        if self._stream is not None:
            try:
                self._stream.stop()
                self._stream.close()
            except Exception as exc:  # closing a device that vanished must not hide the recording
                log.warning("closing the input stream failed: %s", exc)
        if self.overflows:
            log.warning("%d input overflow(s): some audio was dropped while recording", self.overflows)


class AudioDevices:
    """The chosen input and output devices, opened per use: what the terminal drill plays and records with."""

    def __init__(self, input_spec: str | None = None, output_spec: str | None = None):
        found = list_devices()
        self.input = choose_device(found, input_spec, "input")
        self.output = choose_device(found, output_spec, "output")

    def play(self, path: Path) -> None:
        play(path, self.output)

    def microphone(self) -> Microphone:
        return Microphone(self.input)
