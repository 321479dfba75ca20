from django.apps import AppConfig


class ConnectConfig(AppConfig):
    """The ground floor: membership, task forces, roles, access rules, audit."""

    name = "connect"
    verbose_name = "Membership"

    def ready(self):
        from . import (
            fragments,
            signals,  # noqa: F401
        )
        from .access import connect_invalidation_signals
        from .tasks import use_durable_search_updates

        use_durable_search_updates()
        connect_invalidation_signals()
        fragments.connect_invalidation_signals()
