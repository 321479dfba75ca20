"""The search page: every indexed model that offers ``searchable_for(user)``
is searched, so results never include what the member may not see."""

import logging

from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils.http import urlencode
from django.views.decorators.http import require_GET
from wagtail.search.index import get_indexed_models

MAX_QUERY = 200
PER_MODEL = 50
logger = logging.getLogger(__name__)


def searchable_models():
    return [model for model in get_indexed_models() if hasattr(model, "searchable_for")]


@require_GET
def search(request):
    raw = " ".join(request.GET.get("q", "").split())
    query = raw[:MAX_QUERY]
    results = []
    if query:
        for model in searchable_models():
            queryset = model.searchable_for(request.user)
            try:
                results.extend(queryset.search(query)[:PER_MODEL])
            except Exception:  # noqa: BLE001 - one broken index must not take the page down
                logger.exception("Search in %s failed", model._meta.label)
    page = Paginator(results, 20).get_page(request.GET.get("page"))
    return render(
        request,
        "search/search.html",
        {
            "query": query,
            "truncated": len(raw) > MAX_QUERY,
            "max_query": MAX_QUERY,
            "page_obj": page,
            "querystring": urlencode({"q": query}),
        },
    )
