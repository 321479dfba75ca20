from django.apps import AppConfig


class ResourcesConfig(AppConfig):
    """Resource library, member-shared resources and events (Wagtail pages)."""

    name = "resources"
    verbose_name = "Resources"

    def ready(self):
        from . import signals

        signals.connect_signals(self)
