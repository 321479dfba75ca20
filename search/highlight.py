"""Snippets of a hit's own text with the searched words marked.

Whoosh's highlighter picks the best fragments; this formatter escapes every
character of member text, so a snippet is markup only where it says
``<mark>``. The text is cut before highlighting so a long post costs little.
"""

from django.utils.html import escape, strip_tags
from django.utils.safestring import mark_safe
from django.utils.text import Truncator
from whoosh import highlight

from .query import ANALYZER

MAX_TEXT = 20_000
SNIPPET_CHARS = 240


class _EscapingFormatter(highlight.Formatter):
    between = " … "

    def _text(self, text):
        return escape(text)

    def format_token(self, text, token, replace=False):
        return f"<mark>{escape(highlight.get_text(text, token, replace))}</mark>"


_FRAGMENTER = highlight.ContextFragmenter(maxchars=SNIPPET_CHARS, surround=70)
_FORMATTER = _EscapingFormatter()


def plain(text):
    """Member text as a reader sees it: no tags, one line."""
    return " ".join(strip_tags(str(text or ""))[:MAX_TEXT].split())


def snippet(text, terms):
    """Safe HTML: the best fragments of ``text`` with ``terms`` (stemmed) marked,
    else the start of the text."""
    text = plain(text)
    if not text:
        return ""
    marked = ""
    if terms:
        try:
            marked = highlight.highlight(text, terms, ANALYZER, _FRAGMENTER, _FORMATTER, top=2)
        except Exception:  # noqa: BLE001 - a snippet is never worth an error page
            marked = ""
    if marked:
        return mark_safe(marked)  # noqa: S308 - every piece of member text was escaped above
    return escape(Truncator(text).chars(SNIPPET_CHARS))


def mark(text, terms):
    """A short text (a title) with ``terms`` marked, all of it escaped."""
    text = " ".join(str(text or "").split())
    if not terms or not text:
        return escape(text)
    try:
        marked = highlight.highlight(text, terms, ANALYZER, highlight.WholeFragmenter(), _FORMATTER, top=1)
    except Exception:  # noqa: BLE001
        marked = ""
    return mark_safe(marked) if marked else escape(text)  # noqa: S308 - escaped by the formatter
