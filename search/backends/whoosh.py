"""A Wagtail search backend that keeps its index on disk with Whoosh.

Configure it with::

    WAGTAILSEARCH_BACKENDS = {
        "default": {
            "BACKEND": "search.backends.whoosh",
            "PATH": "/var/lib/connect/search-index",
        }
    }

The index holds one document per indexed object and model: its text fields
(for ranking), its autocomplete fields (for prefix matching), the labels of
its model and the model's indexed parents (so a search on a parent model also
finds its children), and the value of every ``index.FilterField`` (nested
ones through ``RelatedFields`` too). A queryset's filters are translated into
a Whoosh filter on those values, so a search asks Whoosh for one page of
what the queryset allows and the database loads only that page (re-checking
it with the queryset's own filters). A filter Whoosh cannot express (a lookup
it does not know) is left to the database, on the primary keys Whoosh
returns, as is an ordering on a related field.

Layout of ``PATH``: ``CURRENT`` names the generation directory that searches
read; a rebuild writes a new generation and swaps ``CURRENT`` in one rename,
so searches keep answering from the old index until the new one is complete.
Updates made while a rebuild runs are journalled and replayed into the new
generation before the swap. Several processes may share the directory:
Whoosh serialises writers with a lock file and writers wait for it with a
short backoff. Each thread keeps a searcher open and reopens it only when
``CURRENT`` or the generation's table of contents changed.

This module imports only Whoosh, Django and Wagtail's search layer
(``modelsearch``), so it runs under any Django project.
"""

