"""The search page: every indexed model that offers ``searchable_for(user)``
is searched, so results never include what the member may not see."""

from django.core.paginator import Paginator
from django.shortcuts import render
from django.views.decorators.http import require_GET
from wagtail.search.index import get_indexed_models

MAX_QUERY = 200


def searchable_models():
    return [model for model in get_indexed_models() if hasattr(model, "searchable_for")]


@require_GET
def search(request):
    query = request.GET.get("q", "").strip()[:MAX_QUERY]
    results = []
    if query:
        for model in searchable_models():
            queryset = model.searchable_for(request.user)
            for hit in queryset.search(query)[:50]:
                results.append(hit)
    page = Paginator(results, 20).get_page(request.GET.get("page"))
    return render(
        request,
        "search/search.html",
        {"query": query, "page_obj": page, "querystring": f"q={query}"},
    )
