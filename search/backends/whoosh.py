"""A Wagtail search backend that keeps its index on disk with Whoosh.

Configure it with::

    WAGTAILSEARCH_BACKENDS = {
        "default": {
            "BACKEND": "search.backends.whoosh",
            "PATH": "/var/lib/connect/search-index",
        }
    }

The index holds one document per indexed object and model: its text fields
(for ranking), its autocomplete fields (for prefix matching) and the labels of
its model and the model's indexed parents (so a search on a parent model also
finds its children). Filters and ``order_by`` are applied by the database on
the primary keys Whoosh returns, so every lookup the ORM understands gives the
same answer as a plain queryset, once ``check()`` has confirmed that the
fields are declared as ``index.FilterField``.

Several processes may share one index directory: Whoosh serialises writers
with a lock file, writers wait for it with a short backoff, and every search
opens the newest committed generation.

This module imports only Whoosh, Django and Wagtail's search layer
(``modelsearch``), so it runs under any Django project.
"""

import logging
import os
import time
from collections import OrderedDict

from django.db.models import Count, Manager
from django.utils.encoding import force_str
from modelsearch.backends.base import (
    BaseIndex,
    BaseSearchBackend,
    BaseSearchQueryCompiler,
    BaseSearchResults,
    FilterFieldError,
)
from modelsearch.index import (
    AutocompleteField,
    RelatedFields,
    SearchField,
    class_is_indexed,
)
from modelsearch.query import (
    And,
    Boost,
    Fuzzy,
    MatchAll,
    Not,
    Or,
    Phrase,
    PlainText,
)
from whoosh import index as whoosh_index
from whoosh import query as wq
from whoosh.analysis import (
    LowercaseFilter,
    RegexTokenizer,
    StemFilter,
    StopFilter,
)
from whoosh.fields import ID, KEYWORD, TEXT, Schema
from whoosh.index import LockError

logger = logging.getLogger(__name__)

ALL_FIELD = "all_text"
AUTOCOMPLETE_FIELD = "all_autocomplete"
TEXT_PREFIX = "t_"
AUTOCOMPLETE_PREFIX = "a_"

# User text is never parsed as query syntax; it is split into words, and
# these limits keep a pasted essay from turning into a huge query.
MAX_QUERY_TERMS = 64
MAX_TERM_LENGTH = 64

# "x" is a perfectly good word in a title ("Mac OS X"); keep one-letter words.
WORD_REGEX = r"\w+(\.?\w+)*"


def _text_analyzer():
    return (
        RegexTokenizer(WORD_REGEX)
        | LowercaseFilter()
        | StopFilter(stoplist=frozenset(), minsize=1, maxsize=MAX_TERM_LENGTH)
        | StemFilter()
    )


def _autocomplete_analyzer():
    # No stemming: a stemmed word is not always a prefix of what was typed
    # ("learning" is stored as "learn", and "learni" must still match).
    return (
        RegexTokenizer(WORD_REGEX)
        | LowercaseFilter()
        | StopFilter(stoplist=frozenset(), minsize=1, maxsize=MAX_TERM_LENGTH)
    )


TEXT_ANALYZER = _text_analyzer()
AUTOCOMPLETE_ANALYZER = _autocomplete_analyzer()


def build_schema():
    schema = Schema(
        id=ID(stored=True, unique=True),
        pk=ID(stored=True),
        root=ID(),
        models=KEYWORD(),
    )
    schema.add(ALL_FIELD, TEXT(analyzer=TEXT_ANALYZER, phrase=True))
    schema.add(AUTOCOMPLETE_FIELD, TEXT(analyzer=AUTOCOMPLETE_ANALYZER, phrase=False))
    schema.add(TEXT_PREFIX + "*", TEXT(analyzer=TEXT_ANALYZER, phrase=True), glob=True)
    schema.add(
        AUTOCOMPLETE_PREFIX + "*",
        TEXT(analyzer=AUTOCOMPLETE_ANALYZER, phrase=False),
        glob=True,
    )
    return schema


def model_label(model):
    return model._meta.concrete_model._meta.label_lower


