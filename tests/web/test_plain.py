"""ui.plain: user text becomes Markdown that shows exactly that text (the browser test renders it)."""

import re

import pytest

from rehearse.web.ui import WORD_JOINER, plain

SAMPLES = [
    "I led the migration, then I wrote a plan.",
    "# Heading **bold** _em_ <b>tag</b> [link](http://x.org) `code` ~~gone~~ 1. item | a | b",
    ":smile: :red[red] $x^2$ &amp; &#42; \\*star\\* a=b^c",
    "mail me@example.com or visit www.example.org, https://example.com/a?b=1 at 3:30",
]


@pytest.mark.parametrize("text", SAMPLES)
def test_plain_escapes_every_markup_character_and_nothing_else(text):
    escaped = plain(text)
    # Undo the escaping: a backslash before an ASCII punctuation character, and the invisible joiners.
    assert re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", escaped).replace(WORD_JOINER, "") == text
    # No markup character is left unescaped.
    assert not re.search(r"(?<!\\)[*_`#<>\[\]$:~|]", escaped.replace("\\\\", ""))


def test_plain_breaks_auto_links_only_where_they_would_form():
    assert WORD_JOINER not in plain("at 3:30, @home, a.b")
    assert plain("www.x.org").startswith("www" + WORD_JOINER)
    assert WORD_JOINER + "\\:" in plain("http://x.org") and WORD_JOINER + "\\@" in plain("me@example.com")
