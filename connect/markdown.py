"""Markdown to safe HTML: the site's one dialect, for posts and messages alike.

Members write posts and private messages in Markdown, and what they write is
shown to other members, so the output must be safe even when the author is
hostile or their account is compromised. Each app gives its own limits
(:class:`Limits`: how long, how deeply nested, how much structure, and the
noun its refusals use); the parsing, sanitising and cost bounds are the same
everywhere. Safety is layered:

1. markdown-it-py parses the source with raw HTML disabled, so any HTML in a
   post is shown as text, and with a link validator that only emits links to
   http, https, mailto or relative URLs.
2. The rendered HTML is then sanitised with nh3 against an explicit
   allowlist of tags, attributes, classes and URL schemes. This is the real
   guarantee; the first layer mostly keeps the output tidy (a rejected link
   is shown as text instead of as an empty ``<a>``).

Images are never embedded: a remote image loads as soon as a post is viewed
and would tell its owner who read the post and from where. An image in the
source becomes an ordinary link to the image, labelled with its alt text.

Headings are demoted by two levels (``#`` becomes ``<h3>``) because the page
around a post already uses ``<h1>`` and ``<h2>``.

Cost is bounded for hostile input:

* Sources longer than the limits' ``max_source_chars`` raise :class:`MarkdownTooLong`.
* Blockquotes and lists nested more than ``max_nesting`` levels raise
  :class:`MarkdownTooComplex`. The depth is measured on the parsed tokens,
  which is exact (a ``>`` inside a code block does not count). The parser is
  configured with its own nesting cap just above what 50 levels need, so
  parsing deeper input stops early and costs little before it is rejected,
  and the recursion stays far below Python's limit. A ``RecursionError``
  from the parser is reported as :class:`MarkdownTooComplex` all the same.
* Block structure costs too: every paragraph, list item, quote level and
  table cell is a few tokens, and markdown-it-py spends a noticeable
  fraction of a millisecond on each, so a post of thousands of one-word
  paragraphs or list items, lines quoted 49 levels deep or thousands of
  table cells took seconds. The structure is weighed before parsing, on the
  raw text with a few regular expressions (:func:`structure_cost`): each
  paragraph counts one, and so does each line starting with a character
  that can open a block (``#``, ``-``, a fence); each list marker at the
  start of a line counts two more, every two characters of indentation,
  ``>`` and markers there one, and every four ``|`` one. A source weighing
  more than ``max_structure`` raises :class:`MarkdownTooComplex`.
  Ordinary writing is far below it (a reply of 50,000 characters in 120
  paragraphs weighs 120); 1,500 short paragraphs or 300 list items reach
  it.
* Inline markup (links, emphasis) is parsed by a second parser that keeps
  markdown-it's stock nesting cap of 20. Its cost grows with the number of
  markup characters (``*``, ``_``, ``[``, ``]``, ``!``, ``~``, ``<``,
  ``&``), by a fraction of a millisecond each for the worst of them (a run
  of unmatched ``![``), so a 50,000-character emphasis bomb took seconds.
  Each post may spend :data:`MAX_INLINE_MARKUP` of them: a paragraph (or
  table cell, or heading) that would take the post over the budget is shown
  as plain text, exactly as written, and later paragraphs that still fit are
  formatted as usual. Ordinary posts use a few dozen.
* At most :data:`MAX_MENTIONS` distinct ``@handles`` per post are looked up
  and linked, so ``mention_url`` (usually a database query) is called a
  bounded number of times; the rest stay text.
* :func:`extract_mentions` remembers its last few answers, because saving a
  post asks for the same post's mentions several times (validation, the
  privacy guard, notifications) and parsing is the expensive part.

Linkify (turning bare URLs into links) is off: markdown-it-py needs the extra
``linkify-it-py`` package for it.
"""

from __future__ import annotations

import html
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import nh3
from markdown_it import MarkdownIt
from markdown_it.renderer import RendererHTML
from markdown_it.rules_core import StateCore
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict

__all__ = [
    "MAX_INLINE_MARKUP",
    "MAX_MENTIONS",
    "Limits",
    "MarkdownTooComplex",
    "MarkdownTooLong",
    "extract_mentions",
    "render_markdown",
]

MAX_INLINE_MARKUP = 1_000
MAX_MENTIONS = 50


