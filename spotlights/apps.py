from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _ensure_index(sender, **kwargs):
    from .setup import ensure_spotlight_index

    ensure_spotlight_index()


class SpotlightsConfig(AppConfig):
    """Weekly spotlights on task forces (Wagtail pages)."""

    name = "spotlights"
    verbose_name = "Spotlights"

    def ready(self):
        post_migrate.connect(_ensure_index, sender=self, dispatch_uid="spotlights_index")
