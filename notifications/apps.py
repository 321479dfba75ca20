from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    """What every feature app uses to tell a member something: kinds registered
    by hook, the one visibility rule, preferences, emails, digests and the
    one-click unsubscribe. It sits above `connect` and below the feature apps,
    so it imports none of them."""

    name = "notifications"
    verbose_name = "Notifications"

    def ready(self):
        from . import signals  # noqa: F401 - connects the receivers
