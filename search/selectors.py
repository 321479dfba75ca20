"""What the search page shows a member: one ranked list across every kind of
thing, honest counts, facets and a page of hits.

This app knows the other apps only through Wagtail's index definitions. Every
indexed model that offers ``searchable_for(user)`` (the one rule of its app,
in its ``permissions.py``) is a *source*; everything shown — hits, counts,
facets, suggestions — comes from searching that queryset, so nothing the
member may not see is ever counted. A source describes itself with a few
optional class attributes:

``search_kind``           ``(key, label)`` of the kind it is counted under
``search_filters``        ``{filter name: FilterField lookup}`` it supports
``search_select_related`` relations its ``search_hit()`` reads
``search_hit_fields``     the columns ``search_hit()`` and ``get_absolute_url()``
                          read, own and related (``.only()`` lookups); the
                          page loads its hits with those alone (every column
                          without it)
``search_hit()``          ``{"title", "byline", "where", "where_url", "date",
                          "text", "group", "is_reply"}`` for one hit
``search_facet_labels(name, values, user)``  names of facet values
``search_passages(objs, terms)``  ``{pk: (where, text)}``: the part of a
                          hit's attachment that matched ("page 3"), found
                          for a page of hits at once

Work is bounded. With a backend that offers ``search_across`` (the Whoosh
backend), the page is one search of the index over every source at once,
each filtered in the index by its rule: the hits of every kind are ranked
together, and the counts per kind and the facets come from that search's
own matches; a filter that is active takes one more search, for its own
facet's counts. The page's hits are then loaded through each source's
queryset, one query per kind on the page. Any other backend (Wagtail's
database backends) searches each source once for its count and once for
the hits the page needs (never more than ``MAX_PAGE`` pages deep), and the
lists are merged by score; its facets use the backend's ``facet()`` or, for
a related lookup, at most a dozen counts.
"""

import datetime
import logging
from dataclasses import dataclass, field
from functools import lru_cache

from django.core.paginator import Paginator
from django.db import models
from django.utils import timezone
from wagtail.search.backends import get_search_backend
from wagtail.search.index import get_indexed_models

from connect import permissions

from . import highlight, vocabulary
from .query import parse

logger = logging.getLogger(__name__)

PER_PAGE = 20
MAX_PAGE = 25
FACET_VALUES = 10
ENUMERATED_FACET_VALUES = 12
# A related facet is mapped in one query when it has at most this many keys.
MAX_MAPPED_FACET = 2000
MAX_FETCHED_FACET = 500
# A query finding fewer hits than this is worth a "Did you mean".
FEW_HITS = 3
KIND_ORDER = ("discussions", "spotlights", "resources", "events", "members", "task_forces")
FACET_NAMES = ("category", "task_force", "resource_type", "topic", "author")
FACET_LABELS = {
    "category": "Category",
    "task_force": "Task force",
    "resource_type": "Resource type",
    "topic": "Topic",
    "author": "Author",
}
SORTS = ("relevance", "newest")
DATE_PRESETS = (("week", "Past week", 7), ("month", "Past month", 31), ("year", "Past year", 366))


@dataclass(frozen=True, eq=False)
class Source:
    model: type
    kind: str
    kind_label: str
    lookups: dict
    select_related: tuple
    hit_fields: tuple = ()

    @property
    def date_lookup(self):
        return self.lookups.get("date")


@lru_cache(maxsize=1)
def sources():
    """Every indexed model with a ``searchable_for`` rule, in a stable order."""
    found = []
    for model in get_indexed_models():
        if not hasattr(model, "searchable_for"):
            continue
        meta = model._meta
        kind, label = getattr(
            model, "search_kind", (meta.model_name, str(meta.verbose_name_plural).capitalize())
        )
        found.append(
            Source(
                model=model,
                kind=kind,
                kind_label=label,
                lookups=dict(getattr(model, "search_filters", {})),
                select_related=tuple(getattr(model, "search_select_related", ())),
                hit_fields=tuple(getattr(model, "search_hit_fields", ())),
            )
        )
    rank = {kind: i for i, kind in enumerate(KIND_ORDER)}
    return tuple(sorted(found, key=lambda s: (rank.get(s.kind, len(rank)), s.kind, s.model._meta.label)))


