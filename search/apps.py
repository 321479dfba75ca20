from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _build_missing_index(sender, using="default", **kwargs):
    # A fresh machine (or an index of an older schema) gets a complete index
    # from `migrate`, before anyone searches.
    from modelsearch.backends import get_search_backend

    from .rebuild import rebuild

    backend = get_search_backend()
    if getattr(backend, "needs_rebuild", lambda: False)():
        rebuild()


class SearchConfig(AppConfig):
    """Site search over everything a member may see."""

    name = "search"
    label = "site_search"
    verbose_name = "Search"

    def ready(self):
        post_migrate.connect(_build_missing_index, sender=self, dispatch_uid="search_build_missing_index")