def root_label(model):
    model = model._meta.concrete_model
    parents = model._meta.get_parent_list()
    return parents[-1]._meta.label_lower if parents else model._meta.label_lower


def ancestor_labels(model):
    """Labels of the model's concrete parents, nearest first."""
    return [p._meta.label_lower for p in model._meta.concrete_model._meta.get_parent_list()]


def analyze(text, analyzer):
    words = []
    for token in analyzer(text[: MAX_QUERY_TERMS * (MAX_TERM_LENGTH + 1)]):
        words.append(token.text)
        if len(words) >= MAX_QUERY_TERMS:
            break
    return words


# ---------------------------------------------------------------- indexing


def _prepare_value(value):
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, (list, tuple, set)):
        return " ".join(_prepare_value(item) for item in value)
    if isinstance(value, dict):
        return " ".join(_prepare_value(item) for item in value.values())
    return force_str(value)


def _field_values(obj, field, prefix=""):
    """Yield ``(kind, name, boost, text)`` for each text value of ``field``."""
    if isinstance(field, (SearchField, AutocompleteField)):
        kind = "search" if isinstance(field, SearchField) else "autocomplete"
        boost = getattr(field, "boost", None) or 1.0
        yield kind, prefix + field.field_name, boost, _prepare_value(field.get_value(obj))
    elif isinstance(field, RelatedFields):
        value = field.get_value(obj)
        if value is None:
            return
        if isinstance(value, Manager):
            related = value.all()
        else:
            if callable(value):
                value = value()
            related = [value]
        for sub_obj in related:
            for sub_field in field.fields:
                yield from _field_values(sub_obj, sub_field, prefix + field.field_name + "__")


def build_document(model, obj):
    texts, autocomplete = [], []
    doc = {}
    for field in model.get_search_fields():
        for kind, name, _boost, text in _field_values(obj, field):
            if not text:
                continue
            if kind == "search":
                texts.append(text)
                key = TEXT_PREFIX + name
            else:
                autocomplete.append(text)
                key = AUTOCOMPLETE_PREFIX + name
            doc[key] = f"{doc[key]} {text}" if key in doc else text
    label = model_label(model)
    pk = force_str(obj.pk)
    doc.update(
        id=f"{label}:{pk}",
        pk=pk,
        root=root_label(model),
        models=" ".join([label, *ancestor_labels(model)]),
    )
    doc[ALL_FIELD] = " ".join(texts)
    doc[AUTOCOMPLETE_FIELD] = " ".join(autocomplete)
    return doc


class WhooshIndex(BaseIndex):
    """One Whoosh index directory holding every indexed model."""

    def __init__(self, backend):
        super().__init__(backend)
        self._rebuild_writer = None

    def get_key(self):
        return self.backend.path

    def __repr__(self):
        return f"<WhooshIndex {self.backend.path}>"

    # Writers -----------------------------------------------------------

    def _write(self, work):
        """Run ``work(writer)`` in a committed write, or in the rebuild's writer."""
        if self._rebuild_writer is not None:
            work(self._rebuild_writer)
            return
        writer = self.backend.writer()
        try:
            work(writer)
        except BaseException:
            writer.cancel()
            raise
        writer.commit()

    def add_items(self, model, items):
        if not class_is_indexed(model) or not model.get_search_fields():
            return
        docs = [build_document(model, obj) for obj in items]
        if not docs:
            return
        ancestors = ancestor_labels(model)

        def work(writer):
            for doc in docs:
                writer.update_document(**doc)
                # The child's document answers searches on its parents too;
                # an older document indexed through a parent model would only
                # keep stale text alive.
                for label in ancestors:
                    writer.delete_by_term("id", f"{label}:{doc['pk']}")

        self._write(work)

    def delete_item(self, item):
        model = item._meta.model
        pk = force_str(item.pk)
        root = root_label(model)
        self._write(lambda writer: writer.delete_by_query(wq.And([wq.Term("root", root), wq.Term("pk", pk)])))

    def reset(self):
        def work(writer):
            writer.delete_by_query(wq.Every())

        self._write(work)

    def refresh(self):
        # Every search opens the newest committed generation.
        pass

    # Rebuild -----------------------------------------------------------

    def start_rebuild(self):
        # One writer for the whole rebuild: searches keep seeing the old
        # index until it is committed in one go.
        self._rebuild_writer = self.backend.writer()
        self._rebuild_writer.delete_by_query(wq.Every())

    def finish_rebuild(self, commit=True):
        writer, self._rebuild_writer = self._rebuild_writer, None
        if writer is None:
            return
        if commit:
            writer.commit(optimize=True)
        else:
            writer.cancel()


