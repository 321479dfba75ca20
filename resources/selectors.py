"""Reads for the library and events pages. Query counts stay flat however
many resources there are: facet counts are one grouped query per facet and the
listing prefetches what it shows."""

from django.core.paginator import Paginator
from django.db.models import Count, F, Prefetch
from django.utils import timezone

from .models import Audience, ResourcePage, ResourceType, SourceOrganization, Topic
from .permissions import visible_events, visible_resources

PAGE_SIZE = 20
SORTS = {
    "newest": ("Newest first", [F("publication_date").desc(nulls_last=True), "-first_published_at"]),
    "title": ("Title A–Z", ["title"]),
    "featured": (
        "Featured and reviewed first",
        [
            "-featured",
            "-reviewed_by_training_provider",
            F("publication_date").desc(nulls_last=True),
            "-first_published_at",
        ],
    ),
    "downloads": ("Most downloaded", [F("document__download_stat__count").desc(nulls_last=True), "title"]),
}
FACETS = ("type", "topic", "audience", "source")
# Marks are yes/no filters that combine with each other and with the facets.
MARKS = {
    "featured": ("Featured", "featured"),
    "reviewed": ("Reviewed by a training provider", "reviewed_by_training_provider"),
}


def _clean_params(params):
    chosen = {}
    for key in FACETS:
        value = (params.get(key) or "").strip()[:100]
        if value:
            chosen[key] = value
    for key in MARKS:
        if params.get(key) in ("yes", "1", "on", "true"):
            chosen[key] = "yes"
    sort = params.get("sort") if params.get("sort") in SORTS else "newest"
    return chosen, sort


def listing_vary(params):
    """What of a query string changes the library's listing: the cleaned
    filters, the sort and the page number. A cached listing is keyed by this
    rather than by the raw query string, so parameters the page ignores do
    not each make a copy of it."""
    chosen, sort = _clean_params(params)
    page = str(params.get("page") or "1").strip()
    return [sorted(chosen.items()), sort, int(page) if page.isdigit() and len(page) <= 4 else 1]


def _apply(qs, chosen, skip=None):
    if "type" in chosen and skip != "type":
        qs = qs.filter(resource_type=chosen["type"])
    if "topic" in chosen and skip != "topic":
        qs = qs.filter(topics__slug=chosen["topic"])
    if "audience" in chosen and skip != "audience":
        qs = qs.filter(audiences__slug=chosen["audience"])
    if "source" in chosen and skip != "source":
        qs = qs.filter(source__slug=chosen["source"])
    for key, (_, field) in MARKS.items():
        if key in chosen and skip != key:
            qs = qs.filter(**{field: True})
    return qs


def _querystring(chosen, sort, **changes):
    from urllib.parse import urlencode

    values = {**chosen, "sort": sort}
    values.update(changes)
    return urlencode({k: v for k, v in values.items() if v and not (k == "sort" and v == "newest")})


# What library_listing returns.
LISTING_KEYS = (
    "page_obj",
    "resources",
    "facets",
    "chosen",
    "sort",
    "sorts",
    "querystring",
    "clear_url",
    "featured",
)


def library_listing(*, user, library, params):
    """Everything the library page shows: the filtered, sorted page of
    resources and, for each facet, its choices with counts (counted among the
    resources matching the other facets)."""
    chosen, sort = _clean_params(params)
    base = visible_resources(user).child_of(library)
    base_ids = base.values("pk")

    def counts(field, facet):
        rows = (
            ResourcePage.objects.filter(pk__in=_apply(base, chosen, skip=facet).values("pk"))
            .order_by()  # the tree ordering would split the groups
            .values(field)
            .annotate(n=Count("pk", distinct=True))
        )
        return {row[field]: row["n"] for row in rows if row[field] is not None}

    facets = []
    type_counts = counts("resource_type", "type")
    facets.append(
        _facet(
            "type",
            "Type",
            [(value, label, type_counts.get(value, 0)) for value, label in ResourceType.choices],
            chosen,
            sort,
        )
    )
    for key, label, model, field in (
        ("topic", "Topic", Topic, "topics__slug"),
        ("audience", "Audience", Audience, "audiences__slug"),
        ("source", "Source", SourceOrganization, "source__slug"),
    ):
        numbers = counts(field, key)
        items = model.objects.filter(slug__in=_related_slugs(model, base_ids)).values_list("slug", "name")
        facets.append(
            _facet(key, label, [(slug, name, numbers.get(slug, 0)) for slug, name in items], chosen, sort)
        )

    facets.append(_marks_facet(base, chosen, sort))

    results = (
        _apply(base, chosen)
        .distinct()
        .select_related("source", "document", "document__download_stat")
        .prefetch_related(
            Prefetch("topics", queryset=Topic.objects.order_by("name")),
            Prefetch("audiences", queryset=Audience.objects.order_by("name")),
        )
        .order_by(*SORTS[sort][1])
    )
    page_obj = Paginator(results, PAGE_SIZE).get_page(params.get("page"))
    return {
        "page_obj": page_obj,
        "resources": page_obj.object_list,
        "facets": facets,
        "chosen": chosen,
        "sort": sort,
        "sorts": [(key, label) for key, (label, _) in SORTS.items()],
        "querystring": _querystring(chosen, sort),
        "clear_url": "?" + _querystring({}, sort) if chosen else "",
        "featured": (
            []
            if chosen or page_obj.number > 1
            else list(base.filter(featured=True).order_by("-first_published_at")[:3])
        ),
    }


