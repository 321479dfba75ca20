"""Markdown for private messages, rendered and sanitised like posts.

The same dialect as discussions (CommonMark with tables and strikethrough,
raw HTML off, links limited to http, https and mailto, the output passed
through nh3's allowlist), written here because this app stands on `connect`
and `notifications` only. Messages are shorter than posts, and their
structure is bounded before parsing, so the worst message costs about as much
as an ordinary long one. Images are shown as links: an image from another
server would tell it who read the message and when.
"""

from __future__ import annotations

import re

import nh3
from markdown_it import MarkdownIt

MAX_SOURCE_CHARS = 20_000
MAX_NESTING = 20
MAX_STRUCTURE = 800

_SAFE_SCHEMES = frozenset({"http", "https", "mailto"})
_SCHEME = re.compile(r"^([^:/?#]*):")
_PREFIX = re.compile(r"^(?:[ \t>]|[*+-](?=[ \t])|\d{1,9}[.)](?=[ \t]))+", re.MULTILINE)
_BLOCK_START = re.compile(r"(?:\A|\n[ \t]*\n)\s*\S")


class MessageTooComplex(ValueError):
    """The message nests or structures more than a message needs; the text is for the sender."""


def _validate_link(url):
    match = _SCHEME.match(url.strip())
    return match is None or match.group(1).lower() in _SAFE_SCHEMES


def _build():
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False, "maxNesting": 50})
    md.enable(["table", "strikethrough"])
    md.disable(["image"])
    md.validateLink = _validate_link
    return md


_PARSER = _build()
_CLEANER = nh3.Cleaner(
    tags={
        "p",
        "br",
        "hr",
        "h3",
        "h4",
        "h5",
        "h6",
        "strong",
        "em",
        "del",
        "s",
        "code",
        "pre",
        "blockquote",
        "ul",
        "ol",
        "li",
        "a",
        "table",
        "thead",
        "tbody",
        "tr",
        "th",
        "td",
    },
    clean_content_tags={"script", "style", "iframe", "object", "embed", "svg", "math", "template"},
    attributes={"a": {"href", "title"}, "ol": {"start"}},
    url_schemes=set(_SAFE_SCHEMES),
    link_rel="nofollow noopener noreferrer",
    strip_comments=True,
)
# Headings inside a message sit below the page's own h1/h2.
_HEADINGS = re.compile(r"<(/?)h([1-6])>")


def _demote(match):
    level = min(6, int(match.group(2)) + 2)
    return f"<{match.group(1)}h{level}>"


def structure_cost(source):
    """A cheap (regex-only) weight of the block structure, and the deepest line prefix."""
    cost = len(_BLOCK_START.findall(source)) + source.count("|") // 4
    deepest = 0
    for prefix in _PREFIX.findall(source):
        cost += len(prefix) // 2
        deepest = max(deepest, prefix.count(">") + len(re.findall(r"[*+-]|\d[.)]", prefix)))
    return cost, deepest


def render_message(source):
    """Sanitised HTML for ``source``; raises :class:`MessageTooComplex` with a message for the sender."""
    if not source:
        return ""
    cost, deepest = structure_cost(source)
    if deepest > MAX_NESTING:
        raise MessageTooComplex(
            f"The message nests quotes or lists more than {MAX_NESTING} levels deep. Please simplify it."
        )
    if cost > MAX_STRUCTURE:
        raise MessageTooComplex(
            "The message has more paragraphs, lists or table cells than a message can hold. "
            "Please shorten it or attach a file instead."
        )
    try:
        html = _PARSER.render(source)
    except RecursionError as exc:
        raise MessageTooComplex("The message is nested too deeply. Please simplify it.") from exc
    return _CLEANER.clean(_HEADINGS.sub(_demote, html))


def quote_markdown(name, body):
    """``body`` as a Markdown quote attributed to ``name``, for the reply box."""
    lines = (body or "").strip().splitlines()[:40]
    quoted = "\n".join(f"> {line}" if line.strip() else ">" for line in lines)
    return f"> **{name}** wrote:\n>\n{quoted}\n\n"