class WhooshRebuilder:
    def __init__(self, index):
        self.index = index

    def start(self):
        self.index.start_rebuild()
        return self.index

    def finish(self):
        self.index.finish_rebuild()

    def __del__(self):
        # A rebuild that stopped half-way must not leave the lock held.
        try:
            self.index.finish_rebuild(commit=False)
        except Exception:  # noqa: BLE001 - best effort in a finaliser
            logger.exception("Could not cancel an unfinished search index rebuild")


# ---------------------------------------------------------------- querying


class _MatchNothing:
    """Marker for a query that can match no document."""


NOTHING = _MatchNothing()


class WhooshSearchQueryCompiler(BaseSearchQueryCompiler):
    DEFAULT_OPERATOR = "or"
    HANDLES_ORDER_BY_EXPRESSIONS = True
    analyzer = TEXT_ANALYZER

    def _field_boosts(self):
        """The Whoosh fields to search, with their boosts."""
        model = self.queryset.model
        if self.fields is not None:
            return [(TEXT_PREFIX + name, 1.0) for name in self.fields]
        fields = [(ALL_FIELD, 1.0)]
        # Boosted fields are searched a second time so that a match there
        # outranks the same match elsewhere.
        for field in model.get_search_fields():
            for kind, name, boost in _declared_fields(field):
                if kind == "search" and boost != 1.0:
                    fields.append((TEXT_PREFIX + name, boost - 1.0 if boost > 1 else boost))
        return fields

    def _words(self, text):
        return analyze(text, self.analyzer)

    # Whoosh ignores the boost of a compound query when scoring, so boosts
    # are multiplied down to the leaf queries.

    def _term(self, word, fields, boost):
        queries = [wq.Term(name, word, boost=b * boost) for name, b in fields]
        return queries[0] if len(queries) == 1 else wq.Or(queries)

    def _plain_text(self, text, operator, boost):
        words = self._words(text)
        if not words:
            return NOTHING
        fields = self._field_boosts()
        terms = [self._term(word, fields, boost) for word in words]
        if len(terms) == 1:
            return terms[0]
        return wq.And(terms) if operator == "and" else wq.Or(terms)

    def _phrase(self, text, boost):
        words = analyze(text, TEXT_ANALYZER)
        if not words:
            return NOTHING
        fields = self._field_boosts()
        if len(words) == 1:
            return wq.Or([wq.Term(name, words[0], boost=b * boost) for name, b in fields])
        return wq.Or([wq.Phrase(name, words, boost=b * boost) for name, b in fields])

    def _fuzzy(self, text, operator, boost):
        words = self._words(text)
        if not words:
            return NOTHING
        fields = self._field_boosts()
        terms = [wq.Or([wq.FuzzyTerm(name, word, boost=b * boost) for name, b in fields]) for word in words]
        return wq.And(terms) if operator == "and" else wq.Or(terms)

    def compile(self, query=None, boost=1.0):
        """Translate a modelsearch query into a Whoosh query, or NOTHING."""
        query = self.query if query is None else query
        if isinstance(query, MatchAll):
            return wq.Every(boost=boost)
        if isinstance(query, str):
            return self._plain_text(query, self.DEFAULT_OPERATOR, boost)
        if isinstance(query, PlainText):
            return self._plain_text(query.query_string, query.operator, boost * (query.boost or 1.0))
        if isinstance(query, Phrase):
            return self._phrase(query.query_string, boost)
        if isinstance(query, Fuzzy):
            return self._fuzzy(query.query_string, query.operator, boost)
        if isinstance(query, Boost):
            return self.compile(query.subquery, boost * query.boost)
        if isinstance(query, And):
            parts = [self.compile(sub, boost) for sub in query.subqueries]
            if any(part is NOTHING for part in parts):
                return NOTHING
            return wq.And(parts)
        if isinstance(query, Or):
            parts = [self.compile(sub, boost) for sub in query.subqueries]
            parts = [part for part in parts if part is not NOTHING]
            return wq.Or(parts) if parts else NOTHING
        if isinstance(query, Not):
            inner = self.compile(query.subquery)
            if inner is NOTHING:
                return wq.Every(boost=boost)
            if isinstance(inner, wq.Every):
                return NOTHING
            return wq.And([wq.Every(boost=boost), wq.Not(inner)])
        raise NotImplementedError(
            f"{query.__class__.__name__} is not supported by the Whoosh search backend."
        )