def kind_labels():
    return dict((s.kind, s.kind_label) for s in sources())


# ------------------------------------------------------------------ filters


@dataclass
class Filters:
    """What the member narrowed the search to. Unknown or malformed values are
    dropped (the page says nothing is wrong with them: they are just ignored)."""

    kind: str = ""
    category: int | None = None
    task_force: int | None = None
    resource_type: str = ""
    topic: str = ""
    author: int | None = None
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None
    date_preset: str = ""

    @classmethod
    def from_params(cls, params):
        def number(name):
            value = str(params.get(name, "")).strip()
            return int(value) if value.isdigit() and len(value) < 12 else None

        def day(name):
            try:
                return datetime.date.fromisoformat(str(params.get(name, "")).strip()[:10])
            except ValueError:
                return None

        kind = str(params.get("kind", ""))
        preset = str(params.get("date", ""))
        filters = cls(
            kind=kind if kind in kind_labels() else "",
            category=number("category"),
            task_force=number("task_force"),
            resource_type=str(params.get("resource_type", "")).strip()[:40],
            topic=str(params.get("topic", "")).strip()[:100],
            author=number("author"),
            date_from=day("from"),
            date_to=day("to"),
            date_preset=preset if preset in {p[0] for p in DATE_PRESETS} else "",
        )
        if filters.date_preset:
            days = {p[0]: p[2] for p in DATE_PRESETS}[filters.date_preset]
            filters.date_from, filters.date_to = timezone.localdate() - datetime.timedelta(days=days), None
        return filters

    def active(self):
        """``{facet name: value}`` of the set filters (kind and date apart)."""
        return {name: getattr(self, name) for name in FACET_NAMES if getattr(self, name) not in (None, "")}

    @property
    def has_date(self):
        return self.date_from is not None or self.date_to is not None

    def params(self):
        out = {"kind": self.kind, **{k: v for k, v in self.active().items()}}
        if self.date_preset:
            out["date"] = self.date_preset
        else:
            out["from"] = self.date_from.isoformat() if self.date_from else ""
            out["to"] = self.date_to.isoformat() if self.date_to else ""
        return {k: v for k, v in out.items() if v not in ("", None)}


def _date_bounds(model, lookup, filters):
    try:
        is_datetime = isinstance(model._meta.get_field(lookup), models.DateTimeField)
    except Exception:  # noqa: BLE001 - a related lookup: compare dates
        is_datetime = False
    bounds = {}
    if filters.date_from:
        start = filters.date_from
        if is_datetime:
            start = timezone.make_aware(datetime.datetime.combine(start, datetime.time.min))
        bounds[f"{lookup}__gte"] = start
    if filters.date_to:
        end = filters.date_to + datetime.timedelta(days=1)
        if is_datetime:
            end = timezone.make_aware(datetime.datetime.combine(end, datetime.time.min))
        bounds[f"{lookup}__lt"] = end
    return bounds


def _filtered(source, qs, filters, skip=None):
    """``qs`` narrowed by every active filter but ``skip``, or None when the
    source cannot have what a filter asks for (a category filter leaves out
    resources)."""
    for name, value in filters.active().items():
        if name == skip:
            continue
        lookup = source.lookups.get(name)
        if lookup is None:
            return None
        qs = qs.filter(**{lookup: value})
    if filters.has_date and skip != "date":
        if source.date_lookup is None:
            return None
        qs = qs.filter(**_date_bounds(source.model, source.date_lookup, filters))
    return qs


# ------------------------------------------------------------------ results