@dataclass(frozen=True)
class Limits:
    """What one kind of writing may cost, and the noun its refusals use ("post", "message")."""

    noun: str
    max_source_chars: int
    max_nesting: int
    max_structure: int

    def __post_init__(self):
        if self.max_nesting > _DEEPEST_NESTING:
            raise ValueError(f"The parser nests at most {_DEEPEST_NESTING} levels.")

    def too_long(self):
        return (
            f"This {self.noun} is longer than {self.max_source_chars:,} characters. "
            f"Please shorten it or split it into several {self.noun}s."
        )

    def too_complex(self):
        return (
            f"This {self.noun} nests quotes or lists more than {self.max_nesting} levels deep. "
            "Please simplify it."
        )

    def too_structured(self):
        return (
            f"This {self.noun} has more table cells, quotes or list levels than can be shown. "
            f"Please simplify it or split it into several {self.noun}s."
        )


class MarkdownTooComplex(ValueError):
    """The source nests quotes or lists too deeply, or has too much structure, to be rendered safely."""


class MarkdownTooLong(ValueError):
    """The source is longer than its limits allow."""


# The parser's own cap must hold the deepest nesting any limits allow
# (discussions allow 50 levels).
_DEEPEST_NESTING = 50
# A list costs two parser levels (list, item), a quote one, and a paragraph
# or table adds a few more; this leaves room for the deepest lists allowed.
_BLOCK_MAX_NESTING = 2 * _DEEPEST_NESTING + 10
_INLINE_MAX_NESTING = 20

_SAFE_SCHEMES = frozenset({"http", "https", "mailto"})
_SCHEME = re.compile(r"^([^:/?#]*):")
_CONTAINER_OPEN = frozenset({"blockquote_open", "bullet_list_open", "ordered_list_open"})
_CONTAINER_CLOSE = frozenset({"blockquote_close", "bullet_list_close", "ordered_list_close"})
_ALIGN = re.compile(r"^text-align:(left|center|right)$")
_HEADING_TAGS = {"h1": "h3", "h2": "h4", "h3": "h5", "h4": "h6", "h5": "h6", "h6": "h6"}

# Letters, digits, ".", "_" and "-", as allowed in member handles; a handle
# never ends in "." or "-" so "@maria." at the end of a sentence works. The
# look-behind skips email addresses (maria@example.org) and URL paths.
_MENTION = re.compile(
    r"(?<![\w@./+-])@(?P<handle>[A-Za-z0-9_](?:[A-Za-z0-9._-]{0,148}[A-Za-z0-9_])?)(?![\w@-])"
)

_ENV_MENTION_URL = "connect_mention_url"
_ENV_MENTIONS = "connect_mentions"
_ENV_MENTION_CACHE = "connect_mention_cache"


def _validate_link(url: str) -> bool:
    """Allow relative URLs and the safe schemes only.

    Anything with a colon before the first ``/``, ``?`` or ``#`` is treated
    as having a scheme, so percent-encoded tricks ("jav%09ascript:") and
    unknown schemes are refused rather than passed on as "relative".
    """
    match = _SCHEME.match(url.strip())
    return match is None or match.group(1).lower() in _SAFE_SCHEMES


def _build_parser(max_nesting: int) -> MarkdownIt:
    md = MarkdownIt(
        "commonmark",
        {"html": False, "linkify": False, "typographer": False, "maxNesting": max_nesting},
    )
    md.enable(["table", "strikethrough"])
    md.validateLink = _validate_link  # type: ignore[method-assign]
    return md


_INLINE_PARSER = _build_parser(_INLINE_MAX_NESTING)

# The characters that start (or close) inline markup and make the inline
# parser work; letters, digits, spaces and code backticks are cheap.
_MARKUP_CHARS = "*_[]!~<&"


def markup_cost(text: str) -> int:
    """How many of the inline-markup characters the parser pays for are in ``text``."""
    return sum(map(text.count, _MARKUP_CHARS))


def _inline_rule(state: StateCore) -> None:
    """Parse inline content with the stricter inline nesting cap, within the post's markup budget."""
    budget = MAX_INLINE_MARKUP
    for token in state.tokens:
        if token.type == "inline":
            if token.children is None:
                token.children = []
            cost = markup_cost(token.content)
            if cost > budget:
                plain = Token("text", "", 0)
                plain.content = token.content
                token.children.append(plain)
                continue
            budget -= cost
            _INLINE_PARSER.inline.parse(token.content, _INLINE_PARSER, state.env, token.children)


