"""Markdown for private messages: the site's one dialect within a message's limits.

Messages are rendered and sanitised exactly like posts (:mod:`connect.markdown`:
CommonMark with tables and strikethrough, raw HTML off, links limited to http,
https and mailto, images shown as links so that no other server learns who
read a message and when, the output passed through nh3's allowlist). They are
shorter than posts and nest less; ``@handles`` are not linked in a
conversation, which already names its people.
"""

from __future__ import annotations

from connect.markdown import Limits, MarkdownTooComplex, MarkdownTooLong, render_markdown

MESSAGES = Limits(noun="message", max_source_chars=20_000, max_nesting=20, max_structure=1_500)
MAX_SOURCE_CHARS = MESSAGES.max_source_chars

# What the renderer raises for a message it refuses, with a reason for the sender.
REFUSALS = (MarkdownTooComplex, MarkdownTooLong)


def render_message(source):
    """Sanitised HTML for ``source``; raises one of :data:`REFUSALS` with a message for the sender."""
    return render_markdown(source, limits=MESSAGES)


def quote_markdown(name, body):
    """``body`` as a Markdown quote attributed to ``name``, for the reply box."""
    lines = (body or "").strip().splitlines()[:40]
    quoted = "\n".join(f"> {line}" if line.strip() else ">" for line in lines)
    return f"> **{name}** wrote:\n>\n{quoted}\n\n"