@dataclass
class Hit:
    kind: str
    kind_label: str
    title: str
    url: str
    snippet: str = ""
    byline: str = ""
    where: str = ""
    where_url: str = ""
    date: object = None
    is_reply: bool = False
    group: object = None
    score: float = 0.0
    children: list = field(default_factory=list)
    # Where inside the hit's document the words are ("page 3"), and that text.
    passage_where: str = ""
    passage: str = ""
    source: object = field(default=None, repr=False)
    obj: object = field(default=None, repr=False)


@dataclass
class FacetValue:
    value: object
    label: str
    count: int
    selected: bool = False


@dataclass
class Facet:
    name: str
    label: str
    values: list


@dataclass
class SearchPage:
    query: str = ""
    parsed: object = None
    hits: list = field(default_factory=list)
    total: int = 0
    kind_counts: list = field(default_factory=list)
    facets: list = field(default_factory=list)
    page_obj: object = None
    suggestion: str = ""
    notes: list = field(default_factory=list)
    expanded: list = field(default_factory=list)
    truncated: bool = False

    @property
    def is_empty_query(self):
        return self.parsed is None or self.parsed.is_empty


def _search(qs, query, sort, date_lookup):
    if sort == "newest" and date_lookup:
        return qs.order_by(f"-{date_lookup}").search(query, order_by_relevance=False)
    if sort == "newest":
        return qs.search(query, order_by_relevance=False)
    return qs.search(query).annotate_score("_search_score")


def _count_with_facet(source, results, facet_cache):
    """The number of results, from the first facet the page needs anyway when
    the source has one (its counts add up to the total), else a plain count:
    one search of the index instead of two."""
    for name in FACET_NAMES:
        lookup = source.lookups.get(name)
        if lookup and "__" not in lookup:
            try:
                counts = dict(results.facet(lookup))
            except Exception:  # noqa: BLE001
                break
            facet_cache[(source, lookup)] = counts
            return sum(counts.values())
    return _count(results)


def _count(results):
    try:
        return results.count()
    except Exception:  # noqa: BLE001 - one broken source must not take the page down
        logger.exception("Search count failed")
        return 0


def _add_passages(hits, terms):
    """Say where inside their documents the page's hits matched: each source
    is asked once, for its hits on this page only."""
    by_source = {}
    for hit in hits:
        if hit.obj is not None and hasattr(hit.source.model, "search_passages"):
            by_source.setdefault(hit.source, []).append(hit)
    for source, source_hits in by_source.items():
        try:
            passages = source.model.search_passages([h.obj for h in source_hits], terms)
        except Exception:  # noqa: BLE001 - a passage is never worth an error page
            logger.exception("Passages of %s failed", source.model._meta.label)
            continue
        for hit in source_hits:
            if hit.obj.pk in passages:
                where, text = passages[hit.obj.pk]
                marked = highlight.snippet(text, terms)
                if "<mark>" in marked:
                    hit.passage_where, hit.passage = where, marked


def _hit(source, obj, terms):
    parts = obj.search_hit() if hasattr(obj, "search_hit") else {}
    title = parts.get("title") or getattr(obj, "title", None) or str(obj)
    is_reply = bool(parts.get("is_reply"))
    kind_label = parts.get("label") or str(source.model._meta.verbose_name).capitalize()
    if source.kind == "discussions":
        kind_label = "Reply" if is_reply else "Discussion"
    url = obj.get_absolute_url() if hasattr(obj, "get_absolute_url") else ""
    return Hit(
        kind=source.kind,
        kind_label=kind_label,
        title=highlight.mark(title, terms),
        url=url or "",
        snippet=highlight.snippet(parts.get("text", ""), terms),
        byline=parts.get("byline", ""),
        where=parts.get("where", ""),
        where_url=parts.get("where_url", ""),
        date=parts.get("date"),
        is_reply=is_reply,
        group=(source.kind, parts["group"]) if parts.get("group") is not None else None,
        score=float(getattr(obj, "_search_score", 0.0) or 0.0),
        source=source,
        obj=obj,
    )


