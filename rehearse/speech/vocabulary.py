"""The user's own words: names of people, companies, products and places they say in answers.

Whisper spells an unfamiliar name by its sounds ("Northwind" came out "morph wind", "Shopify"
"chop of five"); told the names, it writes them as the user does. The list is gathered at run
time from what the user has already typed, so it is never stale and never stored twice: the
company and the people of each debrief, the names in their own questions, plus the words they
add on the Settings page (settings.vocabulary, kept in settings.toml with the other word lists).
`decode_options` hands them to the decoder, as hotwords (chosen with `rehearse bench asr
--vocabulary`, README).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from dataclasses import replace

from rehearse.settings import Settings

from .transcribe import DecodeOptions

log = logging.getLogger(__name__)

# Whisper's prompt and hotwords share its 448-token context with the transcript (faster-whisper
# keeps at most half of it for them): a long list would crowd out the words being decoded.
MAX_WORDS = 60

# Capitalised words that are not names: sentence openers and the like in a typed question.
_NOT_NAMES = frozenset(
    """i i'm i've i'd i'll a an the and or but so if when what why how who which where tell describe
    give walk talk imagine suppose say your you we they he she it this that these those my our their
    his her its is are was were do did does have has had can could would should will may might
    monday tuesday wednesday thursday friday saturday sunday january february march april may june july
    august september october november december ok okay yes no""".split()
)
_WORD = re.compile(r"[A-Za-z][\w'’&.-]*[\w]|[A-Za-z]")


def names_in_text(text: str) -> list[str]:
    """Capitalised words and runs of them ("Dana Scully", "Acme Corp") that do not start a sentence,
    plus words with a capital inside ("iOS", "PostgreSQL"): the names a question mentions."""
    found: list[str] = []
    for sentence in re.split(r"(?<=[.!?:;])\s+|\n+", text):
        tokens = _WORD.findall(sentence)
        run: list[str] = []
        for i, tok in enumerate(tokens):
            inner_capital = any(c.isupper() for c in tok[1:])
            is_name = (tok[0].isupper() and i > 0 or inner_capital) and tok.lower() not in _NOT_NAMES
            if is_name:
                run.append(tok)
                continue
            if run:
                found.append(" ".join(run))
                run = []
        if run:
            found.append(" ".join(run))
    return found


def merge(*groups: Iterable[str]) -> tuple[str, ...]:
    """Names in order of first appearance, one spelling each (the first), blanks dropped."""
    seen: dict[str, str] = {}
    for group in groups:
        for name in group:
            name = " ".join(str(name).split())
            if name:
                seen.setdefault(name.lower(), name)
    return tuple(seen.values())


def gathered(db, settings: Settings) -> tuple[str, ...]:
    """The names the user has typed elsewhere: debrief companies and people, names in own questions."""
    from rehearse.library import own_questions
    from rehearse.store import debriefs

    names: list[str] = []
    for d in debriefs.list_debriefs(db):
        names.append(d.company)
        names.extend(p.name for p in d.people)
    for q in own_questions.load_own(settings).questions:
        for text in (q.text, *q.probes):
            names.extend(names_in_text(text))
    return merge(names)


def vocabulary(db, settings: Settings) -> tuple[str, ...]:
    """What the decoder is told: the user's own list first (they typed it on purpose), then the gathered names."""
    return merge(settings.vocabulary, gathered(db, settings) if db is not None else ())


def decoder_text(names: Iterable[str]) -> str | None:
    """The names as one comma-separated line, at most MAX_WORDS words; None when there are none."""
    out: list[str] = []
    words = 0
    for name in names:
        n = len(name.split())
        if words + n > MAX_WORDS:
            log.info("vocabulary cut at %d words for the decoder's context", words)
            break
        out.append(name)
        words += n
    return ", ".join(out) or None


def decode_options(
    names: Iterable[str], options: DecodeOptions = DecodeOptions(), how: str = "hotwords"
) -> DecodeOptions:
    """`options` with the names given to the decoder: as faster-whisper hotwords (the default), or
    in front of the initial prompt (`how="prompt"`, the alternative the benchmark measures)."""
    text = decoder_text(names)
    if text is None:
        return options
    if how == "hotwords":
        return replace(options, hotwords=", ".join(t for t in (text, options.hotwords) if t))
    if how == "prompt":
        return replace(options, initial_prompt=" ".join(t for t in (text + ".", options.initial_prompt) if t))
    raise ValueError(f"how must be 'hotwords' or 'prompt', not {how!r}")
