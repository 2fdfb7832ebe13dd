"""`rehearse drill` and `rehearse devices`: the drill loop in a terminal, with the local microphone.

Same pieces as the app (bank, voice, pipeline, storage), so a terminal session is planned, saved
and transcribed exactly like one in the browser and shows up on the review page. Audio goes
through rehearse.terminal.devices; recording rules are in rehearse.terminal.recorder.
"""

from __future__ import annotations

import argparse
import queue
import random
import shutil
import sys
import textwrap
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol, TextIO

from rehearse.clock import minutes_seconds
from rehearse.errors import AudioDeviceError, DrillError, RehearseError
from rehearse.library import bank
from rehearse.measure import feedback
from rehearse.practice import pipeline
from rehearse.practice.run import DrillRun, is_usable
from rehearse.settings import Settings
from rehearse.speech.final import load_final
from rehearse.speech.transcribe import Model
from rehearse.speech.voice import Voice
from rehearse.store import Database, database, recovery
from rehearse.terminal import devices
from rehearse.terminal.recorder import Recorder, Recording, RecordingOptions, record

STOP_MESSAGES = {
    "enter": "Stopped.",
    "silence": "Stopped after {silence:g} s of silence.",
    "limit": "Stopped at the {limit} length limit.",
    "stalled": "The microphone stopped sending audio; check that it is still plugged in (`rehearse devices`).",
    "interrupted": "Interrupted.",
}
# ---------------------------------------------------------------- terminal input and output


class LineReader:
    """Lines typed (or piped) on stdin, read by a daemon thread so recording can poll for Enter.

    Every prompt reads through here too, so no two readers ever compete for the same input.
    """

    def __init__(self, stream: TextIO):
        self._lines: queue.Queue[str | None] = queue.Queue()
        self.eof = False
        threading.Thread(target=self._pump, args=(stream,), daemon=True, name="stdin-lines").start()

    def _pump(self, stream: TextIO) -> None:
        try:
            for line in iter(stream.readline, ""):
                self._lines.put(line.rstrip("\r\n"))
        finally:
            self._lines.put(None)

    def poll(self) -> bool:
        """True when a line (Enter) came in since the last call; never blocks."""
        if self.eof:
            return False
        try:
            line = self._lines.get_nowait()
        except queue.Empty:
            return False
        if line is None:
            self.eof = True
            return False
        return True

    def get(self) -> str | None:
        """The next line, or None once input has ended."""
        if self.eof:
            return None
        line = self._lines.get()
        if line is None:
            self.eof = True
        return line


class Console:
    """What the drill prints and asks. On a terminal the meter redraws in place; into a pipe or
    a log it prints one meter line per second of recording."""

    def __init__(self, out: TextIO, lines: LineReader, tty: bool | None = None):
        self.out = out
        self.lines = lines
        self.tty = out.isatty() if tty is None else tty
        self._last_draw = 0.0
        self._last_second = -1
        self._echoed = False

    def say(self, text: str = "") -> None:
        self.out.write(text + "\n")
        self.out.flush()

    def ask(self, prompt: str) -> str | None:
        self.out.write(prompt)
        self.out.flush()
        line = self.lines.get()
        if not self.tty:
            self.out.write("\n")  # nothing echoed the answer's newline
        return None if line is None else line.strip()

    def status(self, text: str, *, piped: bool = False) -> None:
        """A line that the next status replaces on a terminal; into a pipe only when `piped`."""
        if self.tty:
            width = max(20, shutil.get_terminal_size().columns - 1)
            self.out.write("\r" + text[:width] + "\x1b[K")
            self.out.flush()
        elif piped:
            self.say(text)

    def meter(self, rec: Recorder) -> None:
        if self.tty:
            if rec.reason == "enter":
                # The terminal echoed that Enter: the meter's line is already finished.
                self._echoed = True
                return
            now = time.monotonic()
            if now - self._last_draw >= 0.1 or rec.reason:
                self._last_draw = now
                self.status(rec.meter())
        elif int(rec.elapsed) != self._last_second:
            self._last_second = int(rec.elapsed)
            self.say(rec.meter())

    def end_status(self) -> None:
        if self.tty and not self._echoed:
            self.out.write("\n")
        self._last_second, self._echoed = -1, False


# ---------------------------------------------------------------- the drill loop


class AudioIO(Protocol):
    def play(self, path) -> None: ...

    def microphone(self): ...


@dataclass(frozen=True)
class DrillOptions:
    stop_silence: float = 3.0
    max_seconds: float = 900.0


class _Quit(Exception):
    """The user asked to end the drill (q, or input ended)."""


def _wrapped(text: str, indent: str = "  ") -> str:
    width = max(40, min(100, shutil.get_terminal_size().columns - 1))
    return textwrap.fill(text, width=width, initial_indent=indent, subsequent_indent=indent)


