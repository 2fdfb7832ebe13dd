"""The interviewer who cuts in: while a live answer is being transcribed, decide when a sharp
interviewer would stop the speaker, and with which follow-up.

Two reasons to cut (a drill with `interrupt = true`, live transcription only):
- the answer runs past the drill's time limit;
- WE_SECONDS of collective claims ("we aligned", "the team drove") with no personal action
  ("I called", "I wrote") since the last one.

The cut asks the best listening probe for what has been said so far, led by "Let me stop you
there." `CutWatch` is fed the live text and the seconds of audio so far (speech/capture.py calls
it on every live update); it holds only what it has seen, and cuts once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from rehearse.library.bank import Drill, Question
from rehearse.measure import mentions
from rehearse.practice import probes
from rehearse.settings import Settings

WE_SECONDS = 40.0
LEAD = "Let me stop you there."
# Said when nothing in the answer can be picked up yet.
FALLBACK = {
    "time": probes.Probe("too_short", "What was the result?", "", None, "the answer ran past the time limit"),
    "we": probes.Probe("vague_we", "What did you do yourself?", "", None, "a lot of 'we' and nothing you did"),
}
# "I" then a verb that is an action, not a state, a hedge or a vague part in it.
_NOT_ACTIONS = (
    "think guess mean believe feel felt was am were have had would could might may hope wish suppose know "
    "knew helped supported contributed participated like liked love loved want wanted need needed"
).split()
_ACTION = re.compile(r"\bI(?:'ve|'d| have| had)?\s+(?:\w+ly\s+)?(?!(?:" + "|".join(_NOT_ACTIONS) + r")\b)[a-z]{2,}\b")


def personal_actions(text: str) -> int:
    """How many times the speaker says what they did themselves ("I called", "I've rewritten")."""
    return len(_ACTION.findall(text))


@dataclass(frozen=True)
class Cut:
    reason: str  # "time" or "we"
    probe: probes.Probe  # its text is what the voice says, "Let me stop you there. ..."
    seconds: float  # into the answer

    @property
    def say(self) -> str:
        """What the voice says when it cuts in."""
        return self.probe.text


class CutWatch:
    """Watches one live answer; `check(text, seconds)` returns the Cut once it is time to cut."""

    def __init__(
        self,
        limit_seconds: float | None,
        question: Question | None = None,
        settings: Settings | None = None,
        tone: str = "plain",
        we_seconds: float = WE_SECONDS,
    ):
        self.limit, self.question, self.settings, self.tone = limit_seconds, question, settings, tone
        self.we_seconds = we_seconds
        self.cut: Cut | None = None
        self._actions = 0
        self._claims = 0  # collective claims up to the last personal action
        self._we_since: float | None = None

    @classmethod
    def for_drill(cls, drill: Drill, question: Question | None, settings: Settings | None) -> CutWatch | None:
        """The watch for an answer in `drill`, None when the drill does not cut in."""
        if not drill.interrupt:
            return None
        return cls(drill.time_limit_seconds, question, settings, drill.tone)

    def check(self, text: str, seconds: float) -> Cut | None:
        if self.cut is not None:
            return None
        reason = None
        if self.limit and seconds >= self.limit:
            reason = "time"
        else:
            actions, claims = personal_actions(text), len(mentions.collective_claims(text))
            if actions > self._actions:
                self._actions, self._claims, self._we_since = actions, claims, None
            elif claims > self._claims and self._we_since is None:
                self._we_since = seconds
            if self._we_since is not None and seconds - self._we_since >= self.we_seconds:
                reason = "we"
        if reason is None:
            return None
        self.cut = Cut(reason, self._probe(text, reason), seconds)
        return self.cut

    def _probe(self, text: str, reason: str) -> probes.Probe:
        found = probes.propose(text, (), self.question, self.settings, tone=self.tone)
        if reason == "we":
            found = [p for p in found if p.kind == "vague_we"] + [p for p in found if p.kind != "vague_we"]
        # A gap about length makes no sense for an answer that ran long.
        found = [p for p in found if p.kind != "too_short"]
        best = found[0] if found else FALLBACK[reason]
        return replace(best, text=f"{LEAD} {best.text}")