def _date_key(hit):
    value = hit.date
    if value is None:
        return datetime.datetime.min.replace(tzinfo=datetime.UTC)
    if not isinstance(value, datetime.datetime):
        value = datetime.datetime.combine(value, datetime.time.min)
    return value if timezone.is_aware(value) else timezone.make_aware(value, datetime.UTC)


def _collapse(hits):
    """A thread's matching posts read best under the thread: the first hit of a
    thread on the page keeps its place and the later ones nest under it."""
    out, first = [], {}
    for hit in hits:
        if hit.group is not None and hit.group in first:
            first[hit.group].children.append(hit)
            continue
        if hit.group is not None:
            first[hit.group] = hit
        out.append(hit)
    return out


def search_results(*, user, query, filters=None, sort="relevance", page=1):
    """The search page for ``user``: see the module docstring."""
    filters = filters or Filters()
    sort = sort if sort in SORTS else "relevance"
    parsed = parse(query)
    result = SearchPage(query=parsed.text, parsed=parsed, notes=list(parsed.notes))
    if parsed.is_empty:
        return result
    expansions = vocabulary.expansions(parsed.words())
    result.expanded = sorted(expansions)
    search_query = parsed.to_query(expansions)
    terms = parsed.highlight_terms(expansions)

    bases = {}
    # Resources, events and spotlights each apply the page view rule: its
    # restrictions are read once for the page, not once per kind.
    with permissions.restrictions_read_once():
        for source in sources():
            try:
                base = source.model.searchable_for(user)
            except Exception:  # noqa: BLE001
                logger.exception("searchable_for of %s failed", source.model._meta.label)
                continue
            if source.select_related:
                base = base.select_related(*source.select_related)
            bases[source] = base

    backend = get_search_backend()
    found = None
    if hasattr(backend, "search_across"):
        try:
            found = _search_across(backend, result, bases, filters, search_query, sort, page, terms)
        except Exception:  # noqa: BLE001 - the per-kind searches below still answer
            logger.exception("Search across kinds failed")
            found = None
    if found is None:
        hits, facet_counts, chosen = _search_each(
            user, result, bases, filters, search_query, sort, page, terms
        )
        finds = _finds_each(chosen)
    else:
        hits, facet_counts, finds = found
    if terms:
        _add_passages(hits, terms)
    result.hits = _collapse(hits)
    result.facets = _labelled_facets(user, filters, facet_counts)

    if result.total < FEW_HITS:
        result.suggestion = _did_you_mean(parsed, finds)
    return result


def _count_kinds(result, filters, counted):
    """Counts per kind (of every kind, whatever kind is chosen) and the total
    of the chosen one, from ``[(source, count)]``."""
    by_kind = {}
    for source, count in counted:
        by_kind[source.kind] = by_kind.get(source.kind, 0) + count
    labels = kind_labels()
    result.kind_counts = [
        FacetValue(kind, labels[kind], by_kind.get(kind, 0), selected=filters.kind == kind)
        for kind in labels
        if by_kind.get(kind) or filters.kind == kind
    ]
    result.total = sum(c for s, c in counted if not filters.kind or s.kind == filters.kind)


def _paginate(result, page):
    reachable = min(result.total, PER_PAGE * MAX_PAGE)
    result.truncated = result.total > reachable
    paginator = Paginator(range(reachable), PER_PAGE)
    result.page_obj = paginator.get_page(page)
    number = result.page_obj.number
    return (number - 1) * PER_PAGE, number * PER_PAGE