class WhooshAutocompleteQueryCompiler(WhooshSearchQueryCompiler):
    DEFAULT_OPERATOR = "and"
    analyzer = AUTOCOMPLETE_ANALYZER

    def _field_boosts(self):
        if self.fields is not None:
            names = {field.field_name for field in self.queryset.model.get_autocomplete_search_fields()}
            return [(AUTOCOMPLETE_PREFIX + name, 1.0) for name in self.fields if name in names] or [
                (AUTOCOMPLETE_PREFIX + name, 1.0) for name in self.fields
            ]
        return [(AUTOCOMPLETE_FIELD, 1.0)]

    def _term(self, word, fields, boost):
        queries = [wq.Prefix(name, word, boost=b * boost) for name, b in fields]
        return queries[0] if len(queries) == 1 else wq.Or(queries)


def _declared_fields(field, prefix=""):
    if isinstance(field, RelatedFields):
        for sub_field in field.fields:
            yield from _declared_fields(sub_field, prefix + field.field_name + "__")
    elif isinstance(field, SearchField):
        yield "search", prefix + field.field_name, field.boost or 1.0
    elif isinstance(field, AutocompleteField):
        yield "autocomplete", prefix + field.field_name, 1.0


class WhooshSearchResults(BaseSearchResults):
    supports_facet = True

    def _hits(self):
        """``{pk: score}`` for every indexed document matching the query."""
        compiler = self.query_compiler
        model = compiler.queryset.model
        whoosh_query = compiler.compile()
        if whoosh_query is NOTHING:
            return {}
        to_python = model._meta.pk.to_python
        hits = {}
        with self.backend.searcher() as searcher:
            results = searcher.search(
                whoosh_query,
                filter=wq.Term("models", model_label(model)),
                limit=None,
            )
            for hit in results:
                try:
                    pk = to_python(hit["pk"])
                except Exception:  # noqa: BLE001 - a document from an older schema
                    logger.debug("Skipping search document %r", hit.get("id"))
                    continue
                score = float(hit.score or 0.0)
                if score > hits.get(pk, -1.0):
                    hits[pk] = score
        return hits

    def _matching_queryset(self, hits):
        queryset = self.query_compiler.queryset.filter(pk__in=list(hits))
        if self.prefetch_related:
            queryset = queryset.prefetch_related(*self.prefetch_related)
        return queryset

    def _do_search(self):
        hits = self._hits()
        if not hits:
            return []
        queryset = self._matching_queryset(hits)
        if not self.query_compiler.order_by_relevance:
            if not queryset.ordered:
                # Newest first, as the other backends do.
                queryset = queryset.order_by("-pk")
            objects = list(queryset[self.start : self.stop])
        else:
            allowed = set(queryset.order_by().values_list("pk", flat=True))
            ranked = sorted(allowed, key=lambda pk: (-hits[pk], _sort_key(pk)))
            page = ranked[self.start : self.stop]
            by_pk = queryset.order_by().in_bulk(page)
            objects = [by_pk[pk] for pk in page if pk in by_pk]
        if self._score_field:
            for obj in objects:
                setattr(obj, self._score_field, hits.get(obj.pk))
        return objects

    def _do_count(self):
        hits = self._hits()
        if not hits:
            return 0
        count = self._matching_queryset(hits).order_by().count()
        count = max(count - self.start, 0)
        if self.stop is not None:
            count = min(count, self.stop - self.start)
        return count

    def facet(self, field_name):
        compiler = self.query_compiler
        field = compiler._get_filterable_field(field_name)
        if field is None:
            raise FilterFieldError(
                f'Cannot facet search results with field "{field_name}". Please add '
                f'index.FilterField("{field_name}") to '
                f"{compiler.queryset.model.__name__}.search_fields.",
                field_name=field_name,
            )
        hits = self._hits()
        if not hits:
            return OrderedDict()
        rows = (
            self._matching_queryset(hits)
            .order_by()
            .values(field_name)
            .annotate(count=Count("pk"))
            .order_by("-count")
        )
        return OrderedDict((row[field_name], row["count"]) for row in rows)


