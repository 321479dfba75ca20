"""Receivers: a member's account deleted, the hourly housekeeping, the
header's cached unread count and the directory's cached "Message" buttons."""

# The connect.fragments generation of every member's unread-conversation
# count (the header): moved on by every save or delete of a conversation,
# participant or message, by every broadcast of a change (conversations.live)
# and by the services' bulk updates.
UNREAD = "conversations.unread"


# The generation of who may write to whom beyond members' accounts and
# profiles: moved on by every save or delete of a block or a messaging
# preference (the directory's cached "Message" buttons).
MESSAGING = "conversations.messaging"


def messaging_changed(sender=None, instance=None, **kwargs):
    """A block or a messaging preference was saved or deleted."""
    from connect import fragments

    fragments.bump(MESSAGING)


def unread_changed(sender=None, instance=None, **kwargs):
    """Something the header's unread-conversation count is built from changed."""
    from connect import fragments

    fragments.bump(UNREAD)


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
