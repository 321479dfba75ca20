"""The index's own words: prefix expansion ("decon" → deconfliction) and
spelling corrections ("trafficing" → trafficking).

The words come from the whole index, whoever wrote them, so they are only
ever used to *build* a query: what a member sees is what that query then
finds through each model's ``searchable_for(user)``. A correction is offered
only when the corrected search finds something the member may see (the
selector checks), so no word of a hidden post can surface as a suggestion.

Only the Whoosh backend has a vocabulary to read; with any other backend
these functions return nothing and the page searches the words as typed.
"""

import logging
from contextlib import contextmanager

from modelsearch.backends import get_search_backend

from .query import ANALYZER

logger = logging.getLogger(__name__)

MIN_PREFIX = 3
MAX_EXPANSIONS = 12
MAX_SCAN = 400


def _field_names():
    try:
        from .backends import whoosh
    except ImportError:  # pragma: no cover - the backend module is always there
        return None, None
    return getattr(whoosh, "ALL_FIELD", "all_text"), getattr(whoosh, "AUTOCOMPLETE_FIELD", "all_autocomplete")


@contextmanager
def _reader():
    backend = get_search_backend()
    open_searcher = getattr(backend, "searcher", None)
    if open_searcher is None:
        yield None
        return
    try:
        searcher = open_searcher()
    except Exception:  # noqa: BLE001 - no vocabulary is never worth an error page
        logger.exception("Could not open the search index's vocabulary")
        yield None
        return
    with searcher:
        yield searcher.reader()


def _stem(word):
    stems = [token.text for token in ANALYZER(word)]
    return stems[0] if len(stems) == 1 else None


def _known(reader, fields, word):
    text_field, auto_field = fields
    stem = _stem(word)
    try:
        return bool(
            (stem and reader.doc_frequency(text_field, stem))
            or reader.doc_frequency(auto_field, word.lower())
        )
    except Exception:  # noqa: BLE001 - a field the index does not have yet
        return False


def _prefixed(reader, field, prefix):
    found = []
    try:
        for i, term in enumerate(reader.expand_prefix(field, prefix)):
            if i >= MAX_SCAN:
                break
            term = term.decode() if isinstance(term, bytes) else term
            found.append((reader.doc_frequency(field, term), term))
    except Exception:  # noqa: BLE001
        return []
    return found


def expansions(words):
    """``{word: [words it may be the start of]}`` for the words the index has
    never seen, most frequent first, at most MAX_EXPANSIONS each."""
    fields = _field_names()
    result = {}
    candidates = [w for w in dict.fromkeys(w.lower() for w in words) if len(w) >= MIN_PREFIX]
    if not candidates or fields[0] is None:
        return result
    with _reader() as reader:
        if reader is None:
            return result
        for word in candidates:
            if _known(reader, fields, word):
                continue
            found = _prefixed(reader, fields[1], word) + _prefixed(reader, fields[0], word)
            terms = []
            for _freq, term in sorted(found, key=lambda pair: (-pair[0], pair[1])):
                if term != word and term not in terms:
                    terms.append(term)
                if len(terms) >= MAX_EXPANSIONS:
                    break
            if terms:
                result[word] = terms
    return result


def corrections(words):
    """``{word: likely intended word}`` for words the index has never seen."""
    fields = _field_names()
    result = {}
    if fields[0] is None:
        return result
    with _reader() as reader:
        if reader is None:
            return result
        for word in dict.fromkeys(words):
            lower = word.lower()
            if len(lower) < MIN_PREFIX or len(lower) > 40 or _known(reader, fields, lower):
                continue
            suggestion = _suggest(reader, fields[1], lower)
            if suggestion is None:
                stem = _stem(lower)
                corrected = _suggest(reader, fields[0], stem) if stem else None
                # Show a word a member would write, not the index's stem.
                if corrected:
                    spelled = sorted(_prefixed(reader, fields[1], corrected), key=lambda p: -p[0])
                    suggestion = spelled[0][1] if spelled else corrected
            if suggestion and suggestion != lower:
                result[word] = suggestion
    return result


def _suggest(reader, field, word):
    try:
        found = reader.corrector(field).suggest(word, limit=1, maxdist=2, prefix=1)
    except Exception:  # noqa: BLE001
        return None
    return found[0] if found else None
