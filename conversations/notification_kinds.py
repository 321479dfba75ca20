"""The notification private conversations send, and who may see it.

A notification about a conversation is shown, counted and emailed only while
its recipient takes part in it. Its email says who wrote and links to the
conversation: never the subject, the text or who else takes part.
"""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType

from notifications.kinds import EmailFrequency, EmailTopic, NotificationKind

from . import permissions
from .models import Conversation

MESSAGE = "private_message"

MESSAGES = EmailTopic(
    key="private_message",
    label="private messages sent to you",
    field_label="Emails about private messages sent to you",
    default=EmailFrequency.IMMEDIATE,
    order=15,
)


def conversation_type():
    return ContentType.objects.get_for_model(Conversation)


def visible(user, qs):
    """Notifications about a conversation the member takes part in now."""
    return qs.filter(
        target_type=conversation_type(),
        target_id__in=permissions.visible_conversations(user).values("pk"),
    )


def describe(notifications):
    # Nothing about where: a subject is member-written and could say too much in an email or a list.
    return {}


def kinds():
    return [
        NotificationKind(
            key=MESSAGE,
            label="sent you a private message",
            visible=visible,
            topic=MESSAGES,
            subject="You have a new private message",
            describe=describe,
        )
    ]