def _sort_key(pk):
    # Ties in score keep a stable order across pages.
    return (0, pk, "") if isinstance(pk, (int, float)) else (1, 0, str(pk))


class SearchBackend(BaseSearchBackend):
    """Options: ``PATH`` (index directory, required), ``LOCK_TIMEOUT``
    (seconds a writer waits for another process, default 10),
    ``INDEX_NAME`` (default ``"modelsearch"``)."""

    query_compiler_class = WhooshSearchQueryCompiler
    autocomplete_query_compiler_class = WhooshAutocompleteQueryCompiler
    index_class = WhooshIndex
    results_class = WhooshSearchResults
    rebuilder_class = WhooshRebuilder
    # The index is derived data: a write that could not reach it (say, the
    # lock was held past LOCK_TIMEOUT by a rebuild) is logged, and the page
    # or post is still saved. `update_index` brings the index back in line.
    catch_indexing_errors = True

    def __init__(self, params):
        super().__init__(params)
        params = dict(params)
        path = params.pop("PATH", None)
        if not path:
            from django.core.exceptions import ImproperlyConfigured

            raise ImproperlyConfigured("The Whoosh search backend needs a PATH setting.")
        self.path = os.path.abspath(os.fspath(path))
        self.index_name = params.pop("INDEX_NAME", "modelsearch")
        self.lock_timeout = float(params.pop("LOCK_TIMEOUT", 10))
        self._ix = None

    # Whoosh plumbing ----------------------------------------------------

    def _open(self):
        if self._ix is not None:
            return self._ix
        os.makedirs(self.path, exist_ok=True)
        try:
            self._ix = whoosh_index.open_dir(self.path, indexname=self.index_name)
        except whoosh_index.EmptyIndexError:
            self._ix = self._create()
        return self._ix

    def _create(self):
        from whoosh.filedb.filestore import FileStorage

        storage = FileStorage(self.path)
        # Hold the write lock while creating, so that two processes starting
        # at once cannot both create (and so empty) the index.
        lock = storage.lock(f"{self.index_name}_WRITELOCK")
        deadline = time.monotonic() + self.lock_timeout
        while not lock.acquire(blocking=False):
            if time.monotonic() > deadline:
                raise LockError(f"Search index {self.path} is locked")
            time.sleep(0.05)
        try:
            if whoosh_index.exists_in(self.path, indexname=self.index_name):
                return whoosh_index.open_dir(self.path, indexname=self.index_name)
            return storage.create_index(build_schema(), indexname=self.index_name)
        finally:
            lock.release()

    def writer(self):
        """A writer, waiting (with backoff) while another process holds the lock."""
        ix = self._open()
        deadline = time.monotonic() + self.lock_timeout
        delay = 0.02
        while True:
            try:
                return ix.writer(timeout=0.0)
            except LockError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(delay)
                delay = min(delay * 2, 0.5)

    def searcher(self):
        return self._open().searcher()

    # API ----------------------------------------------------------------

    def get_index_for_model(self, model):
        return self.index_class(self)


__all__ = ["SearchBackend"]
