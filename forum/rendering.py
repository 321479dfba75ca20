"""The discussions' Markdown: the site's one dialect (:mod:`connect.markdown`) within a post's limits.

How Markdown is parsed, sanitised and kept cheap for hostile input is
described in :mod:`connect.markdown`, which private messages use too. A post
may be up to 50,000 characters, nest quotes and lists 50 levels deep and
weigh up to 1,500 in block structure; ``@handles`` become links to the members
they name when ``mention_url`` knows them.
"""

from __future__ import annotations

from collections.abc import Callable

from connect import markdown
from connect.markdown import (
    MAX_INLINE_MARKUP,
    MAX_MENTIONS,
    Limits,
    MarkdownTooComplex,
    MarkdownTooLong,
    markup_cost,
    structure_cost,
)

__all__ = [
    "MAX_INLINE_MARKUP",
    "MAX_MENTIONS",
    "MAX_NESTING",
    "MAX_SOURCE_CHARS",
    "MAX_STRUCTURE",
    "POSTS",
    "MarkdownTooComplex",
    "MarkdownTooLong",
    "extract_mentions",
    "markup_cost",
    "render_markdown",
    "structure_cost",
]

POSTS = Limits(noun="post", max_source_chars=50_000, max_nesting=50, max_structure=1_500)
MAX_SOURCE_CHARS = POSTS.max_source_chars
MAX_NESTING = POSTS.max_nesting
MAX_STRUCTURE = POSTS.max_structure


def render_markdown(source: str, *, mention_url: Callable[[str], str | None] | None = None) -> str:
    """A post's sanitised HTML; raises :class:`MarkdownTooLong` or :class:`MarkdownTooComplex`."""
    return markdown.render_markdown(source, limits=POSTS, mention_url=mention_url)


def extract_mentions(source: str) -> list[str]:
    """The ``@handles`` a post mentions, unique and in order (:func:`connect.markdown.extract_mentions`)."""
    return markdown.extract_mentions(source, limits=POSTS)