def _search_across(backend, result, bases, filters, search_query, sort, page, terms):
    """One search of the index for every kind: the hits ranked together, and
    counts and facets from that same search's matches. None when the backend
    cannot filter some source in the index."""
    active = filters.active()
    chosen, searched = [], []
    for source, base in bases.items():
        qs = _filtered(source, base, filters)
        if qs is None:
            continue
        listed = not filters.kind or source.kind == filters.kind
        searched.append((source, qs, listed))
        if listed:
            chosen.append(source)
    wanted = {
        source: {
            name: source.lookups[name]
            for name in FACET_NAMES
            if name in source.lookups and name not in active
        }
        for source in chosen
    }
    newest = {s: s.date_lookup for s in chosen} if sort == "newest" else None
    # The page needs the best ``stop`` hits, and the total is known only
    # after the search: ask for the deepest page a member may reach and cut.
    reachable = PER_PAGE * MAX_PAGE
    try:
        number = max(1, int(page or 1))
    except (TypeError, ValueError):
        number = 1
    limit = min(number, MAX_PAGE) * PER_PAGE
    found = backend.search_across(searched, search_query, limit=limit, newest=newest, facets=wanted)
    if found is None:
        return None
    _count_kinds(result, filters, [(s, found.counts.get(s, 0)) for s, _qs, _l in searched])
    start, stop = _paginate(result, page)
    ranked = found.page
    if stop > limit:
        # The page asked for was past the last one: Paginator chose the last.
        ranked = backend.search_across(searched, search_query, limit=min(stop, reachable), newest=newest).page
    hits = _load_hits(ranked[start:stop], {s: qs for s, qs, _l in searched}, terms)

    facet_counts = {}
    for (source, name), counts in found.facets.items():
        _add_counts(facet_counts.setdefault(name, ({}, [])), source, counts)
    # A filter's own facet counts what the *other* filters leave: one more
    # search for each active filter.
    for name in active:
        others, asked = [], {}
        for source in chosen:
            if name not in source.lookups:
                continue
            qs = _filtered(source, bases[source], filters, skip=name)
            if qs is None:
                continue
            others.append((source, qs, True))
            asked[source] = {name: source.lookups[name]}
        if not others:
            continue
        narrowed = backend.search_across(others, search_query, facets=asked)
        if narrowed is None:
            return None
        for (source, _name), counts in narrowed.facets.items():
            _add_counts(facet_counts.setdefault(name, ({}, [])), source, counts)

    def finds(query):
        again = backend.search_across([(s, qs, False) for s, qs, listed in searched if listed], query)
        return again is not None and any(again.counts.values())

    return hits, facet_counts, finds


def _add_counts(entry, source, counts):
    total, labellers = entry
    labellers.append(source.model)
    for value, n in counts.items():
        if value is not None and n:
            total[value] = total.get(value, 0) + n


def _load_hits(ranked, querysets, terms):
    """The hits of ``[(source, pk, score)]`` in that order, loaded through each
    source's queryset (one query per kind on the page), so the database has
    the last word on what the member may see."""
    by_source = {}
    for source, pk, _score in ranked:
        by_source.setdefault(source, []).append(pk)
    loaded = {}
    for source, raw_pks in by_source.items():
        pks = []
        for raw in raw_pks:
            try:
                pks.append(source.model._meta.pk.to_python(raw))
            except Exception:  # noqa: BLE001 - a document of an older schema
                logger.debug("Skipped index key %r of %s", raw, source.model._meta.label)
        qs = querysets[source].order_by()
        if source.hit_fields:
            # A post's HTML, findings and counters are never shown in a hit:
            # only the columns the hit reads are fetched (the rule's filters
            # are the queryset's own, untouched).
            qs = qs.only(*source.hit_fields)
        objects = qs.in_bulk(pks)
        loaded[source] = {str(pk): obj for pk, obj in objects.items()}
    hits = []
    for source, pk, score in ranked:
        obj = loaded.get(source, {}).get(str(pk))
        if obj is None:
            continue
        obj._search_score = score
        hits.append(_hit(source, obj, terms))
    return hits