def _mention_tokens(text: Token, env: EnvType, linkable: bool) -> list[Token]:
    content = text.content
    found: list[str] = env[_ENV_MENTIONS]
    mention_url: Callable[[str], str | None] | None = env.get(_ENV_MENTION_URL)
    # mention_url usually hits the database; ask once per handle per post.
    urls: dict[str, str | None] = env.setdefault(_ENV_MENTION_CACHE, {})
    pieces: list[Token] = []
    cursor = 0
    for match in _MENTION.finditer(content):
        handle = match.group("handle")
        found.append(handle)
        if not linkable or mention_url is None:
            continue
        key = handle.casefold()
        if key not in urls:
            urls[key] = mention_url(handle) if len(urls) < MAX_MENTIONS else None
        url = urls[key]
        if not url:
            continue
        if match.start() > cursor:
            before = Token("text", "", 0)
            before.content = content[cursor : match.start()]
            pieces.append(before)
        link_open = Token("link_open", "a", 1)
        link_open.attrs = {"class": "mention", "href": url}
        link_open.markup = "mention"
        label = Token("text", "", 0)
        label.content = match.group()
        link_close = Token("link_close", "a", -1)
        link_close.markup = "mention"
        pieces.extend((link_open, label, link_close))
        cursor = match.end()
    if not pieces:
        return [text]
    if cursor < len(content):
        after = Token("text", "", 0)
        after.content = content[cursor:]
        pieces.append(after)
    return pieces


def _mentions_rule(state: StateCore) -> None:
    """Find ``@handle`` in text and, when rendering, link known members.

    Runs before text_join, so an escaped ``\\@handle`` stays a separate token
    and is not treated as a mention. Code spans and blocks are different
    token types and are never looked at. Mentions inside link text are
    recorded but not linked, as links cannot nest.
    """
    env = state.env
    env.setdefault(_ENV_MENTIONS, [])
    for block in state.tokens:
        if block.type != "inline" or not block.children:
            continue
        children: list[Token] = []
        link_depth = 0
        for child in block.children:
            if child.type == "link_open":
                link_depth += 1
            elif child.type == "link_close":
                link_depth -= 1
            if child.type == "text" and "@" in child.content:
                children.extend(_mention_tokens(child, env, linkable=link_depth == 0))
            else:
                children.append(child)
        block.children = children


def _presentation_rule(state: StateCore) -> None:
    """Demote headings and turn table alignment into the ``align`` attribute.

    markdown-it writes alignment as a ``style`` attribute, which the
    sanitiser rightly refuses.
    """
    for token in state.tokens:
        if token.type in ("heading_open", "heading_close"):
            token.tag = _HEADING_TAGS.get(token.tag, token.tag)
        elif token.type in ("th_open", "td_open") and token.attrs:
            match = _ALIGN.match(str(token.attrs.get("style", "")))
            token.attrs = {"align": match.group(1)} if match else {}


def _render_image(
    self: RendererHTML,
    tokens: Sequence[Token],
    idx: int,
    options: OptionsDict,
    env: EnvType,
) -> str:
    token = tokens[idx]
    src = str(token.attrGet("src") or "")
    label = self.renderInlineAsText(token.children or [], options, env) or src
    return f'<a href="{html.escape(src)}">{html.escape(label)}</a>'


_PARSER = _build_parser(_BLOCK_MAX_NESTING)
_PARSER.core.ruler.at("inline", _inline_rule)
_PARSER.core.ruler.before("text_join", "connect_mentions", _mentions_rule)
_PARSER.core.ruler.push("connect_presentation", _presentation_rule)
_PARSER.add_render_rule("image", _render_image)

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
        "span",
        "table",
        "thead",
        "tbody",
        "tr",
        "th",
        "td",
    },
    clean_content_tags={
        "script",
        "style",
        "iframe",
        "object",
        "embed",
        "svg",
        "math",
        "template",
        "noscript",
        "textarea",
        "title",
    },
    attributes={"a": {"href", "title"}, "ol": {"start"}},
    tag_attribute_values={
        "th": {"align": {"left", "center", "right"}},
        "td": {"align": {"left", "center", "right"}},
    },
    allowed_classes={"a": {"mention"}, "span": {"mention"}},
    url_schemes=set(_SAFE_SCHEMES),
    link_rel="nofollow noopener noreferrer",
    strip_comments=True,
)


# A block starts after a blank line; a line starting with one of these
# characters may start a block (a heading, a rule, a fence) without one.
_BLOCK_START = re.compile(r"(?:\A|\n[ \t]*\n)\s*\S")
_MAYBE_BLOCK = re.compile(r"^[ \t]*[#=_`~*+-]", re.MULTILINE)
_LIST_MARKER = r"(?:[*+-]|\d{1,9}[.)])(?=[ \t]|$)"
_PREFIX = re.compile(rf"^(?:[ \t>]|{_LIST_MARKER})+", re.MULTILINE)
_MARKER = re.compile(_LIST_MARKER)


