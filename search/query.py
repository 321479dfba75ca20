"""The query language of the search page, parsed defensively.

Members type what they would type into any search box::

    victim interviews          both words (AND)
    "fusion center"            the exact phrase
    labor -sex                 "labor" but not "sex"
    T-visa OR U-visa           either word

Nothing a member types is ever handed to a search engine as syntax: it is
split here into words and phrases, and the page builds modelsearch query
objects (``PlainText``, ``Phrase``, ``Or``, ``And``, ``Not``) from them.
Unbalanced quotes close at the end, stray operators are dropped, invisible
and control characters are removed, and the length is capped, so every input
gives a sensible and cheap search.
"""

import re
import unicodedata
from dataclasses import dataclass, field

from modelsearch.query import And, Not, Or, Phrase, PlainText
from whoosh.analysis import LowercaseFilter, RegexTokenizer, StemFilter

MAX_QUERY_CHARS = 200
MAX_ITEMS = 16
MAX_PHRASE_WORDS = 12

# The same words the index is built from (search/backends/whoosh.py): a query
# word that yields no word (a lone "*", "--", "“") is not a word.
WORD_REGEX = r"\w+(\.?\w+)*"
ANALYZER = RegexTokenizer(WORD_REGEX) | LowercaseFilter() | StemFilter()
_WORDS = re.compile(WORD_REGEX)
_TOKEN = re.compile(r'(-?)"([^"]*)"?|(\S+)')
# Categories of characters a reader cannot see: control, format (zero-width
# joiners, bidi overrides), unassigned, private use, surrogates.
_INVISIBLE = {"Cc", "Cf", "Cn", "Co", "Cs"}
_QUOTES = str.maketrans({"“": '"', "”": '"', "„": '"', "«": '"', "»": '"', "＂": '"'})


@dataclass(frozen=True)
class Item:
    """One word or one quoted phrase."""

    text: str
    phrase: bool = False

    def __str__(self):
        return f'"{self.text}"' if self.phrase else self.text

    def query(self, expansions=None):
        words = [m.group(0) for m in _WORDS.finditer(self.text)]
        if self.phrase and len(words) > 1:
            return Phrase(" ".join(words[:MAX_PHRASE_WORDS]))
        exact = PlainText(" ".join(words), operator="and")
        extra = (expansions or {}).get(words[0].lower()) if len(words) == 1 else None
        if extra:
            # A word nobody wrote is taken as the start of words people did
            # write ("decon" → deconfliction).
            return Or([exact, PlainText(" ".join(extra), operator="or")])
        return exact


@dataclass
class ParsedQuery:
    """A member's query: AND of groups, each group an OR of items, minus the
    excluded items. ``notes`` tell the member what was changed or ignored."""

    raw: str = ""
    text: str = ""
    groups: list = field(default_factory=list)
    excluded: list = field(default_factory=list)
    notes: list = field(default_factory=list)

    @property
    def is_empty(self):
        return not self.groups

    def items(self):
        return [item for group in self.groups for item in group]

    def words(self):
        """The plain (unquoted, not excluded) words, for spelling and prefixes."""
        words = []
        for item in self.items():
            found = [m.group(0) for m in _WORDS.finditer(item.text)]
            if not item.phrase and len(found) == 1:
                words.append(found[0])
        return words

    def highlight_terms(self, expansions=None):
        """Stemmed terms to mark in snippets: every searched word, never an excluded one."""
        terms = set()
        for item in self.items():
            terms.update(token.text for token in ANALYZER(item.text))
            for extra in (expansions or {}).get(item.text.strip(".,;:!?").lower(), ()):
                terms.update(token.text for token in ANALYZER(extra))
        return terms

    def to_query(self, expansions=None):
        """The modelsearch query object, or None when there is nothing to search for."""
        if self.is_empty:
            return None
        parts = []
        for group in self.groups:
            queries = [item.query(expansions) for item in group]
            parts.append(queries[0] if len(queries) == 1 else Or(queries))
        for item in self.excluded:
            parts.append(Not(item.query()))
        return parts[0] if len(parts) == 1 else And(parts)

    def replaced(self, corrections):
        """This query's text with some words replaced (for "Did you mean")."""
        out = []
        for group in self.groups:
            out.append(" OR ".join(str(Item(corrections.get(i.text, i.text), i.phrase)) for i in group))
        out.extend(f"-{item}" for item in self.excluded)
        return " ".join(out)


def clean(raw):
    """The query as the page shows it: normalised, visible characters only, capped."""
    text = unicodedata.normalize("NFKC", str(raw or "")[: MAX_QUERY_CHARS * 8])
    text = "".join(" " if unicodedata.category(ch) in _INVISIBLE else ch for ch in text)
    return " ".join(text.translate(_QUOTES).split())[:MAX_QUERY_CHARS]


def _has_words(text):
    return bool(_WORDS.search(text))


def parse(raw):
    """Parse what a member typed; never raises."""
    text = clean(raw)
    parsed = ParsedQuery(raw=str(raw or ""), text=text)
    if len(" ".join(parsed.raw.split())) > MAX_QUERY_CHARS:
        parsed.notes.append(f"Only the first {MAX_QUERY_CHARS} characters of your search were used.")
    if text.count('"') % 2:
        parsed.notes.append("A quote was not closed; the phrase runs to the end of your search.")
    pending_or = False
    count = 0
    for match in _TOKEN.finditer(text):
        negative, quoted, bare = match.group(1), match.group(2), match.group(3)
        if bare is not None:
            if bare == "OR":
                pending_or = bool(parsed.groups)
                continue
            negative = "-" if bare.startswith("-") else ""
            body = bare.lstrip("-").strip('"')
            item = Item(body) if _has_words(body) else None
        else:
            body = " ".join(quoted.split())
            item = Item(body, phrase=True) if _has_words(body) else None
        if item is None:
            continue
        count += 1
        if count > MAX_ITEMS:
            parsed.notes.append(f"Only the first {MAX_ITEMS} words and phrases were used.")
            break
        if negative:
            parsed.excluded.append(item)
            pending_or = False
        elif pending_or:
            parsed.groups[-1].append(item)
            pending_or = False
        else:
            parsed.groups.append([item])
    if parsed.is_empty and parsed.excluded:
        parsed.notes.append("Add a word to look for: a search cannot be only words to leave out.")
    return parsed