def _search_each(user, result, bases, filters, search_query, sort, page, terms):
    """The fallback for a backend that cannot search several models at once:
    each kind searched on its own and the lists merged by score."""
    searched, facet_cache = [], {}
    for source, base in bases.items():
        qs = _filtered(source, base, filters)
        if qs is None:
            continue
        try:
            results = _search(qs, search_query, sort, source.date_lookup)
        except Exception:  # noqa: BLE001
            logger.exception("Search in %s failed", source.model._meta.label)
            continue
        searched.append((source, results, _count_with_facet(source, results, facet_cache)))
    _count_kinds(result, filters, [(s, c) for s, _r, c in searched])
    chosen = [(s, r, c) for s, r, c in searched if not filters.kind or s.kind == filters.kind]
    start, stop = _paginate(result, page)

    hits = []
    with_hits = [(s, r, c) for s, r, c in chosen if c]
    if len(with_hits) == 1:
        source, results, _count_ = with_hits[0]
        hits = [_hit(source, obj, terms) for obj in _fetch(results, start, stop)]
    else:
        for source, results, count in with_hits:
            hits.extend(_hit(source, obj, terms) for obj in _fetch(results, 0, min(stop, count)))
        if sort == "newest":
            hits.sort(key=_date_key, reverse=True)
        else:
            hits.sort(key=lambda h: -h.score)
        hits = hits[start:stop]
    return hits, _facets_each(user, filters, chosen, bases, search_query, facet_cache), chosen


def _fetch(results, start, stop):
    try:
        return list(results[start:stop])
    except Exception:  # noqa: BLE001
        logger.exception("Search results failed")
        return []


# ------------------------------------------------------------------- facets


def _facet_counts(source, results, lookup, name, user, count):
    """``{value: count}`` of one facet in one source's results."""
    if "__" not in lookup:
        try:
            return dict(results.facet(lookup))
        except Exception:  # noqa: BLE001
            logger.exception("Facet %s of %s failed", lookup, source.model._meta.label)
            return {}
    relation, rest = lookup.split("__", 1)
    model_field = source.model._meta.get_field(relation)
    if model_field.many_to_one:
        # A post's category: the backend facets the post's own key (its
        # thread) and one query maps those threads to their categories.
        try:
            per_parent = results.facet(model_field.attname)
        except Exception:  # noqa: BLE001
            per_parent = None
        if per_parent is not None and len(per_parent) <= MAX_MAPPED_FACET:
            parents = model_field.related_model._default_manager.filter(pk__in=list(per_parent))
            counts = {}
            for parent_pk, value in parents.values_list("pk", rest):
                counts[value] = counts.get(value, 0) + per_parent[parent_pk]
            return counts
    elif model_field.many_to_many and count <= MAX_FETCHED_FACET:
        # A resource's topics: a library is small, so the matching rows' keys
        # (at most MAX_FETCHED_FACET) are counted by topic in one query.
        pks = [obj.pk for obj in _fetch(results, 0, count)]
        through = model_field.remote_field.through
        source_column = model_field.m2m_field_name() + "_id"
        target = model_field.m2m_reverse_field_name()
        rows = (
            through.objects.filter(**{f"{source_column}__in": pks})
            .values(f"{target}__{rest}")
            .annotate(n=models.Count(source_column))
        )
        return {row[f"{target}__{rest}"]: row["n"] for row in rows}
    # Otherwise count the few values worth offering, one by one.
    labeller = getattr(source.model, "search_facet_labels", None)
    candidates = labeller(name, None, user) if labeller else {}
    counts = {}
    for value in list(candidates)[:ENUMERATED_FACET_VALUES]:
        counts[value] = _count(_narrow(results, lookup, value))
    return counts


def _narrow(results, lookup, value):
    compiler = results.query_compiler
    qs = compiler.queryset.filter(**{lookup: value})
    return qs.search(compiler.query, order_by_relevance=False)


def _facets_each(user, filters, chosen, bases, search_query, facet_cache):
    """``{name: ({value: count}, [models])}`` of the per-kind searches."""
    out = {}
    active = filters.active()
    for name in FACET_NAMES:
        for source, results, count in chosen:
            lookup = source.lookups.get(name)
            if lookup is None:
                continue
            if name in active:
                # Counts that take every *other* filter into account.
                qs = _filtered(source, bases[source], filters, skip=name)
                if qs is None:
                    continue
                results = qs.search(search_query, order_by_relevance=False)
                if "__" in lookup:
                    count = _count(results)
            elif not count:
                continue
            cached = facet_cache.get((source, lookup)) if name not in active else None
            if cached is None:
                cached = _facet_counts(source, results, lookup, name, user, count)
            _add_counts(out.setdefault(name, ({}, [])), source, cached)
    return out