def _structure(source: str) -> tuple[int, int]:
    cost = len(_BLOCK_START.findall(source)) + len(_MAYBE_BLOCK.findall(source))
    cost += source.count("|") // 4
    deepest = 0
    for prefix in _PREFIX.findall(source):
        markers = len(_MARKER.findall(prefix))
        cost += len(prefix) // 2 + 2 * markers
        deepest = max(deepest, markers + prefix.count(">"))
    return cost, deepest


def structure_cost(source: str) -> int:
    """Weigh the block structure of ``source`` cheaply (regular expressions only), without parsing it."""
    return _structure(source)[0]


def _parse(source: str, env: EnvType, limits: Limits) -> list[Token]:
    if len(source) > limits.max_source_chars:
        raise MarkdownTooLong(limits.too_long())
    cost, deepest = _structure(source)
    if cost > limits.max_structure:
        # Refused either way; a line opening too many levels says so.
        raise MarkdownTooComplex(
            limits.too_complex() if deepest > limits.max_nesting else limits.too_structured()
        )
    try:
        tokens = _PARSER.parse(source, env)
    except RecursionError as exc:
        raise MarkdownTooComplex(limits.too_complex()) from exc
    depth = 0
    for token in tokens:
        if token.type in _CONTAINER_OPEN:
            depth += 1
            if depth > limits.max_nesting:
                raise MarkdownTooComplex(limits.too_complex())
        elif token.type in _CONTAINER_CLOSE:
            depth -= 1
    return tokens


def render_markdown(
    source: str,
    *,
    limits: Limits,
    mention_url: Callable[[str], str | None] | None = None,
) -> str:
    """Render Markdown to sanitised HTML, within ``limits``.

    ``mention_url`` is called (once per distinct handle, for the first
    :data:`MAX_MENTIONS` of them) with each ``@handle`` outside code and
    links; when it returns a URL the mention
    becomes ``<a class="mention" href="...">@handle</a>``, otherwise it stays
    text. The URL still passes through the sanitiser, so a bad one is dropped.

    Raises :class:`MarkdownTooLong` for sources over the limits'
    ``max_source_chars`` and :class:`MarkdownTooComplex` for quotes or lists
    nested more than ``max_nesting`` levels deep or with more structure than
    ``max_structure``. The exception messages are written for the author.
    """
    if not source:
        return ""
    env: EnvType = {_ENV_MENTION_URL: mention_url}
    tokens = _parse(source, env, limits)
    _remember_mentions((limits, source), _unique_handles(env[_ENV_MENTIONS]))
    try:
        rendered = _PARSER.renderer.render(tokens, _PARSER.options, env)
    except RecursionError as exc:
        raise MarkdownTooComplex(limits.too_complex()) from exc
    return _CLEANER.clean(rendered)


def _unique_handles(found: list[str]) -> tuple[str, ...]:
    seen: set[str] = set()
    handles: list[str] = []
    for handle in found:
        key = handle.casefold()
        if key not in seen:
            seen.add(key)
            handles.append(handle)
    return tuple(handles)


_MENTIONS_CACHE_SIZE = 16
# Keyed by limits and source: a source parsed within a post's limits says nothing of a message's.
_mentions_cache: OrderedDict[tuple[Limits, str], tuple[str, ...]] = OrderedDict()
_mentions_lock = threading.Lock()


def _remember_mentions(key: tuple[Limits, str], handles: tuple[str, ...]) -> None:
    with _mentions_lock:
        _mentions_cache[key] = handles
        _mentions_cache.move_to_end(key)
        while len(_mentions_cache) > _MENTIONS_CACHE_SIZE:
            _mentions_cache.popitem(last=False)


def extract_mentions(source: str, *, limits: Limits) -> list[str]:
    """Return the ``@handle`` mentions in ``source``, without the ``@``.

    Mentions inside code spans and code blocks, inside email addresses and
    escaped as ``\\@handle`` are ignored; mentions in link text count.
    Handles are unique (compared case-insensitively, first spelling kept)
    and in order of first appearance. Raises the same exceptions as
    :func:`render_markdown`.
    """
    if not source:
        return []
    with _mentions_lock:
        cached = _mentions_cache.get((limits, source))
    if cached is None:
        env: EnvType = {_ENV_MENTION_URL: None}
        _parse(source, env, limits)
        cached = _unique_handles(env[_ENV_MENTIONS])
        _remember_mentions((limits, source), cached)
    return list(cached)
