"""Receivers: a member's account deleted, and the hourly housekeeping."""


def member_deleting(sender, instance, **kwargs):
    """Before an account is deleted, its messages keep their place with a placeholder
    instead of their text, so the conversations they were in still read."""
    from .services import member_messages_erase

    member_messages_erase(user=instance)


def housekeeping(sender, **kwargs):
    """The retention period, applied as part of the worker's hourly housekeeping."""
    from .models import ConversationSettings
    from .services import retention_apply

    retention_apply(days=ConversationSettings.load().retention_days)
