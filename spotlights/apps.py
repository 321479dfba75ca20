from django.apps import AppConfig


class SpotlightsConfig(AppConfig):
    """Weekly spotlights on task forces (Wagtail pages)."""

    name = "spotlights"
    verbose_name = "Spotlights"
