"""Kinds of notification, registered by the apps that send them.

Each feature app returns one or more :class:`NotificationKind` from a
``register_notification_kind`` Wagtail hook in its ``wagtail_hooks.py``. The
kind carries the app's own answer to "may this member see it?" (a queryset
filter written with the app's ``permissions.py``), so this floor decides
visibility without knowing any app's models. A kind that is not registered is
seen by nobody.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.db import models
from wagtail import hooks


class EmailFrequency(models.TextChoices):
    IMMEDIATE = "immediate", "Right away"
    DAILY = "daily", "Daily digest"
    WEEKLY = "weekly", "Weekly digest"
    NEVER = "never", "Never"


@dataclass(frozen=True)
class EmailTopic:
    """One line on the email settings page and one unsubscribe link.

    Several kinds may share a topic (a reply and a new thread in a watched
    category are both "replies in what you watch")."""

    key: str
    label: str  # completes "You get these emails about …"
    field_label: str  # the setting on the preferences page
    default: str = EmailFrequency.DAILY
    order: int = 100
    # Who is offered the setting (``audience(user)``); None: every member.
    audience: Callable | None = None


@dataclass(frozen=True)
class NotificationKind:
    """How one kind of notification is shown, emailed and checked.

    ``visible(user, queryset)`` returns the part of ``queryset`` (notifications
    of this kind addressed to ``user``) that the user may see now.
    ``describe(notifications)`` returns ``{pk: where}`` for a batch, e.g. a
    thread's title and category, in a fixed number of queries; it is only ever
    given notifications that passed ``visible``. ``link(user, notification)``
    returns where opening it leads, or None when what it was about can no
    longer be opened (the notice itself is then all there is). ``subject`` is
    fixed text naming the event: subjects never carry member-written words.
    ``depends`` names the ``connect.fragments`` generations that every row
    ``visible`` reads besides the member and the notification moves on when
    it changes (``("forum.board",)``): the header's unread count is then
    cached per member until one of them moves; None (the default) means the
    count is asked of the database on every page while such a notification
    is unread."""

    key: str
    label: str  # follows the actor's name: "mentioned you"
    visible: Callable
    topic: EmailTopic | None = None  # None: never emailed
    subject: str = "You have a new notification"
    describe: Callable | None = None
    link: Callable | None = None
    depends: tuple[str, ...] | None = None
    # A fixed sentence shown instead of "<actor> <label>" (notices that name
    # nobody, such as what waits for moderators).
    headline: str = ""


def registered_kinds():
    """``{key: NotificationKind}`` from every ``register_notification_kind`` hook."""
    kinds = {}
    for hook in hooks.get_hooks("register_notification_kind"):
        result = hook()
        for kind in [result] if isinstance(result, NotificationKind) else list(result or ()):
            if kind.key in kinds:
                raise ValueError(f"Notification kind {kind.key!r} is registered twice.")
            kinds[kind.key] = kind
    return kinds


def kind_for(key):
    return registered_kinds().get(key)


def email_topics():
    """Registered topics, in page order."""
    topics = {}
    for kind in registered_kinds().values():
        if kind.topic is not None:
            topics.setdefault(kind.topic.key, kind.topic)
    return sorted(topics.values(), key=lambda topic: (topic.order, topic.key))


def email_topics_for(user):
    """The topics ``user`` is offered on their email settings page."""
    return [topic for topic in email_topics() if topic.audience is None or topic.audience(user)]


def topic_for(key):
    return next((topic for topic in email_topics() if topic.key == key), None)


def kinds_for_topic(topic_key):
    return [kind.key for kind in registered_kinds().values() if kind.topic and kind.topic.key == topic_key]