def _labelled_facets(user, filters, facet_counts):
    """The facets the page shows: each name's top values, labelled by the
    models that know them (only values the member may see have a label)."""
    facets = []
    active = filters.active()
    for name in FACET_NAMES:
        counts, labellers = facet_counts.get(name, ({}, []))
        if not counts:
            continue
        top = sorted(counts.items(), key=lambda item: (-item[1], str(item[0])))[:FACET_VALUES]
        if name in active and active[name] not in dict(top) and active[name] in counts:
            top.append((active[name], counts[active[name]]))
        names = {}
        for model in labellers:
            labeller = getattr(model, "search_facet_labels", None)
            if labeller and not names:
                names = labeller(name, [value for value, _n in top], user) or {}
        if not names:
            for model in get_indexed_models():
                labeller = getattr(model, "search_facet_labels", None)
                if labeller and hasattr(model, "searchable_for"):
                    names = labeller(name, [value for value, _n in top], user) or {}
                    if names:
                        break
        values = [
            FacetValue(value, str(names.get(value, value)), n, selected=active.get(name) == value)
            for value, n in top
            if value in names
        ]
        if values:
            facets.append(Facet(name, FACET_LABELS[name], values))
    return facets


# ------------------------------------------------------------- did you mean


def _did_you_mean(parsed, finds):
    """A corrected query, offered only if it finds something this member may
    see (``finds(query)`` searches what the page searched)."""
    fixes = vocabulary.corrections(parsed.words())
    if not fixes:
        return ""
    corrected = parse(parsed.replaced(fixes))
    query = corrected.to_query()
    if query is None:
        return ""
    try:
        return corrected.text if finds(query) else ""
    except Exception:  # noqa: BLE001
        logger.exception("Did-you-mean search failed")
        return ""


def _finds_each(chosen):
    def finds(query):
        for _source, results, _n in chosen:  # noqa: B007
            qs = results.query_compiler.queryset
            try:
                if qs.search(query, order_by_relevance=False)[:1].count():
                    return True
            except Exception:  # noqa: BLE001
                logger.exception("Did-you-mean search failed")
        return False

    return finds


# ------------------------------------------------------------ autocomplete

SUGGESTIONS = 8


def suggestions(*, user, query):
    """What the header box offers as a member types: titles and names of
    things the member may see, best first. Each source is asked once."""
    parsed = parse(query)
    if parsed.is_empty or len(parsed.text) < 2:
        return []
    text = " ".join(item.text for item in parsed.items())
    found = []
    with permissions.restrictions_read_once():
        for source in sources():
            if not source.model.get_autocomplete_search_fields():
                continue
            try:
                qs = source.model.searchable_for(user)
                if source.select_related:
                    qs = qs.select_related(*source.select_related)
                objs = list(qs.autocomplete(text).annotate_score("_search_score")[:SUGGESTIONS])
            except Exception:  # noqa: BLE001
                logger.exception("Autocomplete in %s failed", source.model._meta.label)
                continue
            for obj in objs:
                parts = obj.search_hit() if hasattr(obj, "search_hit") else {}
                found.append(
                    {
                        "label": parts.get("title") or getattr(obj, "title", None) or str(obj),
                        "kind": source.kind_label,
                        "url": obj.get_absolute_url() if hasattr(obj, "get_absolute_url") else "",
                        "score": float(getattr(obj, "_search_score", 0.0) or 0.0),
                    }
                )
    found.sort(key=lambda s: -s["score"])
    return [{k: v for k, v in s.items() if k != "score"} for s in found[:SUGGESTIONS]]
