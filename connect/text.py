"""Text a reader would see differently from how it is checked, refused in one place.

Two kinds of character make member-written text (a post, a thread title, a
shared resource's title and summary, a profile field, a flag's details)
mean something other than what it appears to say:

* U+FFFD, which the request parser puts where the bytes were not valid
  UTF-8: part of what the member typed was lost on the way;
* the explicit direction embeddings, overrides and isolates (U+202A–U+202E,
  U+2066–U+2069): invisible, and able to display text in a different order
  from the one it is read, searched and checked in ("Trojan Source"). The
  marks U+200E and U+200F stay allowed, as right-to-left writing needs them.

Such text is refused with a message saying where the characters are, so the
member can retype that part; it is never silently altered.
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError

BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")
UNDECODABLE = "\ufffd"


def _line_numbers(text, positions, limit=5):
    lines = sorted({text.count("\n", 0, pos) + 1 for pos in positions})
    shown = ", ".join(str(n) for n in lines[:limit])
    return shown + (" and more" if len(lines) > limit else "")


def unreadable_text_problem(text, *, lines=True):
    """What is wrong with ``text`` as a sentence for the member, or None.

    ``lines`` says where (``on line 3``); leave it off for one-line fields."""
    if not text:
        return None
    undecodable = [m.start() for m in re.finditer(UNDECODABLE, text)]
    if undecodable:
        where = f", on line {_line_numbers(text, undecodable)}" if lines else ""
        return (
            "Part of the text could not be read (it was not valid UTF-8 and shows as \ufffd)"
            f"{where}. Please retype that part and send it again."
        )
    controls = [m.start() for m in BIDI_CONTROLS.finditer(text)]
    if controls:
        where = f", on line {_line_numbers(text, controls)}" if lines else ""
        return (
            "The text contains invisible characters that reverse the direction of text "
            f"(bidirectional overrides){where}. They can make it read differently from what it "
            "says. Please retype that part, or paste it as plain text."
        )
    return None


def validate_readable_text(value):
    """A form or model field validator for :func:`unreadable_text_problem`."""
    problem = unreadable_text_problem(value if isinstance(value, str) else "", lines="\n" in (value or ""))
    if problem:
        raise ValidationError(problem, code="unreadable")