class TerminalDrill:
    """One run of a drill: speaks, records, transcribes, rates, and saves every take as it goes."""

    def __init__(
        self,
        settings: Settings,
        db: Database,
        model: Model,
        voice: Voice,
        audio_io: AudioIO,
        console: Console,
        options: DrillOptions = DrillOptions(),
    ):
        self.settings, self.db, self.model, self.voice = settings, db, model, voice
        self.audio_io, self.console, self.options = audio_io, console, options
        self.interrupted = False  # Ctrl+C, as opposed to q or the end of input

    def run(self, run: DrillRun, questions: Mapping[str, bank.Question]) -> str | None:
        """Drives `run` to its end; returns its session id, None when nothing was answered or
        skipped (no session is stored then). The session is `completed`, or `ended` when stopped early."""
        say = self.console.say
        try:
            while not run.finished:
                self._step(run, questions.get(run.step.question_id))
        except _Quit:
            pass
        except KeyboardInterrupt:
            self.interrupted = True
            say("")
        finally:
            run.end(self.db)  # nothing to do once the last step is done
        saved = database.get_session(self.db, run.session_id).answer_count if run.session_id else 0
        say("")
        say(
            f"Drill {'ended early' if run.ended_early else 'complete'}: {run.drill.title}. {saved} answer(s) saved; "
            "they are on the app's Review page (`make run`)."
        )
        return run.session_id

    def _step(self, run: DrillRun, question: bank.Question | None) -> None:
        """Plays, records and rates the run's current step, then moves the run on (or skips)."""
        say = self.console.say
        step, drill = run.step, run.drill
        say("")
        say(f"== {run.position_text()}")
        if step.is_probe:
            say(f"(on: {step.question_text})")
        picked = run.picked_up(self.db)
        if picked is not None:
            say(f"({picked.caption})")
            if picked.segments:
                say(_wrapped("You said: " + marked(picked.segments)))
        say(_wrapped(step.prompt, ""))
        self._play(step.prompt)
        hints = []
        if drill.think_seconds:
            hints.append(f"take up to {drill.think_seconds:g} s to think")
        if drill.time_limit_seconds:
            hints.append(f"answer within {drill.time_limit_seconds:g} s")
        if hints:
            say("(" + ", ".join(hints) + ")")
        target = question.target_seconds if question and not step.is_probe else None
        category = question.category if question else None
        while True:
            choice = self._ask(
                "Press Enter to start recording (p = play the question again, s = skip, q = end the drill): ",
                ("", "p", "s", "q"),
            )
            if choice == "p":
                self._play(step.prompt)
                continue
            if choice == "s":
                run.skip(self.db)
                say("Skipped.")
                return
            answer = self._take(run, target, category)
            if not is_usable(answer):
                # A refused take is kept but is not the answer: record again or skip.
                say("This take does not count as your answer: record again, or skip.")
                continue
            # The follow-ups this answer invites go first, and the voice starts speaking them now.
            run.listen(self.db, self.settings, answer, question, voice=self.voice)
            choice = self._ask(
                "Rate this answer 1-5 (Enter = no rating, r = record again, q = end the drill): ",
                ("", "r", "q", "1", "2", "3", "4", "5"),
            )
            if choice == "r":
                run.record_again()
                continue
            note = self._ask("Note (Enter for none): ", None)
            if choice or note:
                database.set_rating(self.db, answer.id, stars=int(choice) if choice else None, note=note or None)
            run.advance(self.db)
            return

    def _ask(self, prompt: str, valid: tuple[str, ...] | None) -> str:
        while True:
            line = self.console.ask(prompt)
            if line is None or (valid is not None and line.lower() == "q"):
                raise _Quit
            if valid is None or line.lower() in valid:
                return line if valid is None else line.lower()
            self.console.say(
                f"{line!r} is not one of the choices: type {', '.join(repr(v) for v in valid if v)} or just press Enter."
            )

    def _play(self, text: str) -> None:
        # The text is on screen, so a voice or speaker problem is reported and the drill goes on.
        try:
            self.audio_io.play(self.voice.speak(text))
        except RehearseError as exc:
            self.console.say(f"(The question cannot be played: {exc})")

    def _take(self, run: DrillRun, target, category: str | None) -> database.Answer:
        """Records one take, saves it before anything else, then transcribes it and shows the feedback."""
        say = self.console.say
        drill = run.drill
        options = RecordingOptions(
            stop_silence=self.options.stop_silence,
            silence_dbfs=self.settings.silence_dbfs,
            max_seconds=self.options.max_seconds,
            time_limit=drill.time_limit_seconds,
        )
        say("Recording: answer now.")
        with self.audio_io.microphone() as mic:
            recording = record(mic, options, enter_pressed=self.console.lines.poll, show=self.console.meter)
        self.console.end_status()
        say(self._stop_message(recording))
        take = pipeline.Take.of_samples(recording.samples, recording.sample_rate)
        if recording.reason == "interrupted":
            pipeline.save_answer(self.db, self.settings, run.session(self.db), run.step, take)
            say(f"Your recording ({recording.duration:.1f} s) is saved.")
            raise KeyboardInterrupt

        transcribing = []

        def saved(answer: database.Answer) -> None:
            if answer.status != "failed":
                transcribing.append(answer.id)
                self.console.status("Transcribing…", piped=True)

        answer = pipeline.answer(
            self.db,
            self.settings,
            self.model,
            run.session(self.db),
            run.step,
            take,
            target=target,
            category=category,
            on_saved=saved,
            on_progress=lambda f: self.console.status(f"Transcribing… {f:.0%}"),
        )
        if transcribing:
            self.console.end_status()
        self._show(answer, drill)
        return answer

    def _stop_message(self, recording: Recording) -> str:
        template = STOP_MESSAGES[recording.reason]
        text = template.format(silence=self.options.stop_silence, limit=minutes_seconds(self.options.max_seconds))
        return f"{text} Recorded {recording.duration:.1f} s."

    def _show(self, answer: database.Answer, drill: bank.Drill) -> None:
        say = self.console.say
        if answer.status == "transcribed":
            say("You said:")
            say(_wrapped(answer.transcript or ""))
            for line in feedback.text_lines(answer.metrics or {}):
                say(f"  {line}")
            if answer.metrics:
                say(f"  {feedback.FILLER_NOTE}")
        else:
            say(f"Not transcribed: {answer.error} (the recording is kept).")
        if drill.time_limit_seconds and answer.duration and answer.duration > drill.time_limit_seconds:
            say(f"That answer ran {answer.duration:.0f} s, over the drill's {drill.time_limit_seconds:g} s limit.")