import array
import contextlib
import datetime
import decimal
import fcntl
import hashlib
import heapq
import itertools
import logging
import operator
import os
import pickle
import re
import shutil
import threading
import time
import uuid
import zlib
from collections import Counter, OrderedDict, defaultdict

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.db.models import Count, Manager, Model
from django.db.models.expressions import BaseExpression
from django.db.models.fields.related import RelatedField
from django.db.models.query import QuerySet
from django.utils import timezone
from django.utils.encoding import force_str
from modelsearch.backends.base import (
    BaseIndex,
    BaseSearchBackend,
    BaseSearchQueryCompiler,
    BaseSearchResults,
    FilterError,
    FilterFieldError,
)
from modelsearch.index import (
    AutocompleteField,
    BaseField,
    FilterField,
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
from whoosh import collectors, formats, sorting
from whoosh import index as whoosh_index
from whoosh import query as wq
from whoosh.analysis import (
    IDTokenizer,
    LowercaseFilter,
    RegexTokenizer,
    StemFilter,
    StopFilter,
)
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, W3LeafMatcher
from whoosh.fields import ID, KEYWORD, STORED, TEXT, Schema
from whoosh.index import LockError
from whoosh.lang.porter import stem as _porter_stem
from whoosh.matching import mcore
from whoosh.matching.binary import AndNotMatcher, IntersectionMatcher, UnionMatcher
from whoosh.matching.wrappers import FilterMatcher, InverseMatcher
from whoosh.reading import SegmentReader
from whoosh.system import pack_uint, pack_ushort
from whoosh.util.numeric import length_to_byte

logger = logging.getLogger(__name__)

ALL_FIELD = "all_text"
AUTOCOMPLETE_FIELD = "all_autocomplete"
TEXT_PREFIX = "t_"
AUTOCOMPLETE_PREFIX = "a_"
FILTER_PREFIX = "f_"
SORT_PREFIX = "s_"
SORT_PK = "s__pk"
# Bumped whenever the schema changes: an index of another version is not
# read (it is rebuilt, see ``SearchBackend.needs_rebuild``).
SCHEMA_VERSION = "2"

# Filter values are tokens of one field, separated by this character.
VALUE_SEPARATOR = "\x1e"
NULL = "\x00"

# User text is never parsed as query syntax; it is split into words, and
# these limits keep a pasted essay from turning into a huge query.
MAX_QUERY_TERMS = 64
MAX_TERM_LENGTH = 64

# "x" is a perfectly good word in a title ("Mac OS X"); keep one-letter words.
WORD_REGEX = r"\w+(\.?\w+)*"

# Searchers kept open per thread (one per index directory in use).
KEEP_SEARCHERS = 4


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
    # Filter values: every value of a field is one token; a single-valued
    # field of the model itself also gets a column, for sorting and facets.
    schema.add(FILTER_PREFIX + "*", KEYWORD(analyzer=RegexTokenizer(r"[^\x1e]+")), glob=True)
    schema.add(SORT_PREFIX + "*", ID(sortable=True), glob=True)
    # A digest of the filter values: when it changes (a thread moved to a
    # restricted board), the documents that copy them are indexed again.
    schema.add("fsig", STORED())
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


_value_getters = {}


def _value_getter(field, model):
    """``field.get_value`` for objects of ``model``, with what it looks up on
    every call (the model field, whether taggit is installed, the field's
    ``get_searchable_content``) looked up once; a field class with its own
    ``get_value`` keeps it."""
    if type(field).get_value is not BaseField.get_value:
        return field.get_value
    try:
        model_field = field.get_field(model)
    except FieldDoesNotExist:
        name = field.field_name

        def attribute(obj):
            value = getattr(obj, name, None)
            if callable(value):
                value = value()
            return value

        return attribute
    read = model_field.value_from_object
    if apps.is_installed("taggit"):
        from taggit.managers import TaggableManager

        if isinstance(model_field, TaggableManager):
            return read
    content = getattr(model_field, "get_searchable_content", None)
    if content is None and isinstance(model_field, RelatedField):
        remote = model_field
        while isinstance(remote, RelatedField):
            remote = remote.target_field
        content = getattr(remote, "get_searchable_content", None)
    if content is None:
        return read
    return lambda obj: content(read(obj))


def _get_value(field, obj):
    # Keyed by what the getter depends on (a model's search fields may be
    # built again on each call).
    key = (type(field), field.field_name, obj.__class__)
    getter = _value_getters.get(key)
    if getter is None:
        getter = _value_getters[key] = _value_getter(field, obj.__class__)
    return getter(obj)


def _field_values(obj, field, prefix=""):
    """Yield ``(kind, name, boost, text)`` for each text value of ``field``."""
    if isinstance(field, (SearchField, AutocompleteField)):
        kind = "search" if isinstance(field, SearchField) else "autocomplete"
        boost = getattr(field, "boost", None) or 1.0
        yield kind, prefix + field.field_name, boost, _prepare_value(_get_value(field, obj))
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


# ---------------------------------------------------------------- filter values


class Untranslatable(Exception):
    """A filter or ordering the index cannot answer; the database does."""


def encode(value):
    """A filter value as an index token whose string order is the value's order
    (within one type)."""
    if value is None:
        return NULL
    if isinstance(value, Model):
        value = value.pk
    if isinstance(value, bool):
        return "b1" if value else "b0"
    if isinstance(value, int):
        return f"i{value + 2**63:020d}"
    if isinstance(value, datetime.datetime):
        if timezone.is_naive(value):
            value = timezone.make_aware(value, timezone.get_default_timezone())
        return "t" + value.astimezone(datetime.UTC).strftime("%Y%m%d%H%M%S%f")
    if isinstance(value, datetime.date):
        return "d" + value.strftime("%Y%m%d")
    if isinstance(value, datetime.time):
        return "h" + value.strftime("%H%M%S%f")
    if isinstance(value, (float, decimal.Decimal)):
        return "n" + repr(float(value))
    if isinstance(value, uuid.UUID):
        return "s" + str(value)
    return "s" + force_str(value)


def decode(token):
    """The Python value of an index token (for facets)."""
    if not token or token == NULL:
        return None
    kind, rest = token[0], token[1:]
    if kind == "b":
        return rest == "1"
    if kind == "i":
        return int(rest) - 2**63
    if kind == "t":
        return datetime.datetime.strptime(rest, "%Y%m%d%H%M%S%f").replace(tzinfo=datetime.UTC)
    if kind == "d":
        return datetime.datetime.strptime(rest, "%Y%m%d").date()
    if kind == "h":
        return datetime.datetime.strptime(rest, "%H%M%S%f").time()
    if kind == "n":
        return float(rest)
    return rest


def _model_field(model, name):
    try:
        return model._meta.get_field(name)
    except Exception:  # noqa: BLE001 - a property or method, not a column
        return None


def _single_valued(model, name):
    model_field = _model_field(model, name)
    return model_field is not None and not (model_field.many_to_many or model_field.one_to_many)


def _clean(model_field, value):
    """``value`` as the Python type the model field holds, so a lookup value
    and a stored value encode alike."""
    if value is None or isinstance(value, Model):
        return value
    if model_field is None:
        return value
    target = model_field.target_field if model_field.is_relation and model_field.many_to_one else model_field
    try:
        return target.to_python(value)
    except Exception:  # noqa: BLE001 - leave it as given
        return value


def _filter_paths(model, fields, prefix="", related=False):
    """Yield ``(path, FilterField, model, nested)`` for every filter field."""
    for field in fields:
        if isinstance(field, FilterField):
            yield prefix + field.get_attname(model), field, model, related
        elif isinstance(field, RelatedFields):
            model_field = field.get_field(model)
            related_model = getattr(model_field, "related_model", None)
            if related_model is None:
                continue
            yield from _filter_paths(related_model, field.fields, prefix + field.field_name + "__", True)


def _filter_values(obj, fields, prefix=""):
    """``{path: [values]}`` of ``obj``'s filter fields."""
    out = {}
    model = type(obj)
    for field in fields:
        if isinstance(field, FilterField):
            name = field.get_attname(model)
            try:
                value = _get_value(field, obj)
            except Exception:  # noqa: BLE001 - an attribute that cannot be read is no value
                value = None
            if callable(value) and not isinstance(value, Model):
                value = value()
            if isinstance(value, Manager):
                values = [item.pk for item in value.all()]
            elif isinstance(value, (list, tuple, set, QuerySet)):
                values = list(value)
            else:
                values = [_clean(_model_field(model, field.field_name), value)]
            out.setdefault(prefix + name, []).extend(values)
        elif isinstance(field, RelatedFields):
            value = field.get_value(obj)
            if isinstance(value, Manager):
                related = list(value.all())
            elif value is None:
                related = []
            else:
                if callable(value) and not isinstance(value, Model):
                    value = value()
                related = [value] if value is not None else []
            sub = {}
            for sub_obj in related:
                for key, values in _filter_values(
                    sub_obj, field.fields, prefix + field.field_name + "__"
                ).items():
                    sub.setdefault(key, []).extend(values)
            if not related:
                for path, *_rest in _filter_paths(
                    field.get_field(model).related_model, field.fields, prefix + field.field_name + "__"
                ):
                    sub.setdefault(path, [None])
            for key, values in sub.items():
                out.setdefault(key, []).extend(values)
    return out


def build_document(model, obj, parts=None):
    """The Whoosh document of ``obj``. ``parts``, when given, is filled with
    the texts each text field joins (``{field: [text, ...]}``), so a rebuild
    can analyse each text once for its own field and for ``all_text``."""
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
            if parts is not None:
                parts.setdefault(key, []).append(text)
    signature = hashlib.blake2b(digest_size=8)
    for path, values in sorted(_filter_values(obj, model.get_search_fields()).items()):
        tokens = sorted({encode(value) for value in values}) or [NULL]
        doc[FILTER_PREFIX + path] = VALUE_SEPARATOR.join(tokens)
        signature.update(f"{path}={VALUE_SEPARATOR.join(tokens)};".encode())
        if "__" not in path and len(values) == 1 and _single_valued(model, path):
            doc[SORT_PREFIX + path] = tokens[0]
    label = model_label(model)
    pk = force_str(obj.pk)
    doc.update(
        id=f"{label}:{pk}",
        pk=pk,
        root=root_label(model),
        models=" ".join([label, *ancestor_labels(model)]),
        fsig=signature.hexdigest(),
    )
    doc[SORT_PK] = encode(_clean(model._meta.pk, obj.pk))
    doc[ALL_FIELD] = " ".join(texts)
    doc[AUTOCOMPLETE_FIELD] = " ".join(autocomplete)
    if parts is not None:
        parts[ALL_FIELD] = texts
        parts[AUTOCOMPLETE_FIELD] = autocomplete
    return doc


# ---------------------------------------------------------------- index


class WhooshIndex(BaseIndex):
    """One Whoosh index directory holding every indexed model."""

    def __init__(self, backend):
        super().__init__(backend)
        self._rebuild = None

    def get_key(self):
        return self.backend.path

    def __repr__(self):
        return f"<WhooshIndex {self.backend.path}>"

    # Writers -----------------------------------------------------------

    def _write(self, work, journal=()):
        """Run ``work(writer)`` in the rebuild's writer, the open batch's, or a
        committed write of its own."""
        if self._rebuild is not None:
            work(self._rebuild.writer)
            return
        batch = self.backend._batch
        if batch is not None:
            batch.journal.extend(journal)
            work(batch.writer)
            return
        with self.backend.batch() as batch:
            batch.journal.extend(journal)
            work(batch.writer)

    def add_items(self, model, items):
        if not class_is_indexed(model) or not model.get_search_fields():
            return
        items = list(items)
        parts = [{} for _obj in items] if self._rebuild is not None else None
        if parts is not None:
            docs = [build_document(model, obj, part) for obj, part in zip(items, parts, strict=True)]
        else:
            docs = [build_document(model, obj) for obj in items]
        if not docs:
            return
        ancestors = ancestor_labels(model)
        label = model_label(model)

        def work(writer):
            if self._rebuild is not None:
                self._rebuild.add(writer, docs, ancestors, parts)
                return
            changed = self._signature_changed(docs, items)
            for doc in docs:
                writer.update_document(**doc)
                # The child's document answers searches on its parents too;
                # an older document indexed through a parent model would only
                # keep stale text alive.
                for ancestor in ancestors:
                    writer.delete_by_term("id", f"{ancestor}:{doc['pk']}")
            for obj in changed:
                self._add_dependents(writer, obj)

        self._write(work, journal=[(label, doc["pk"]) for doc in docs])

    def _signature_changed(self, docs, items):
        """The objects whose filter values differ from their indexed ones."""
        changed = []
        if not any(hasattr(obj, "search_dependents") for obj in items):
            return changed
        with self.backend.searcher() as searcher:
            for doc, obj in zip(docs, items, strict=True):
                if not hasattr(obj, "search_dependents"):
                    continue
                old = searcher.document(id=doc["id"])
                if old is not None and old.get("fsig") != doc["fsig"]:
                    changed.append(obj)
        return changed

    def _add_dependents(self, writer, obj):
        # Documents that copy this object's filter values (a thread's posts
        # carry its board and hidden state) must not keep the old ones.
        dependents = list(obj.search_dependents())
        for model in {type(d) for d in dependents}:
            group = [d for d in dependents if type(d) is model]
            for doc in (build_document(model, d) for d in group):
                writer.update_document(**doc)

    def delete_item(self, item):
        model = item._meta.model
        pk = force_str(item.pk)
        root = root_label(model)
        self._write(
            lambda writer: writer.delete_by_query(wq.And([wq.Term("root", root), wq.Term("pk", pk)])),
            journal=[(model_label(model), pk)],
        )

    def reset(self):
        def work(writer):
            writer.delete_by_query(wq.Every())

        self._write(work)

    def refresh(self):
        # Every search checks for a newer committed generation.
        pass

    # Rebuild -----------------------------------------------------------

    def start_rebuild(self):
        # A new generation directory, written by one writer; searches keep
        # reading the current one until the new one is swapped in.
        self._rebuild = self.backend.start_generation()

    def finish_rebuild(self, commit=True):
        rebuild, self._rebuild = self._rebuild, None
        if rebuild is None:
            return
        if commit:
            self.backend.finish_generation(rebuild)
        else:
            self.backend.abandon_generation(rebuild)


class WhooshRebuilder:
    def __init__(self, index):
        self.index = index

    def start(self):
        self.index.start_rebuild()
        return self.index

    def finish(self):
        self.index.finish_rebuild()

    def __del__(self):
        # A rebuild that stopped half-way must not leave its lock held.
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

    # Set by ``SearchBackend.search_across``: the fields of several models at once.
    boosts = None

    def _field_boosts(self):
        """The Whoosh fields to search, with their boosts."""
        model = self.queryset.model
        if self.boosts is not None:
            return self.boosts
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

    # Filters ------------------------------------------------------------

    def whoosh_filter(self):
        """The queryset's filters as a Whoosh query (None: no filter), or
        ``Untranslatable``."""
        try:
            translated = self._get_filters_from_queryset()
        except FilterFieldError:
            raise
        except (FilterError, NotImplementedError) as exc:
            raise Untranslatable(str(exc)) from exc
        return translated.query if translated is not None else None

    def _process_lookup(self, field_path, lookup, value):
        model = self.queryset.model
        names = []
        for field in field_path[:-1]:
            names.append(field.field_name)
            model = field.get_field(model).related_model
        last = field_path[-1]
        names.append(last.get_attname(model))
        name = FILTER_PREFIX + "__".join(names)
        model_field = _model_field(model, last.field_name)
        return _Filter(_lookup_query(name, model_field, lookup, value))

    def _process_match_none(self):
        return _Filter(wq.NullQuery)

    def _connect_filters(self, filters, connector, negated):
        queries = [f.query for f in filters if f is not None]
        if not queries:
            return None
        if len(queries) == 1:
            query = queries[0]
        else:
            query = wq.And(queries) if connector == "AND" else wq.Or(queries)
        if negated:
            query = wq.And([wq.Every(), wq.Not(query)])
        return _Filter(query)

    def sort_facets(self):
        """Whoosh sort facets for the queryset's ordering (relevance aside), or
        ``Untranslatable`` when it orders on something without a column."""
        query = self.queryset.query
        keys = list(query.order_by) or (
            list(self.queryset.model._meta.ordering) if query.default_ordering else []
        )
        if not keys:
            keys = ["-pk"]
        facets = []
        pk_name = self.queryset.model._meta.pk.attname
        columns = {
            field.get_attname(self.queryset.model)
            for field in self.queryset.model.get_search_fields()
            if isinstance(field, FilterField)
        }
        for key in keys:
            if not isinstance(key, str):
                raise Untranslatable("ordering by an expression")
            reverse = key.startswith("-")
            name = key.lstrip("-+")
            if name in ("pk", pk_name):
                column = SORT_PK
            else:
                model_field = _model_field(self.queryset.model, name)
                attname = getattr(model_field, "attname", name)
                if attname not in columns:
                    raise Untranslatable(f"ordering by {name}")
                column = SORT_PREFIX + attname
            facets.append(sorting.FieldFacet(column, reverse=reverse))
        facets.append(sorting.FieldFacet(SORT_PK))
        return sorting.MultiFacet(facets)


class _Filter:
    """A translated filter (always true in a boolean sense, unlike some Whoosh
    queries, which the base class would drop as empty)."""

    __slots__ = ("query",)

    def __init__(self, query):
        self.query = query


def _lookup_query(name, model_field, lookup, value):
    if isinstance(value, (BaseExpression, QuerySet)) or hasattr(value, "resolve_expression"):
        raise Untranslatable("a lookup on a subquery or expression")
    if lookup == "exact":
        return wq.Term(name, encode(_clean(model_field, value)))
    if lookup == "isnull":
        null = wq.Term(name, NULL)
        return null if value else wq.And([wq.Every(), wq.Not(null)])
    if lookup == "in":
        tokens = sorted({encode(_clean(model_field, item)) for item in value})
        if not tokens:
            return wq.NullQuery
        return wq.Or([wq.Term(name, token) for token in tokens])
    if lookup in ("gt", "gte", "lt", "lte"):
        return _range(name, model_field, value, lookup)
    if lookup == "range":
        low, high = value
        return wq.And([_range(name, model_field, low, "gte"), _range(name, model_field, high, "lte")])
    if lookup in ("startswith", "prefix") and isinstance(value, str):
        return wq.Prefix(name, "s" + value)
    raise Untranslatable(f"lookup {lookup}")


def _range(name, model_field, value, lookup):
    token = encode(_clean(model_field, value))
    kind = token[0]
    # String order in the index is not the database's collation, and floats
    # do not sort as text: those ranges are the database's job.
    if kind not in "bitdh":
        raise Untranslatable(f"a range on {kind}")
    if lookup in ("gt", "gte"):
        return wq.TermRange(name, token, kind + "\uffff", startexcl=lookup == "gt", endexcl=False)
    return wq.TermRange(name, kind, token, startexcl=False, endexcl=lookup == "lt")


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

    def _plan(self):
        """``(whoosh query or NOTHING, filter or None, translated)``."""
        compiler = self.query_compiler
        whoosh_query = compiler.compile()
        models_filter = wq.Term("models", model_label(compiler.queryset.model))
        try:
            translated = compiler.whoosh_filter()
        except Untranslatable as exc:
            logger.debug("Filtering %s in the database: %s", compiler.queryset.model.__name__, exc)
            return whoosh_query, models_filter, False
        if translated is not None:
            models_filter = wq.And([models_filter, translated])
        return whoosh_query, models_filter, True

    def _to_python(self, raw):
        try:
            return self.query_compiler.queryset.model._meta.pk.to_python(raw)
        except Exception:  # noqa: BLE001 - a document from an older schema
            return None

    def _hits(self, whoosh_query, whoosh_filter):
        """``{pk: score}`` for every indexed document matching the query (the
        path for what the index cannot filter or order by itself)."""
        hits = {}
        with self.backend.searcher() as searcher:
            results = filtered_search(searcher, whoosh_query, whoosh_filter, limit=None)
            for hit in results:
                pk = self._to_python(hit["pk"])
                if pk is None:
                    continue
                score = float(hit.score or 0.0)
                if score > hits.get(pk, -1.0):
                    hits[pk] = score
        return hits

    def _queryset_for(self, pks):
        queryset = self.query_compiler.queryset.filter(pk__in=list(pks))
        if self.prefetch_related:
            queryset = queryset.prefetch_related(*self.prefetch_related)
        return queryset

    def _do_search(self):
        whoosh_query, whoosh_filter, translated = self._plan()
        if whoosh_query is NOTHING:
            return []
        if translated:
            try:
                sortedby = (
                    None if self.query_compiler.order_by_relevance else self.query_compiler.sort_facets()
                )
            except Untranslatable:
                pass
            else:
                return self._search_in_index(whoosh_query, whoosh_filter, sortedby)
        return self._search_in_database(whoosh_query, whoosh_filter)

    def _search_in_index(self, whoosh_query, whoosh_filter, sortedby):
        """One page straight from the index; the database loads just that page,
        through the queryset (so its filters are checked once more)."""
        page, scores = [], {}
        if self.stop is not None and self.stop <= self.start:
            return []
        with self.backend.searcher() as searcher:
            results = filtered_search(
                searcher, whoosh_query, whoosh_filter, limit=self.stop, sortedby=sortedby
            )
            for hit in (
                results[self.start : self.stop] if self.stop is not None else list(results)[self.start :]
            ):
                pk = self._to_python(hit["pk"])
                if pk is None or pk in scores:
                    continue
                page.append(pk)
                # Sorted hits carry their sort key, not a relevance score.
                scores[pk] = float(hit.score or 0.0) if sortedby is None else None
        if not page:
            return []
        by_pk = self._queryset_for(page).order_by().in_bulk(page)
        objects = [by_pk[pk] for pk in page if pk in by_pk]
        if self._score_field:
            for obj in objects:
                setattr(obj, self._score_field, scores.get(obj.pk))
        return objects

    def _search_in_database(self, whoosh_query, whoosh_filter):
        hits = self._hits(whoosh_query, whoosh_filter)
        if not hits:
            return []
        queryset = self._queryset_for(hits)
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
        whoosh_query, whoosh_filter, translated = self._plan()
        if whoosh_query is NOTHING:
            return 0
        if translated:
            with self.backend.searcher() as searcher:
                count = sum(1 for _ in filtered_docs(searcher, whoosh_query, whoosh_filter))
        else:
            hits = self._hits(whoosh_query, whoosh_filter)
            count = self._queryset_for(hits).order_by().count() if hits else 0
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
        whoosh_query, whoosh_filter, translated = self._plan()
        if whoosh_query is NOTHING:
            return OrderedDict()
        column = SORT_PREFIX + field_name
        if translated:
            with self.backend.searcher() as searcher:
                reader = searcher.reader()
                if reader.has_column(column):
                    values = reader.column_reader(column)
                    counts = {}
                    for docnum in filtered_docs(searcher, whoosh_query, whoosh_filter):
                        try:
                            token = values[docnum]
                        except IndexError:  # a segment's column ends at its last value
                            token = ""
                        counts[token] = counts.get(token, 0) + 1
                    ordered = sorted(counts.items(), key=lambda item: -item[1])
                    return OrderedDict((decode(token), n) for token, n in ordered)
        hits = self._hits(whoosh_query, whoosh_filter)
        if not hits:
            return OrderedDict()
        rows = (
            self._queryset_for(hits)
            .order_by()
            .values(field_name)
            .annotate(count=Count("pk"))
            .order_by("-count")
        )
        return OrderedDict((row[field_name], row["count"]) for row in rows)


# ---------------------------------------------------------------- filtering

# A queryset's filter (a member's visible boards, a model's label) is the
# same for query after query, while the words change. Whoosh would turn the
# filter into the set of documents it allows on every search (reading every
# posting of every allowed board: the bulk of a search's time on a large
# index), so that set is kept per segment: segments never gain documents,
# and a document deleted since is still dropped by the query's own matcher.
# A commit adds small segments and leaves the large ones, and their sets, as
# they were.
# The search page asks for every kind's filter (and a few facet values) in
# every segment at once: the sets of one page's searches must fit.
KEEP_FILTER_SETS = 256
_filter_sets = OrderedDict()
_filter_sets_lock = threading.Lock()


def _segment_key(searcher):
    reader = searcher.reader()
    segment = reader.segment() if hasattr(reader, "segment") else None
    if segment is None:
        return None
    # Segment names are random and never reused, in any index; the storage
    # object is not part of the key, because a compound segment's storage is
    # a new object whenever its reader is reopened.
    return (segment.segment_id(), segment.doc_count_all())


def _is_stable(whoosh_filter):
    # A range (``expire_at > now``) is a new filter on every request: worth
    # neither keeping nor evicting a board's set for.
    return not any(isinstance(q, wq.TermRange) for q in whoosh_filter.leaves())


def allowed_in_segment(searcher, whoosh_filter):
    """The local document numbers of one leaf ``searcher`` that
    ``whoosh_filter`` allows (a frozenset, kept for the next search)."""
    segment = _segment_key(searcher)
    if segment is None:
        return frozenset(whoosh_filter.docs(searcher))
    if not _is_stable(whoosh_filter):
        # The stable parts are kept; only the range is read again.
        if isinstance(whoosh_filter, wq.And):
            parts = sorted((allowed_in_segment(searcher, q) for q in whoosh_filter.subqueries), key=len)
            return parts[0].intersection(*parts[1:]) if parts else frozenset()
        if isinstance(whoosh_filter, wq.Or):
            return frozenset().union(*(allowed_in_segment(searcher, q) for q in whoosh_filter.subqueries))
        return frozenset(whoosh_filter.docs(searcher))
    key = (segment, repr(whoosh_filter))
    with _filter_sets_lock:
        found = _filter_sets.get(key)
        if found is not None:
            _filter_sets.move_to_end(key)
            return found
    found = frozenset(whoosh_filter.docs(searcher))
    with _filter_sets_lock:
        _filter_sets[key] = found
        while len(_filter_sets) > KEEP_FILTER_SETS:
            _filter_sets.popitem(last=False)
    return found


class _AllowedCollector(collectors.WrappingCollector):
    """Passes on to ``child`` only the documents ``whoosh_filter`` allows,
    checked per segment against the kept sets of ``allowed_in_segment``."""

    def __init__(self, child, whoosh_filter):
        super().__init__(child)
        self.whoosh_filter = whoosh_filter
        self._allowed = frozenset()

    def set_subsearcher(self, subsearcher, offset):
        self.child.set_subsearcher(subsearcher, offset)
        self.subsearcher, self.offset = subsearcher, offset
        self._allowed = allowed_in_segment(subsearcher, self.whoosh_filter)

    def collect_matches(self):
        child, allowed = self.child, self._allowed
        if not allowed:
            return
        for sub_docnum in child.matches():
            if sub_docnum in allowed:
                child.collect(sub_docnum)

    def all_ids(self):
        return self.child.all_ids()

    def count(self):
        return self.child.count()

    def results(self):
        results = self.child.results()
        results.collector = self
        return results


def filtered_search(searcher, whoosh_query, whoosh_filter, **kwargs):
    """``searcher.search(whoosh_query, **kwargs)`` restricted to what
    ``whoosh_filter`` allows (None: everything)."""
    if whoosh_filter is None:
        return searcher.search(whoosh_query, **kwargs)
    collector = _AllowedCollector(searcher.collector(**kwargs), whoosh_filter)
    searcher.search_with_collector(whoosh_query, collector)
    return collector.results()


def filtered_docs(searcher, whoosh_query, whoosh_filter):
    """Top-level document numbers matching ``whoosh_query`` that
    ``whoosh_filter`` allows, without scoring them."""
    for leaf, offset in searcher.leaf_searchers():
        allowed = allowed_in_segment(leaf, whoosh_filter)
        if not allowed:
            continue
        for docnum in whoosh_query.docs(leaf):
            if docnum in allowed:
                yield docnum + offset


# ------------------------------------------------------- several models at once

# A segment's column as small integer codes and its distinct values, kept like
# the filter sets (a segment never changes), so counting a facet over a large
# matched set is a list lookup per document instead of a column read.
KEEP_COLUMNS = 32
_columns = OrderedDict()
_columns_lock = threading.Lock()
# A facet of a field without a column (a post's category, a resource's topics)
# is counted per value from its postings; a field with more values than this
# in a segment is not worth it.
MAX_FACET_TERMS = 500


def _column_codes(leaf, column):
    """``(codes, values)`` of ``column`` in one leaf searcher's segment (the
    value of document ``d`` is ``values[codes[d]]``), or None without a column."""
    reader = leaf.reader()
    if not reader.has_column(column):
        return None
    segment = _segment_key(leaf)
    key = (segment, column)
    if segment is not None:
        with _columns_lock:
            found = _columns.get(key)
            if found is not None:
                _columns.move_to_end(key)
                return found
    values, seen, codes = [""], {"": 0}, array.array("i")
    for token in reader.column_reader(column):
        code = seen.get(token)
        if code is None:
            code = seen[token] = len(values)
            values.append(token)
        codes.append(code)
    missing = reader.doc_count_all() - len(codes)
    if missing > 0:  # a segment's column ends at its last value
        codes.extend([0] * missing)
    found = (codes, values)
    if segment is not None:
        with _columns_lock:
            _columns[key] = found
            while len(_columns) > KEEP_COLUMNS:
                _columns.popitem(last=False)
    return found


# {id(values of a kept column): (values, their _date_rank)}: the ranks of a
# segment's date column, worked out once instead of on every search.
_date_ranks = OrderedDict()


def _date_ranks_of(values):
    key = id(values)
    with _columns_lock:
        kept = _date_ranks.get(key)
        if kept is not None and kept[0] is values:
            _date_ranks.move_to_end(key)
            return kept[1]
    ranks = [_date_rank(v) for v in values]
    with _columns_lock:
        # Keeping ``values`` keeps its id from being reused by another list.
        _date_ranks[key] = (values, ranks)
        while len(_date_ranks) > KEEP_COLUMNS:
            _date_ranks.popitem(last=False)
    return ranks


def _date_rank(token):
    # Dates and times of different kinds compare as one timeline, newest last.
    if not token or token == NULL or token[0] not in "td":
        return ""
    return token[1:].ljust(20, "0")


class _Unsupported(Exception):
    """A matcher ``_MatchSets`` cannot read without moving it."""


class _MatchSets:
    """The document numbers a fresh matcher tree matches, read as Python sets
    from its postings blocks (unions, intersections and exclusions of sets
    cost far less than stepping the tree document by document), and the
    score of one of those documents, computed as the tree itself computes it
    there: the same leaf scorers, added in the same order.

    A node's set read from its postings holds all its matches, also those
    before where building the tree left it (an intersection moves its
    children up to their first shared document): the ones passed over are in
    no result above it."""

    def __init__(self, twin=None):
        self.ids = {}
        # ``twin()`` builds the same matcher tree again, for a matcher of
        # another kind (a phrase's) that can only be read by stepping it.
        self.twin = twin
        self._twin = None

    def of(self, m, path=(), whole=False):
        key = id(m)
        found = self.ids.get(key)
        if found is None:
            found = self.ids[key] = self._read(m, path, whole)
        return found

    def _read(self, m, path, whole):
        # ``whole``: every match is needed, not only those from where the tree
        # left the matcher (what an exclusion takes away must be all there).
        kind = type(m)
        if kind is UnionMatcher:
            return self.of(m.a, (*path, 0), whole) | self.of(m.b, (*path, 1), whole)
        if kind is IntersectionMatcher:
            return self.of(m.a, (*path, 0), whole) & self.of(m.b, (*path, 1), whole)
        if kind is AndNotMatcher:
            return self.of(m.a, (*path, 0), whole) - self.of(m.b, (*path, 1), True)
        if kind is FilterMatcher:
            child, ids = self.of(m.child, (*path, 0), whole), m._ids
            return child - ids if m._exclude else child & ids
        deleted = self._deleted(m) if kind is InverseMatcher else None
        if deleted is not None:
            found = set(range(m.limit)) - self.of(m.child, (*path, 0), True)
            return found - deleted
        if kind is W3LeafMatcher:
            # A second reader of the same postings, so ``m`` stays where it is.
            copy = W3LeafMatcher(m._postfile, m._startoffset, m._length, m.format, m._term, m._byteids)
            found = set()
            while copy.is_active():
                copy._read_ids()
                found.update(copy._ids)
                copy._next_block()
            return found
        if kind is mcore.ListMatcher:
            return set(m._ids)
        if kind is mcore.NullMatcherClass:
            return set()
        return self._stepped(m, path, whole)

    @staticmethod
    def _deleted(m):
        # An InverseMatcher yields every number that is neither one of the
        # child's matches nor a document its ``missing`` (the reader's
        # is_deleted) says is deleted: those, as a set, or None.
        reader = getattr(m.missing, "__self__", None)
        if not isinstance(reader, SegmentReader) or m.missing != reader.is_deleted:
            return None
        if not reader.has_deletions():
            return set()
        try:
            return set(reader._perdoc.deleted_docs())
        except (AttributeError, NotImplementedError):
            # A codec without that list: the caller steps the matcher instead.
            return None

    def _stepped(self, m, path, whole):
        # The twin's matcher stands where building the tree left it, past
        # matches an exclusion above it already took: only good for a set
        # that is intersected or joined, never for one taken away.
        if self.twin is None or whole:
            raise _Unsupported(type(m).__name__)
        if self._twin is None:
            self._twin = self.twin()
        node = self._twin
        for index in path:
            children = node.children()
            if index >= len(children):
                raise _Unsupported(type(m).__name__)
            node = children[index]
        if type(node) is not type(m):
            raise _Unsupported(type(m).__name__)
        # Matcher.all_ids steps the matcher itself (a wrapper's own all_ids
        # would answer its child's ids).
        return set(mcore.Matcher.all_ids(node))

    def score(self, m, docnum):
        """``m.score()`` with ``m`` at ``docnum`` (one of its matches; called
        in increasing order), as UnionMatcher, IntersectionMatcher,
        AndNotMatcher and FilterMatcher compute it."""
        kind = type(m)
        if kind is UnionMatcher:
            a, b = m.a, m.b
            in_a, in_b = docnum in self.ids[id(a)], docnum in self.ids[id(b)]
            if in_a and in_b:
                return self.score(a, docnum) + self.score(b, docnum)
            return self.score(a, docnum) if in_a else self.score(b, docnum)
        if kind is IntersectionMatcher:
            return self.score(m.a, docnum) + self.score(m.b, docnum)
        if kind is AndNotMatcher:
            return self.score(m.a, docnum)
        if kind is FilterMatcher:
            return self.score(m.child, docnum) * m.boost
        # A leaf, or a matcher of another kind: step it there and ask it.
        if m.id() < docnum:
            m.skip_to(docnum)
        return m.score()


class _AcrossCollector(collectors.Collector):
    """One pass over a query's matches in every segment. Each match counts for
    the first source whose filter allows it; the matches of the listed sources
    are also ranked (by score, or newest first by their date column) and the
    best ``limit`` kept."""

    def __init__(self, sources, limit, date_columns):
        self.sources = sources  # [(key, whoosh filter, listed)]
        self.limit = limit
        self.date_columns = date_columns  # {key: column} to sort newest first, or None

    def prepare(self, top_searcher, q, context):
        super().prepare(top_searcher, q, context)
        self.matched = {key: [] for key, _f, _l in self.sources}
        self.best = []

    def collect_matches(self):
        leaf = self.subsearcher
        allowed = []
        for key, whoosh_filter, listed in self.sources:
            docs = allowed_in_segment(leaf, whoosh_filter)
            if docs:
                dates = None
                if listed and self.date_columns is not None:
                    column = self.date_columns.get(key)
                    coded = _column_codes(leaf, column) if column else None
                    if coded is not None:
                        dates = (coded[0], _date_ranks_of(coded[1]))
                allowed.append((key, docs, listed and self.limit > 0, [], dates))
        if not allowed:
            return
        # Most matches belong to the biggest source: ask it first.
        allowed.sort(key=lambda entry: -len(entry[1]))
        sets = _MatchSets(lambda: self.q.matcher(leaf, self.context))
        try:
            matched = sets.of(self.matcher)
        except _Unsupported:
            self._walk(allowed)
        else:
            self._collect_sets(allowed, matched, sets)
        for key, _docs, _ranked, found, _dates in allowed:
            if found:
                self.matched[key].append((leaf, found))

    def _keep(self, items):
        best, limit = self.best, self.limit
        push, replace = heapq.heappush, heapq.heapreplace
        for item in items:
            if len(best) < limit:
                push(best, item)
            elif item > best[0]:
                replace(best, item)

    def _collect_sets(self, allowed, matched, sets):
        """The matches as sets of document numbers, read from the postings
        blocks: each source takes its allowed share (a match counts for the
        first source that allows it, as in ``_walk``) and only the matches of
        the ranked sources are scored, by the same matchers and the same
        additions as a walk, so the ranks are the walk's to the last bit."""
        offset = self.offset
        remaining = matched
        ranked_docs = {}
        for key, docs, ranked, found, dates in allowed:
            if not remaining:
                break
            mine = remaining & docs if len(remaining) <= len(docs) else docs & remaining
            if not mine:
                continue
            remaining = remaining - mine
            found.extend(sorted(mine))
            if not ranked:
                continue
            if self.date_columns is None:
                for docnum in mine:
                    ranked_docs[docnum] = key
            elif dates is not None:
                codes, ranks = dates
                self._keep((ranks[codes[d]], -(d + offset), key) for d in found)
            else:
                self._keep(("", -(d + offset), key) for d in found)
        if ranked_docs:
            score = sets.score
            matcher = self.matcher
            # Ties keep index order: the earlier document first.
            self._keep(
                (score(matcher, docnum), -(docnum + offset), ranked_docs[docnum])
                for docnum in sorted(ranked_docs)
            )

    def _walk(self, allowed):
        """The matches one by one through Whoosh's matcher, for a query whose
        matcher ``_MatchSets`` cannot read as sets (a phrase, a fuzzy term)."""
        by_score = self.date_columns is None
        best, limit = self.best, self.limit
        push, replace = heapq.heappush, heapq.heapreplace
        offset = self.offset
        matcher = self.matcher
        while matcher.is_active():
            docnum = matcher.id()
            for key, docs, ranked, found, dates in allowed:
                if docnum not in docs:
                    continue
                found.append(docnum)
                if ranked:
                    if by_score:
                        rank = matcher.score()
                    elif dates is not None:
                        rank = dates[1][dates[0][docnum]]
                    else:
                        rank = ""
                    # Ties keep index order: the earlier document first.
                    item = (rank, -(docnum + offset), key)
                    if len(best) < limit:
                        push(best, item)
                    elif item > best[0]:
                        replace(best, item)
                break
            matcher.next()

    # collect(), sort_key() and results() stay Whoosh's abstract ones: this
    # collector is run by search_with_collector, whose collect_matches above
    # does the work, and its hits are read from ``matched``, never results().

    def ranked(self):
        """``[(key, top-level docnum, rank)]``, best first."""
        return [(key, -negative, rank) for rank, negative, key in sorted(self.best, reverse=True)]


def _facet_counts(matched, path):
    """``{value: n}`` of the filter field ``path`` over ``[(leaf, docnums)]``."""
    counts = {}
    for leaf, docnums in matched:
        coded = _column_codes(leaf, SORT_PREFIX + path)
        if coded is not None:
            codes, values = coded
            for code, n in Counter(codes[d] for d in docnums).items():
                token = values[code]
                counts[token] = counts.get(token, 0) + n
            continue
        field = FILTER_PREFIX + path
        reader = leaf.reader()
        if field not in reader.schema:
            continue
        tokens = list(itertools.islice(reader.field_terms(field), MAX_FACET_TERMS + 1))
        if len(tokens) > MAX_FACET_TERMS:
            logger.warning("Facet %s has too many values to count", path)
            continue
        found = set(docnums)
        for token in tokens:
            n = len(found.intersection(allowed_in_segment(leaf, wq.Term(field, token))))
            if n:
                counts[token] = counts.get(token, 0) + n
    return {decode(token): n for token, n in counts.items() if token and token != NULL}


class AcrossResults:
    """What ``SearchBackend.search_across`` found: ``counts`` per source key,
    the ranked ``page`` of ``(key, pk, score or None)`` and ``facets``
    ``{(key, name): {value: count}}``."""

    def __init__(self, counts, page, facets):
        self.counts = counts
        self.page = page
        self.facets = facets


def _sort_key(pk):
    # Ties in score keep a stable order across pages.
    return (0, pk, "") if isinstance(pk, (int, float)) else (1, 0, str(pk))


# ---------------------------------------------------------------- storage

_local = threading.local()


class _KeptSearcher:
    """A kept-open searcher lent to a caller: ``with`` and ``close()`` leave
    it open for the next search; everything else is the searcher's."""

    def __init__(self, searcher):
        self._searcher = searcher

    def __getattr__(self, name):
        return getattr(self._searcher, name)

    def __enter__(self):
        return self._searcher

    def __exit__(self, *exc_info):
        return False

    def close(self):
        pass


class _Generation:
    """A rebuild under way: its directory, index and writer."""

    def __init__(self, name, ix, writer):
        self.name = name
        self.ix = ix
        self.writer = writer
        self.ids = set()
        self.adder = _FastAdder(writer.schema)
        writer._fast_adder = self.adder

    def add(self, writer, docs, ancestors, parts=None):
        # The new index starts empty: a document is only added, unless this
        # rebuild already wrote it (or wrote it as one of its parent models),
        # which spares Whoosh a deletion search per document.
        ids = self.ids
        adder = self.adder if parts is not None and self.adder.fits(writer) else None
        for i, doc in enumerate(docs):
            if doc["id"] in ids:
                writer.update_document(**doc)
            else:
                if adder is not None:
                    adder.add(writer, doc, parts[i])
                else:
                    writer.add_document(**doc)
                ids.add(doc["id"])
            for ancestor in ancestors:
                key = f"{ancestor}:{doc['pk']}"
                if key in ids:
                    writer.delete_by_term("id", key)
                    ids.discard(key)


# WORD_REGEX without its group, so findall returns whole words.
_WORDS_FLAT = re.compile(WORD_REGEX.replace("(", "(?:"))


def _encode_positions(positions):
    """``formats.Positions.encode``: the count, then the pickled deltas."""
    deltas = [positions[0]]
    deltas.extend(b - a for a, b in zip(positions, positions[1:], strict=False))
    return pack_uint(len(deltas)) + pickle.dumps(deltas, 2)


class _FastAdder:
    """``SegmentWriter.add_document`` for a rebuild, with the same postings,
    lengths and stored values, but each text analysed once: a text that is
    both a field of its own (``t_body``) and part of ``all_text`` is split
    into words once, each word stemmed once per rebuild, and the postings go
    straight into the writer's pool. Only for the text fields of
    ``build_schema`` (the analysers above); every other field goes through
    Whoosh's own ``field.index``."""

    def __init__(self, schema):
        self.schema = schema
        # {(field, term bytes): [(docnum, weight, value bytes), ...]}
        self.pending = {}
        self.stems = {}
        # The encoded positions of a word found once, by position.
        self.singles = {}
        self.fields = {}
        self.infos = {}
        for name in schema.names():
            self._kind(name)

    def _kind(self, name):
        """How this class indexes the field: ``"positions"`` and
        ``"frequency"`` (text), ``"id"`` (the value is the term), ``"split"``
        (a tokenizer's matches are the terms), or None (Whoosh does)."""
        kind = self.fields.get(name, False)
        if kind is not False:
            return kind
        kind = None
        try:
            field = self.schema[name]
        except KeyError:
            field = None
        if (
            isinstance(field, TEXT)
            and field.analyzer == TEXT_ANALYZER
            and isinstance(field.format, formats.Positions)
        ):
            kind = "positions"
        elif (
            isinstance(field, TEXT)
            and field.analyzer == AUTOCOMPLETE_ANALYZER
            and type(field.format) is formats.Frequency
        ):
            kind = "frequency"
        elif (
            isinstance(field, ID)
            and field.indexed
            and type(field.analyzer) is IDTokenizer
            and type(field.format) is formats.Existence
        ):
            kind = "id"
        elif (
            isinstance(field, KEYWORD)
            and type(field.analyzer) is RegexTokenizer
            and not field.analyzer.gaps
            and type(field.format) is formats.Frequency
        ):
            kind = "split"
        plain = field is not None and not (field.vector or field.separate_spelling())
        if kind is not None and not (plain and field.format.field_boost == 1.0):
            kind = None
        self.fields[name] = kind
        return kind

    def _info(self, fieldname):
        """What ``add`` needs of a field, looked up once: ``(field, kind,
        scorable, stored, column type, length column name)``."""
        field = self.schema[fieldname]
        return (
            field,
            self._kind(fieldname),
            field.scorable,
            field.stored,
            field.column_type,
            f"_{fieldname}_len",  # whoosh.codec.whoosh3._lenfield
        )

    def fits(self, writer):
        return (
            writer.schema is self.schema
            and hasattr(writer, "perdocwriter")
            and hasattr(writer.pool, "current")
            and hasattr(writer.pool, "currentsize")
        )

    def _stem(self, word):
        stems = self.stems
        stemmed = stems.get(word)
        if stemmed is None:
            stemmed = stems[word] = _porter_stem(word)
        return stemmed

    def _counts(self, texts, words_of, stemmed):
        """``({term: [positions]}, length)`` as the field's analyser would
        give for ``" ".join(texts)``: RegexTokenizer positions, words longer
        than MAX_TERM_LENGTH dropped and the rest renumbered (StopFilter)."""
        poses = {}
        pos = None
        index = 0
        stems = self.stems
        stem = self._stem
        for text in texts:
            words = words_of(text)
            if not words:
                continue
            if len(max(words, key=len)) <= MAX_TERM_LENGTH:
                # No word is dropped: positions run on from the last one.
                start = index if pos is None else pos + 1
                if stemmed:
                    words = [stems.get(word) or stem(word) for word in words]
                for pos, word in enumerate(words, start):
                    entry = poses.get(word)
                    if entry is None:
                        poses[word] = [pos]
                    else:
                        entry.append(pos)
                index += len(words)
                continue
            for word in words:
                index += 1
                if len(word) > MAX_TERM_LENGTH:
                    continue
                # The first word kept keeps its own position; the rest follow it.
                pos = index - 1 if pos is None else pos + 1
                if stemmed:
                    word = stems.get(word) or stem(word)
                entry = poses.get(word)
                if entry is None:
                    poses[word] = [pos]
                else:
                    entry.append(pos)
        return poses

    def _text_items(self, texts, words_of, kind):
        """``([(term bytes, frequency, value bytes)], pool size, total
        frequency)``: what Positions or Frequency ``word_values`` gives for
        the joined texts, with what the pool's size and the field's length
        add up to over them."""
        poses = self._counts(texts, words_of, kind == "positions")
        items = []
        size = freqs = 0
        if kind == "positions":
            singles = self.singles
            for word, positions in poses.items():
                tbytes = word.encode("utf-8")
                if len(positions) == 1:
                    pos = positions[0]
                    vbytes = singles.get(pos)
                    if vbytes is None:
                        vbytes = singles[pos] = _encode_positions(positions)
                    items.append((tbytes, 1.0, vbytes))
                    freqs += 1
                else:
                    vbytes = _encode_positions(positions)
                    items.append((tbytes, float(len(positions)), vbytes))
                    freqs += len(positions)
                size += 2 * len(tbytes) + len(vbytes)
        else:
            for word, positions in poses.items():
                tbytes = word.encode("utf-8")
                vbytes = pack_uint(len(positions))
                items.append((tbytes, float(len(positions)), vbytes))
                freqs += len(positions)
                size += 2 * len(tbytes) + len(vbytes)
        return items, size, freqs

    def add(self, writer, doc, parts):
        writer._check_state()
        perdocwriter = writer.perdocwriter
        pool = writer.pool
        pending = self.pending
        docnum = writer.docnum

        def terms_of(fieldname):
            terms = pending.get(fieldname)
            if terms is None:
                terms = pending[fieldname] = defaultdict(list)
            return terms

        size = 0
        words = {}
        memo = {}

        def words_of(text):
            found = words.get(text)
            if found is None:
                found = words[text] = [w.lower() for w in _WORDS_FLAT.findall(text)]
            return found

        perdocwriter.start_doc(docnum)
        # Whoosh's W3 per-document writer: its ``add_field`` and
        # ``add_column_value`` are done here, with each field's column
        # writers looked up once.
        w3 = type(perdocwriter).__name__ == "W3PerDocWriter"
        if w3:
            stored_fields = perdocwriter._storedfields
            field_lengths = perdocwriter._fieldlengths
            columns = perdocwriter._colwriters
        infos = self.infos
        for fieldname in sorted(doc):
            value = doc[fieldname]
            if value is None or fieldname.startswith("_"):
                continue
            info = infos.get(fieldname)
            if info is None:
                info = infos[fieldname] = self._info(fieldname)
            field, kind, scorable, stored, column, lenfield = info
            length = 0
            if kind in ("id", "split") and not isinstance(value, str):
                kind = None
            if kind == "positions" or kind == "frequency":
                # A post's body is both ``t_body`` and all of ``all_text``:
                # the same texts give the same postings.
                key = (kind, tuple(parts.get(fieldname, ())))
                found = memo.get(key)
                if found is None:
                    found = memo[key] = self._text_items(key[1], words_of, kind)
                items, items_size, freqs = found
                if items:
                    terms = terms_of(fieldname)
                    for tbytes, freq, vbytes in items:
                        terms[tbytes].append((docnum, freq, vbytes))
                    size += items_size + len(items) * (150 + len(fieldname))
                    if scorable:
                        length += freqs
                    pool.fieldnames.add(fieldname)
            elif kind == "id":
                # Existence.word_values: the one term, weight 1.0, no value.
                tbytes = value.encode("utf-8")
                terms_of(fieldname)[tbytes].append((docnum, 1.0, b""))
                size += 150 + len(fieldname) + 2 * len(tbytes)
                if scorable:
                    length += 1
                pool.fieldnames.add(fieldname)
            elif kind == "split":
                counts = {}
                for match in field.analyzer.expression.finditer(value):
                    term = match.group(0)
                    counts[term] = counts.get(term, 0) + 1
                terms = terms_of(fieldname) if counts else None
                for term, freq in counts.items():
                    tbytes = term.encode("utf-8")
                    vbytes = pack_uint(freq)
                    terms[tbytes].append((docnum, float(freq), vbytes))
                    size += 150 + len(fieldname) + 2 * len(tbytes) + len(vbytes)
                    if scorable:
                        length += freq
                if counts:
                    pool.fieldnames.add(fieldname)
            elif field.indexed:
                terms = terms_of(fieldname)
                for tbytes, freq, weight, vbytes in field.index(value):
                    if scorable:
                        length += freq
                    terms[tbytes].append((docnum, weight, vbytes))
                    size += 150 + len(fieldname) + 2 * len(tbytes) + len(vbytes or b"")
                pool.fieldnames.add(fieldname)
            if not w3:
                perdocwriter.add_field(fieldname, field, value if stored else None, length)
                if column:
                    perdocwriter.add_column_value(fieldname, column, field.to_column_value(value))
                continue
            if stored:
                stored_fields[fieldname] = value
            if length:
                found = columns.get(lenfield)
                if found is None:
                    perdocwriter._create_column(lenfield, LENGTHS_COLUMN)
                    found = columns[lenfield]
                found.add(docnum, length_to_byte(length))
                field_lengths[fieldname] += length
            if column:
                found = columns.get(fieldname)
                if found is None:
                    perdocwriter._create_column(fieldname, column)
                    found = columns[fieldname]
                found.add(docnum, field.to_column_value(value))
        perdocwriter.finish_doc()
        writer._added = True
        writer.docnum += 1
        pool.currentsize += size
        if pool.currentsize > pool.limit:
            self.drain(pool)
            pool.save()

    def drain(self, pool):
        """Hand the pending postings to the pool, in the order the pool sorts
        them into (term by term, documents in order), so its sort is a
        merge of runs already in order rather than a sort of every posting."""
        pending, self.pending = self.pending, {}
        current = pool.current
        for fieldname in sorted(pending):
            terms = pending[fieldname]
            for tbytes in sorted(terms):
                current.extend([(fieldname, tbytes, *posting) for posting in terms[tbytes]])

    def take(self, pool):
        """The pending postings as ``{field: {term bytes: [(docnum, weight,
        value bytes), ...]}}``, when they are all the segment has (nothing
        went into the pool through Whoosh's own writer, nothing was spilled
        to disk), or None: the pool has to merge them with its own."""
        if pool.current or pool.runs:
            return None
        pending, self.pending = self.pending, {}
        return pending


class _Batch:
    """Writes gathered into one commit (see ``SearchBackend.batch``)."""

    def __init__(self, writer, generation):
        self.writer = writer
        self.generation = generation
        self.journal = []


class _FlushLengths:
    """A segment's field lengths as its writer flushes it. Whoosh's own reader
    asks the file system whether a field has a length column, and reads the
    column, once per posting (a stat per posting of an unscored field); here
    each field's lengths are read once per flush."""

    def __init__(self, reader):
        self.reader = reader
        self.fields = {}

    def field_lengths(self, fieldname):
        """The field's length bytes by document number, or False (no lengths)."""
        self.doc_field_length(0, fieldname)
        return self.fields[fieldname]

    def doc_field_length(self, docnum, fieldname, default=0):
        lengths = self.fields.get(fieldname)
        if lengths is None:
            from whoosh.codec.whoosh3 import LENGTHS_COLUMN, _lenfield

            column = self.reader._cached_reader(_lenfield(fieldname), LENGTHS_COLUMN)
            lengths = self.fields[fieldname] = list(column) if column is not None else False
        if lengths is False:
            return default
        try:
            lbyte = lengths[docnum]
        except IndexError:
            return None
        return _LENGTHS[lbyte] if lbyte else None

    def close(self):
        self.reader.close()


def _byte_lengths():
    from whoosh.util.numeric import byte_to_length

    return [byte_to_length(b) for b in range(256)]


_LENGTHS = _byte_lengths()


def _add_postings(fieldwriter, schema, lengths, items):
    """``FieldWriter.add_postings`` for Whoosh's W3 field writer, writing the
    same bytes: ``W3PostingsWriter.add_posting`` is done in the loop (without
    its per-posting type checks) and each field's lengths are looked up once.
    The pool hands the postings over sorted, as Whoosh's own loop requires."""
    lastfn = lasttext = None
    post = ids = weights = values = None
    limit = 0
    field_lengths = False
    for fieldname, btext, docnum, weight, value in items:
        if fieldname != lastfn:
            if lasttext is not None:
                fieldwriter.finish_term()
            if lastfn is not None:
                fieldwriter.finish_field()
            fieldwriter.start_field(fieldname, schema[fieldname])
            lastfn, lasttext = fieldname, None
            field_lengths = lengths.field_lengths(fieldname) if lengths else False
        if docnum == -1:
            continue
        if btext != lasttext:
            if lasttext is not None:
                fieldwriter.finish_term()
            fieldwriter.start_term(btext)
            lasttext = btext
            post = fieldwriter._postwriter
            ids, weights, values, limit = post._ids, post._weights, post._values, post._blocklimit
        if field_lengths is False:
            length = 0
        else:
            try:
                lbyte = field_lengths[docnum]
            except IndexError:
                lbyte = 0
            length = _LENGTHS[lbyte] if lbyte else None
        if len(ids) >= limit:
            post._write_block()
            ids, weights, values = post._ids, post._weights, post._values
        ids.append(docnum)
        weights.append(weight)
        if weight > post._maxweight:
            post._maxweight = weight
        if value:
            values.append(value)
        if length:
            if post._minlength is None or length < post._minlength:
                post._minlength = length
            if length > post._maxlength:
                post._maxlength = length
    if lasttext is not None:
        fieldwriter.finish_term()
    if lastfn is not None:
        fieldwriter.finish_field()


def _write_terms(fieldwriter, schema, lengths, pending):
    """Write ``pending`` (``_FastAdder.take``: postings gathered by field and
    term, documents in order) through Whoosh's W3 field writer, giving the
    postings, block and term statistics its ``add_postings`` gives with
    ``_SmallBlocksUncompressed``: each term's blocks of ``blocklimit``
    postings are built whole and written in one write with their header
    (``W3PostingsWriter._write_block`` and ``finish_postings`` and
    ``W3FieldWriter.finish_term`` in one pass), rather than posting by
    posting through a postings writer and a term info object per term. Most
    terms (ids, dates, rare words) have one posting and take a shorter path."""
    from whoosh.codec.whoosh3 import WHOOSH3_HEADER_MAGIC, W3TermInfo
    from whoosh.system import pack_int, pack_long
    from whoosh.util.numeric import length_to_byte

    codec = fieldwriter._codec
    blocklimit = codec._blocklimit
    level = codec._compression
    minimum = _SmallBlocksUncompressed.MIN_COMPRESSED
    postfile = fieldwriter._postfile
    tindex_add = fieldwriter._tindex.add
    write, tell = postfile.write, postfile.tell
    dumps, compress = pickle.dumps, zlib.compress
    pack_terminfo = W3TermInfo._struct.pack
    magic = WHOOSH3_HEADER_MAGIC
    no_id = 0xFFFFFFFF
    lengths_table = _LENGTHS
    for fieldname in sorted(pending):
        terms = pending[fieldname]
        fieldobj = schema[fieldname]
        fieldwriter.start_field(fieldname, fieldobj)
        prefix = pack_ushort(fieldwriter._fieldid)
        fixedsize = fieldobj.format.fixed_value_size()
        variable = fixedsize is None or fixedsize < 0
        field_lengths = lengths.field_lengths(fieldname) if lengths else False
        if field_lengths is not False:
            stored = len(field_lengths)
            # A document's length (None: no length), by document number.
            doc_length = [lengths_table[b] or None if b else None for b in field_lengths]
        for tbytes in sorted(terms):
            postings = terms[tbytes]
            start = tell()
            n = len(postings)
            if n == 1:
                docnum, weight, value = postings[0]
                # The weight as the block's float32 array holds it.
                stored_weight = array.array("f", (weight,))[0]
                length = None
                if field_lengths is not False and docnum < stored:
                    length = doc_length[docnum]
                lbyte = length_to_byte(length)
                if variable:
                    mini_values = (value,) if value else ()
                elif fixedsize == 0:
                    mini_values = None
                else:
                    mini_values = value or b""
                databytes = dumps(
                    ((docnum,), None if stored_weight == 1.0 else stored_weight, mini_values), 2
                )
                top = weight if weight > 0 else 0
                comp = level if minimum <= 1 else 0
                if comp:
                    databytes = compress(databytes, comp)
                infobytes = dumps((1, docnum, top, comp, lbyte, lbyte), 2)
                body = pack_int(-(len(infobytes) + len(databytes))) + infobytes + databytes
                write(magic + body)
                termbytes = (
                    pack_terminfo(0, 0 + stored_weight, 1, lbyte, lbyte, top, docnum, docnum)
                    + pack_long(start)
                    + pack_int(len(magic) + len(body))
                )
                tindex_add(prefix + tbytes, termbytes)
                continue
            chunks = [magic]
            total = count = 0
            minlength = minid = maxid = None
            maxlength = maxweight = 0
            for offset in range(0, n, blocklimit):
                block = postings if n <= blocklimit else postings[offset : offset + blocklimit]
                ids, block_weights, block_values = zip(*block, strict=True)
                weights = array.array("f", block_weights)
                top = max(block_weights)
                block_weight = top if top > 0 else 0
                block_min = None
                block_max = 0
                if field_lengths is not False:
                    if ids[-1] < stored:
                        found = [doc_length[d] for d in ids]
                    else:
                        found = [doc_length[d] for d in ids if d < stored]
                    found = [length for length in found if length]
                    if found:
                        block_min, block_max = min(found), max(found)
                # W3PostingsWriter._mini_ids, _mini_weights, _mini_values.
                deltas = [ids[0], *map(operator.sub, ids[1:], ids)]
                first = weights[0]
                if first == 1.0 and weights.count(1.0) == len(weights):
                    mini_weights = None
                elif weights.count(first) == len(weights):
                    mini_weights = first
                else:
                    mini_weights = tuple(weights)
                if variable:
                    mini_values = tuple(filter(None, block_values))
                elif fixedsize == 0:
                    mini_values = None
                else:
                    mini_values = b"".join(filter(None, block_values))
                databytes = dumps((tuple(deltas), mini_weights, mini_values), 2)
                comp = level if len(ids) >= minimum else 0
                if comp:
                    databytes = compress(databytes, comp)
                infobytes = dumps(
                    (
                        len(ids),
                        ids[-1],
                        block_weight,
                        comp,
                        length_to_byte(block_min),
                        length_to_byte(block_max),
                    ),
                    2,
                )
                blocklength = len(infobytes) + len(databytes)
                chunks.append(pack_int(-blocklength if offset + blocklimit >= n else blocklength))
                chunks.append(infobytes)
                chunks.append(databytes)
                # W3TermInfo.add_block
                total += sum(weights)
                count += len(ids)
                minlength = block_min if minlength is None else min(minlength, block_min)
                maxlength = max(maxlength, block_max)
                maxweight = max(maxweight, block_weight)
                if minid is None:
                    minid = ids[0]
                maxid = ids[-1]
            data = b"".join(chunks)
            write(data)
            # W3TermInfo.to_bytes, not inlined.
            termbytes = (
                pack_terminfo(
                    0,
                    total,
                    count,
                    0 if minlength is None else length_to_byte(minlength),
                    length_to_byte(maxlength),
                    maxweight,
                    no_id if minid is None else minid,
                    no_id if maxid is None else maxid,
                )
                + pack_long(start)
                + pack_int(len(data))
            )
            tindex_add(prefix + tbytes, termbytes)
        fieldwriter.finish_field()


class _SmallBlocksUncompressed:
    """The codec's postings writers, leaving blocks of fewer than
    ``MIN_COMPRESSED`` postings uncompressed. Whoosh means to skip zlib for
    tiny blocks but a slip in its writer compresses every block; a
    one-posting block (most terms: ids, dates) only grows under zlib and
    costs a compression each. Each block records its own compression level,
    so readers need nothing else."""

    MIN_COMPRESSED = 8

    def __init__(self, codec):
        self.codec = codec

    def __getattr__(self, name):
        return getattr(self.codec, name)

    def postings_writer(self, dbfile, byteids=False):
        writer = self.codec.postings_writer(dbfile, byteids=byteids)
        level = writer._compression
        write_block = writer._write_block

        def _write_block(last=False):
            writer._compression = level if len(writer._ids) >= self.MIN_COMPRESSED else 0
            write_block(last)

        writer._write_block = _write_block
        return writer


def _fast_flush(writer):
    """``writer`` flushing its segment with ``_FlushLengths`` (same output)."""

    def flush_segment():
        fieldwriter = writer.fieldwriter
        w3 = type(fieldwriter).__name__ == "W3FieldWriter" and hasattr(fieldwriter, "_postwriter")
        adder = getattr(writer, "_fast_adder", None)
        pending = None
        if adder is not None:
            pending = adder.take(writer.pool) if w3 else None
            if pending is None:
                adder.drain(writer.pool)
        writer.perdocwriter.close()
        lengths = _FlushLengths(writer.per_document_reader()) if writer.codec.length_stats else None
        if w3:
            fieldwriter._codec = _SmallBlocksUncompressed(fieldwriter._codec)
            if pending is not None:
                _write_terms(fieldwriter, writer.schema, lengths, pending)
            else:
                _add_postings(fieldwriter, writer.schema, lengths, writer.pool.iter_postings())
        else:
            fieldwriter.add_postings(writer.schema, lengths, writer.pool.iter_postings())
        writer.fieldwriter.close()
        if lengths:
            lengths.close()

    if hasattr(writer, "_flush_segment") and hasattr(writer, "perdocwriter"):
        writer._flush_segment = flush_segment
    return writer


class SearchBackend(BaseSearchBackend):
    """Options: ``PATH`` (index directory, required), ``LOCK_TIMEOUT``
    (seconds a writer waits for another process, default 10),
    ``INDEX_NAME`` (default ``"modelsearch"``), ``WRITER_LIMITMB`` (memory a
    rebuild's writer buffers before it writes a segment, default 256)."""

    query_compiler_class = WhooshSearchQueryCompiler
    autocomplete_query_compiler_class = WhooshAutocompleteQueryCompiler
    index_class = WhooshIndex
    results_class = WhooshSearchResults
    rebuilder_class = WhooshRebuilder
    # Errors are raised, not logged and dropped: updates are applied by the
    # task queue, which tries again (see connect.tasks.search_index_update).
    catch_indexing_errors = False

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
        self.writer_limitmb = int(params.pop("WRITER_LIMITMB", 256))
        self._batch = None

    # Generations --------------------------------------------------------

    @property
    def _pointer(self):
        return os.path.join(self.path, "CURRENT")

    @property
    def _marker(self):
        return os.path.join(self.path, "REBUILDING")

    def current_generation(self):
        """The directory name searches read, creating the first one if needed."""
        try:
            with open(self._pointer, encoding="ascii") as f:
                name = f.read().strip()
            if name:
                return name
        except FileNotFoundError:
            pass
        with self._swap_lock(exclusive=True):
            try:
                with open(self._pointer, encoding="ascii") as f:
                    name = f.read().strip()
                if name:
                    return name
            except FileNotFoundError:
                pass
            name = self._new_generation_dir()
            self._create_in(name)
            self._point_to(name)
            return name

    def generation_dir(self, name=None):
        return os.path.join(self.path, name or self.current_generation())

    def _new_generation_dir(self):
        name = f"v{SCHEMA_VERSION}-{time.time_ns()}-{os.getpid()}"
        os.makedirs(os.path.join(self.path, name))
        return name

    def _create_in(self, name):
        from whoosh.filedb.filestore import FileStorage

        return FileStorage(os.path.join(self.path, name)).create_index(
            build_schema(), indexname=self.index_name
        )

    def _point_to(self, name):
        tmp = f"{self._pointer}.{os.getpid()}.tmp"
        with open(tmp, "w", encoding="ascii") as f:
            f.write(name)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self._pointer)

    @contextlib.contextmanager
    def _swap_lock(self, exclusive):
        """Writers hold it shared; a rebuild takes it exclusively to replay
        the journal and swap, so no write falls between the two."""
        os.makedirs(self.path, exist_ok=True)
        with open(os.path.join(self.path, "SWAPLOCK"), "a+b") as f:
            fcntl.flock(f, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
            try:
                yield
            finally:
                fcntl.flock(f, fcntl.LOCK_UN)

    def needs_rebuild(self):
        """Whether the index was never built (or is of an older schema)."""
        try:
            with open(self._pointer, encoding="ascii") as f:
                name = f.read().strip()
        except FileNotFoundError:
            return True
        return not name.startswith(f"v{SCHEMA_VERSION}-")

    def start_generation(self):
        name = self._new_generation_dir()
        ix = self._create_in(name)
        writer = _fast_flush(ix.writer(limitmb=self.writer_limitmb))
        with open(self._marker, "w", encoding="ascii") as f:
            f.write(name)
        return _Generation(name, ix, writer)

    def finish_generation(self, generation):
        generation.writer.commit(optimize=False)
        self.current_generation()  # made before the lock: making it takes the lock too
        with self._swap_lock(exclusive=True):
            # Updates made while the rebuild ran: the rebuild read the
            # database before some of them, so they are made again here.
            journal = self._read_journal(generation.name)
            if journal:
                writer = _fast_flush(generation.ix.writer(limitmb=64))
                try:
                    _replay(writer, journal)
                except BaseException:
                    writer.cancel()
                    raise
                writer.commit()
            old = self.current_generation()
            self._point_to(generation.name)
            with contextlib.suppress(FileNotFoundError):
                os.remove(self._marker)
            with contextlib.suppress(FileNotFoundError):
                os.remove(self._journal_path(generation.name))
        self._remove_old_generations(keep={generation.name, old})

    def abandon_generation(self, generation):
        with contextlib.suppress(Exception):
            generation.writer.cancel()
        with self._swap_lock(exclusive=True):
            with contextlib.suppress(FileNotFoundError):
                os.remove(self._marker)
            with contextlib.suppress(FileNotFoundError):
                os.remove(self._journal_path(generation.name))
        shutil.rmtree(os.path.join(self.path, generation.name), ignore_errors=True)

    def _remove_old_generations(self, keep):
        # The generation just replaced stays one rebuild longer: a process
        # may still be reading it.
        for entry in os.listdir(self.path):
            full = os.path.join(self.path, entry)
            if entry not in keep and os.path.isdir(full) and entry.startswith("v"):
                shutil.rmtree(full, ignore_errors=True)

    def _journal_path(self, name):
        return os.path.join(self.path, f"{name}.journal")

    def _read_journal(self, name):
        try:
            with open(self._journal_path(name), encoding="utf-8") as f:
                return sorted({tuple(line.rstrip("\n").split("\t", 1)) for line in f if "\t" in line})
        except FileNotFoundError:
            return []

    def _journal(self, entries):
        try:
            with open(self._marker, encoding="ascii") as f:
                name = f.read().strip()
        except FileNotFoundError:
            return
        if not name or not entries:
            return
        with open(self._journal_path(name), "a", encoding="utf-8") as f:
            f.writelines(f"{label}\t{pk}\n" for label, pk in entries)

    # Whoosh plumbing ----------------------------------------------------

    def open_index(self, name=None):
        return whoosh_index.open_dir(self.generation_dir(name), indexname=self.index_name)

    def writer(self, ix=None):
        """A writer, waiting (with backoff) while another process holds the lock."""
        ix = ix or self.open_index()
        deadline = time.monotonic() + self.lock_timeout
        delay = 0.02
        while True:
            try:
                return _fast_flush(ix.writer(timeout=0.0))
            except LockError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(delay)
                delay = min(delay * 2, 0.5)

    @contextlib.contextmanager
    def batch(self):
        """Gather every write made inside into one committed Whoosh write."""
        if self._batch is not None:
            yield self._batch
            return
        self.current_generation()  # made before the lock: making it takes the lock too
        with self._swap_lock(exclusive=False):
            writer = self.writer()
            self._batch = _Batch(writer, None)
            try:
                yield self._batch
                self._journal(self._batch.journal)
            except BaseException:
                writer.cancel()
                raise
            else:
                writer.commit()
            finally:
                self._batch = None

    def searcher(self):
        """This thread's searcher on the current generation, reopened only when
        the index changed; used as a context manager, it is not closed."""
        cache = getattr(_local, "searchers", None)
        if cache is None:
            cache = _local.searchers = OrderedDict()
        key = (self.path, self.index_name)
        name = self.current_generation()
        entry = cache.get(key)
        if entry is not None and entry[0] == name:
            searcher = entry[1]
            if not searcher.up_to_date():
                searcher = searcher.refresh()
                cache[key] = (name, searcher)
        else:
            if entry is not None:
                with contextlib.suppress(Exception):
                    entry[1].close()
            searcher = self.open_index(name).searcher()
            cache[key] = (name, searcher)
        cache.move_to_end(key)
        while len(cache) > KEEP_SEARCHERS:
            _old_key, (_name, old) = cache.popitem(last=False)
            with contextlib.suppress(Exception):
                old.close()
        return _KeptSearcher(searcher)

    def document_count(self):
        with self.searcher() as searcher:
            return searcher.doc_count()

    def size_bytes(self):
        directory = self.generation_dir()
        return sum(
            os.path.getsize(os.path.join(directory, entry))
            for entry in os.listdir(directory)
            if os.path.isfile(os.path.join(directory, entry))
        )

    def indexed_pks(self, model, exact=False):
        """The primary keys (as text) of ``model``'s documents in the index
        (with ``exact``, not those indexed as one of its subclasses)."""
        label = model_label(model)
        query = wq.Prefix("id", f"{label}:") if exact else wq.Term("models", label)
        with self.searcher() as searcher:
            docnums = searcher.docs_for_query(query)
            return {searcher.stored_fields(docnum)["pk"] for docnum in docnums}

    # Several models at once ------------------------------------------------

    def search_across(self, sources, query, *, limit=0, newest=None, facets=None):
        """Search several querysets in one pass over the index, so their hits
        are ranked together and counted from the same matches.

        ``sources`` is ``[(key, queryset, listed)]``: every source is counted,
        the ``listed`` ones are also ranked, the best ``limit`` of them kept.
        ``newest`` (``{key: date field}``) ranks newest first instead of by
        relevance. ``facets`` (``{key: {name: filter field path}}``) asks for
        counts per value over a source's matches. Each queryset's filters are
        applied in the index; the hits are not checked against the database
        here (the caller loads them through the querysets). Returns an
        ``AcrossResults``, or None when a queryset has a filter the index
        cannot express (the caller then searches each queryset on its own).
        """
        compiled, boosts = [], {}
        for key, queryset, listed in sources:
            compiler = self.query_compiler_class(queryset, query)
            try:
                translated = compiler.whoosh_filter()
            except (Untranslatable, FilterFieldError) as exc:
                logger.debug("No search across models: %s", exc)
                return None
            whoosh_filter = wq.Term("models", model_label(queryset.model))
            if translated is not None:
                whoosh_filter = wq.And([whoosh_filter, translated])
            compiled.append((key, whoosh_filter, listed, compiler))
            for name, boost in compiler._field_boosts():
                boosts[name] = max(boost, boosts.get(name, boost))
        counts = {key: 0 for key, *_rest in compiled}
        if not compiled:
            return AcrossResults(counts, [], {})
        # One query for every model: a field a model does not have matches
        # none of its documents, so each document scores as its own model's
        # query would score it.
        compiler = compiled[0][3]
        compiler.boosts = [(ALL_FIELD, boosts.pop(ALL_FIELD, 1.0)), *sorted(boosts.items())]
        whoosh_query = compiler.compile()
        if whoosh_query is NOTHING:
            return AcrossResults(counts, [], {})
        date_columns = None
        if newest is not None:
            date_columns = {key: SORT_PREFIX + field for key, field in newest.items() if field}
        collector = _AcrossCollector([(k, f, listed) for k, f, listed, _c in compiled], limit, date_columns)
        with self.searcher() as searcher:
            searcher.search_with_collector(
                whoosh_query, collector, context=searcher.context(needs_current=True)
            )
            page = []
            for key, docnum, rank in collector.ranked():
                page.append((key, searcher.stored_fields(docnum)["pk"], rank if newest is None else None))
            found_facets = {}
            for key, names in (facets or {}).items():
                matched = collector.matched.get(key)
                if not matched:
                    continue
                for name, path in names.items():
                    found_facets[(key, name)] = _facet_counts(matched, path)
        for key, matched in collector.matched.items():
            counts[key] = sum(len(docnums) for _leaf, docnums in matched)
        return AcrossResults(counts, page, found_facets)

    # API ----------------------------------------------------------------

    def get_index_for_model(self, model):
        return self.index_class(self)


def _replay(writer, journal):
    """Index again, from the database, each ``(model label, pk)`` of ``journal``."""
    from modelsearch import index as model_index

    by_model = {}
    for label, pk in journal:
        by_model.setdefault(label, set()).add(pk)
    for label, pks in by_model.items():
        try:
            model = apps.get_model(label)
        except LookupError:
            continue
        found = {force_str(obj.pk): obj for obj in model.get_indexed_objects().filter(pk__in=list(pks))}
        for pk in pks:
            obj = found.get(pk)
            if obj is not None:
                obj = model_index.get_indexed_instance(obj, check_exists=False) or obj
            if obj is None:
                writer.delete_by_query(wq.And([wq.Term("root", root_label(model)), wq.Term("pk", pk)]))
            else:
                writer.update_document(**build_document(type(obj), obj))


__all__ = ["SearchBackend"]
