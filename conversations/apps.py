from django.apps import AppConfig


class ConversationsConfig(AppConfig):
    """Private conversations between members: one-to-one and small groups."""

    name = "conversations"
    verbose_name = "Private conversations"

    def ready(self):
        from django.contrib.auth import get_user_model
        from django.db.models.signals import post_delete, post_save, pre_delete

        from connect.tasks import housekeeping

        from . import signals
        from .models import Block, Conversation, Message, MessagingPreference, Participant

        for name, signal in (("save", post_save), ("delete", post_delete)):
            for model in (Conversation, Participant, Message):
                signal.connect(
                    signals.unread_changed,
                    sender=model,
                    dispatch_uid=f"conversations.unread.{model.__name__}.{name}",
                )
            for model in (Block, MessagingPreference):
                signal.connect(
                    signals.messaging_changed,
                    sender=model,
                    dispatch_uid=f"conversations.messaging.{model.__name__}.{name}",
                )

        pre_delete.connect(
            signals.member_deleting, sender=get_user_model(), dispatch_uid="conversations.member_deleting"
        )
        housekeeping.connect(signals.housekeeping, dispatch_uid="conversations.retention")
