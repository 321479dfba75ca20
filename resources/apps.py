from django.apps import AppConfig


class ResourcesConfig(AppConfig):
    """Resource library, member-shared resources and events (Wagtail pages)."""

    name = "resources"
    verbose_name = "Resources"
