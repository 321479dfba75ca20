from django.apps import AppConfig


class AssistanceConfig(AppConfig):
    """Training and technical assistance requests, peer exchange visits and program reporting."""

    name = "assistance"
    verbose_name = "Training & technical assistance"

    def ready(self):
        from .permissions import connect_invalidation_signals

        connect_invalidation_signals()
