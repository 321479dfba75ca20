"""The search page and the header box's suggestions. Thin: what is found,
counted and suggested is decided in ``search.selectors``."""

from django.http import JsonResponse
from django.shortcuts import render
from django.utils.http import urlencode
from django.views.decorators.http import require_GET

from . import selectors
from .query import MAX_QUERY_CHARS


def _url(params, **changes):
    """The search page's URL with ``changes`` applied (None removes a key);
    any change but a page number goes back to page one."""
    merged = {**params, **changes}
    if "page" not in changes:
        merged.pop("page", None)
    return "?" + urlencode({k: v for k, v in merged.items() if v not in (None, "")})


@require_GET
def search(request):
    filters = selectors.Filters.from_params(request.GET)
    sort = request.GET.get("sort", "relevance")
    sort = sort if sort in selectors.SORTS else "relevance"
    result = selectors.search_results(
        user=request.user,
        query=request.GET.get("q", ""),
        filters=filters,
        sort=sort,
        page=request.GET.get("page"),
    )
    params = {"q": result.query, **filters.params()}
    if sort != "relevance":
        params["sort"] = sort
    kinds = [
        {
            "label": v.label,
            "count": v.count,
            "selected": v.selected,
            "url": _url(params, kind=None if v.selected else v.value),
        }
        for v in result.kind_counts
    ]
    facets = [
        {
            "name": facet.name,
            "label": facet.label,
            "values": [
                {
                    "label": v.label,
                    "count": v.count,
                    "selected": v.selected,
                    "url": _url(params, **{facet.name: None if v.selected else v.value}),
                }
                for v in facet.values
            ],
        }
        for facet in result.facets
    ]
    no_date = {"date": None, "from": None, "to": None}
    dates = [
        {
            "label": label,
            "selected": filters.date_preset == key,
            "url": _url(params, **{**no_date, "date": key}),
        }
        for key, label, _days in selectors.DATE_PRESETS
    ]
    return render(
        request,
        "search/search.html",
        {
            "result": result,
            "query": result.query,
            "search_query": result.query,  # keeps the header box filled
            "max_query": MAX_QUERY_CHARS,
            "filters": filters,
            "sort": sort,
            "kinds": kinds,
            "facets": facets,
            "dates": dates,
            "any_date_url": _url(params, **no_date) if filters.has_date else "",
            "all_kinds_url": _url(params, kind=None),
            "sort_urls": {
                key: _url(params, sort=None if key == "relevance" else key) for key in selectors.SORTS
            },
            "suggestion_url": _url(params, q=result.suggestion) if result.suggestion else "",
            "hidden_params": {k: v for k, v in params.items() if k not in ("q", "from", "to", "date")},
            "page_obj": result.page_obj,
            "querystring": urlencode(params),
        },
    )


@require_GET
def suggest(request):
    """Suggestions for the header box, as JSON: ``{"suggestions": [{label, kind, url}]}``."""
    found = selectors.suggestions(user=request.user, query=request.GET.get("q", ""))
    response = JsonResponse({"suggestions": found})
    response["Cache-Control"] = "private, no-store"
    return response
