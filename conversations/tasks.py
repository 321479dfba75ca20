"""Durable side effects of private conversations (see ``connect.tasks``)."""

from __future__ import annotations

from django.db import transaction

from connect.tasks import retrying_task


@retrying_task(attempts=6, base_delay=10, max_delay=900)
def message_fan_out(message_id):
    """Notify the other participants of a new message.

    Re-reads everything, so a message removed before the worker runs, a
    participant who left, muted the conversation or already read it is not
    told. One unread notification per conversation is enough: a member who
    has not opened it yet is not told again for every message, so running the
    task twice notifies nobody twice either."""
    from notifications.models import Notification
    from notifications.services import notify

    from .models import Message, Participant
    from .notification_kinds import MESSAGE, conversation_type

    message = Message.objects.select_related("conversation").filter(pk=message_id).first()
    if message is None or message.status != Message.Status.VISIBLE or message.kind != Message.Kind.TEXT:
        return "nothing to send"
    conversation = message.conversation
    waiting = Notification.objects.filter(
        kind=MESSAGE, target_type=conversation_type(), target_id=conversation.pk, read_at__isnull=True
    ).values("recipient_id")
    recipients = list(
        Participant.objects.filter(
            conversation=conversation, left_at__isnull=True, muted=False, last_read_seq__lt=message.seq
        )
        .exclude(user_id=message.sender_id)
        .exclude(user_id__in=waiting)
        .values_list("user_id", flat=True)
    )
    with transaction.atomic():
        notify(recipient_ids=recipients, kind=MESSAGE, actor_id=message.sender_id, target=conversation)
    return f"notified {len(recipients)}"
