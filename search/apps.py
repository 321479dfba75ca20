from django.apps import AppConfig


class SearchConfig(AppConfig):
    """Site search over everything a member may see."""

    name = "search"
    label = "site_search"
    verbose_name = "Search"