def _marks_facet(base, chosen, sort):
    """Featured and reviewed-by-a-training-provider as toggles, each counted
    among the resources that match every other filter."""
    choices = []
    for key, (label, field) in MARKS.items():
        count = _apply(base, chosen, skip=key).filter(**{field: True}).distinct().count()
        selected = key in chosen
        if not count and not selected:
            continue
        others = {k: v for k, v in chosen.items() if k != key}
        choices.append(
            {
                "value": "yes",
                "label": label,
                "count": count,
                "selected": selected,
                # A selected mark's link takes it off again.
                "url": "?"
                + (_querystring(others, sort) if selected else _querystring(chosen, sort, **{key: "yes"})),
            }
        )
    current = [key for key in MARKS if key in chosen]
    return {
        "key": "marks",
        "label": "Marks",
        "choices": choices,
        "current": bool(current),
        "all_url": "?" + _querystring({k: v for k, v in chosen.items() if k not in MARKS}, sort),
    }


def _related_slugs(model, base_ids):
    # Only choices that some visible resource uses; an empty facet is noise.
    reverse = {Topic: "resources", Audience: "resources", SourceOrganization: "resources"}[model]
    return model.objects.filter(**{f"{reverse}__in": base_ids}).values("slug")


def _facet(key, label, items, chosen, sort):
    current = chosen.get(key)
    choices = []
    for value, name, count in items:
        if not count and value != current:
            continue
        choices.append(
            {
                "value": value,
                "label": name,
                "count": count,
                "selected": value == current,
                "url": "?" + _querystring(chosen, sort, **{key: value}),
            }
        )
    return {
        "key": key,
        "label": label,
        "choices": choices,
        "current": current,
        "all_url": "?" + _querystring({k: v for k, v in chosen.items() if k != key}, sort),
    }


def upcoming_events(user, limit=None):
    qs = visible_events(user).filter(ends_at__gte=timezone.now()).order_by("starts_at")
    return qs[:limit] if limit else qs


def event_listing(*, user, index, params):
    show_past = params.get("when") == "past"
    qs = visible_events(user).child_of(index)
    now = timezone.now()
    if show_past:
        qs = qs.filter(ends_at__lt=now).order_by("-starts_at")
    else:
        qs = qs.filter(ends_at__gte=now).order_by("starts_at")
    page_obj = Paginator(qs, PAGE_SIZE).get_page(params.get("page"))
    return {
        "page_obj": page_obj,
        "events": page_obj.object_list,
        "show_past": show_past,
        "querystring": "when=past" if show_past else "",
    }


def new_resources(user, limit=5):
    return visible_resources(user).order_by("-first_published_at")[:limit]


def related_resources(user, event):
    """The event's related resources that the member may see."""
    return visible_resources(user).filter(events=event).order_by("title")


def related_events(user, resource):
    """Events that list this resource, among those the member may see."""
    return visible_events(user).filter(related_resources=resource).order_by("starts_at")


# ------------------------------------------------------------ document text

# Units of one document looked at for a hit's passage, and terms tried.
PASSAGE_UNITS = 12
PASSAGE_TERMS = 16


def _unit_score(text, patterns):
    lowered = text.lower()
    found = [len(pattern.findall(lowered)) for pattern in patterns]
    return (sum(1 for n in found if n), sum(found))


def best_passages(objs, terms):
    """``{page pk: (where, text)}``: for each resource among ``objs`` whose
    document holds one of ``terms`` (the searched words, stemmed), the page,
    slide, sheet or passage that holds the most of them. One query; the
    database keeps only units containing a term, at most PASSAGE_UNITS per
    document, so a long document costs little."""
    import re

    from django.db.models import Q, Window
    from django.db.models.functions import RowNumber

    from .models import DocumentText

    by_document = {}
    for obj in objs:
        if getattr(obj, "document_id", None):
            by_document.setdefault(obj.document_id, []).append(obj.pk)
    words = sorted({t for t in terms if len(t) >= 2})[:PASSAGE_TERMS]
    if not by_document or not words:
        return {}
    contains = Q()
    for word in words:
        contains |= Q(text__icontains=word)
    rows = (
        DocumentText.objects.filter(contains, document_id__in=list(by_document))
        .annotate(rank=Window(RowNumber(), partition_by=F("document_id"), order_by=F("position").asc()))
        .filter(rank__lte=PASSAGE_UNITS)
        .values_list("document_id", "position", "label", "text")
    )
    # A stem matches where a word starts ("interview" in "interviews").
    patterns = [re.compile(r"(?<!\w)" + re.escape(word)) for word in words]
    best = {}
    for document_id, position, label, text in rows:
        score = (*_unit_score(text, patterns), -position)
        if score[0] and (document_id not in best or score > best[document_id][0]):
            best[document_id] = (score, label, text)
    return {
        pk: (label, text)
        for document_id, (_s, label, text) in best.items()
        for pk in by_document[document_id]
    }