# ---------------------------------------------------------------- commands


def marked(segments) -> str:
    """Transcript pieces (practice.run.PickedUp.segments) with the quoted words between » and «."""
    return "".join(f"»{text}«" if hit else text for text, hit in segments)


def drill_list_text(library: bank.Library) -> str:
    lines = ["Drills (run one with `rehearse drill ID`):"]
    for drill_id, drill in library.drills.items():
        lines.append(
            f"  {drill_id:<24} {drill.title}: {drill.count} question(s), "
            f"up to {drill.probes_per_question} follow-up(s) each"
        )
        lines.append(_wrapped(drill.description, " " * 27))
    if not library.drills:
        lines.append("  (none could be loaded; run `rehearse check`)")
    return "\n".join(lines)


def devices_text(found: tuple[devices.Device, ...]) -> str:
    lines = []
    for kind in devices.KINDS:
        lines.append(f"{kind.capitalize()} devices (choose with --{kind} INDEX or NAME):")
        usable = [d for d in found if d.channels(kind) > 0]
        for d in usable:
            default = d.default_input if kind == "input" else d.default_output
            lines.append(
                f"  {'*' if default else ' '} {d.label()}, {d.channels(kind)} channel(s), "
                f"{d.default_samplerate:g} Hz{'  (default)' if default else ''}"
            )
        if not usable:
            lines.append("    none found")
    return "\n".join(lines)


def cmd_devices(args: argparse.Namespace, settings: Settings) -> int:
    found = devices.list_devices()
    if not found:
        raise AudioDeviceError(f"PortAudio found no audio device. {devices.plug_hint()}")
    print(devices_text(found))
    return 0


def cmd_drill(args: argparse.Namespace, settings: Settings) -> int:
    library = bank.load_library(settings)
    for problem in library.problems:
        print(f"warning: skipped a broken file: {problem}", file=sys.stderr)
    if not args.drill:
        print(drill_list_text(library))
        return 0
    drill = library.drills.get(args.drill)
    if drill is None:
        raise DrillError(
            f"No drill {args.drill!r}; choose one of: {', '.join(library.drills) or '(none loaded)'}. "
            "`rehearse drill` lists them."
        )
    # Devices first: a missing PortAudio or microphone is reported before anything loads or is stored.
    audio_io = devices.AudioDevices(args.input, args.output)
    print(f"Microphone: {audio_io.input.label()} · sound out: {audio_io.output.label()}")
    print(f"{drill.title}: {drill.description}")
    print("Loading the speech model…", flush=True)
    model = load_final(settings)
    voice = Voice(settings)
    db = database.open_database(settings)
    for answer_id in recovery.recover(db, settings):
        print(f"Recovered a recording a crash left unsaved ({answer_id}); it is on the app's Review page.")
    stop_silence = settings.stop_silence_seconds if args.silence is None else args.silence
    console = Console(sys.stdout, LineReader(sys.stdin))
    run = DrillRun.start(drill, library.questions, seed=random.randrange(1 << 30), source="terminal")
    terminal = TerminalDrill(settings, db, model, voice, audio_io, console, DrillOptions(stop_silence))
    terminal.run(run, library.questions)
    return 130 if terminal.interrupted else 0


def seconds_arg(text: str) -> float:
    """argparse type for --silence: 0 or more seconds."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text} must be 0 (stop with Enter only) or more seconds")
    return value
