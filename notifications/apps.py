from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    """What every feature app uses to tell a member something: kinds registered
    by hook, the one visibility rule, preferences, emails, digests and the
    one-click unsubscribe. It sits above `connect` and below the feature apps,
    so it imports none of them."""

    name = "notifications"
    verbose_name = "Notifications"

    def ready(self):
        from django.db.models.signals import post_delete, post_save

        from connect import fragments

        from . import signals  # noqa: F401 - connects the receivers
        from .models import Notification

        def on_notification(sender, instance, **kwargs):
            # The header's cached unread count (notifications.selectors).
            fragments.bump(fragments.inbox_scope(instance.recipient_id))

        for name, signal in (("save", post_save), ("delete", post_delete)):
            signal.connect(
                on_notification,
                sender=Notification,
                weak=False,
                dispatch_uid=f"notifications.inbox.{name}",
            )
