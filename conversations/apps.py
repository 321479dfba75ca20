from django.apps import AppConfig


class ConversationsConfig(AppConfig):
    """Private conversations between members: one-to-one and small groups."""

    name = "conversations"
    verbose_name = "Private conversations"

    def ready(self):
        from django.contrib.auth import get_user_model
        from django.db.models.signals import pre_delete

        from connect.tasks import housekeeping

        from . import signals

        pre_delete.connect(
            signals.member_deleting, sender=get_user_model(), dispatch_uid="conversations.member_deleting"
        )
        housekeeping.connect(signals.housekeeping, dispatch_uid="conversations.retention")
