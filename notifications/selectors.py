"""Reads of notifications and preferences. Nothing here writes: a member who
never changed a setting has no preference row, and the defaults apply."""

from __future__ import annotations

from django.core.paginator import Paginator

from connect import fragments
from connect.permissions import is_active_member

from .kinds import EmailFrequency, email_topics_for, registered_kinds, topic_for
from .models import Notification, NotificationPreference
from .permissions import visible_notifications

PER_PAGE = 30


def describe(notifications):
    """Set ``where`` (e.g. a thread's title and category) on each notification,
    asking each kind's ``describe`` once for the whole batch."""
    kinds = registered_kinds()
    by_describer = {}
    for n in notifications:
        n.where = ""
        kind = kinds.get(n.kind)
        if kind is not None and kind.describe is not None:
            by_describer.setdefault(kind.describe, []).append(n)
    for describer, batch in by_describer.items():
        found = describer(batch)
        for n in batch:
            n.where = found.get(n.pk, "")
    return notifications


def notification_list(*, user, page=1, unread_only=False):
    qs = visible_notifications(user).select_related("actor__profile")
    if unread_only:
        qs = qs.filter(read_at__isnull=True)
    page_obj = Paginator(qs.order_by("-created_at", "-id"), PER_PAGE).get_page(page)
    page_obj.object_list = describe(list(page_obj.object_list))
    return page_obj


def notification_for(*, user, pk):
    """One notification the member may see, or None."""
    return visible_notifications(user).filter(pk=pk).first()


def unread_notification_count(*, user, cached=True):
    """The header bell's number, on every page: the kinds that are unread and
    then only their rules, both cached per member (``connect.fragments``)
    until the member's notifications change (``inbox_scope``, moved by
    ``notifications.signals``) or, for the count, what the unread kinds' rules
    read (each kind's ``depends``); a kind that names nothing is counted on
    every page."""
    if not is_active_member(user):
        return 0
    unread = Notification.objects.filter(recipient_id=user.pk, read_at__isnull=True)
    if not cached:
        # A live push answers the moment a notification is saved: it counts
        # from the database, never from a copy built a moment before.
        kinds = set(unread.order_by().values_list("kind", flat=True).distinct())
        return visible_notifications(user, unread, kinds=kinds).count() if kinds else 0
    inbox = fragments.inbox_scope(user.pk)
    kinds = fragments.get_or_build(
        "unread-notification-kinds",
        user_id=user.pk,
        depends=[inbox],
        build=lambda: tuple(sorted(set(unread.order_by().values_list("kind", flat=True).distinct()))),
    )
    if not kinds:
        return 0

    def count():
        return visible_notifications(user, unread, kinds=set(kinds)).count()

    registered = registered_kinds()
    depends = set()
    for key in kinds:
        kind = registered.get(key)
        if kind is None:
            continue  # seen by nobody: counts nothing, reads nothing
        if kind.depends is None:
            return count()
        depends.update(kind.depends)
    return fragments.get_or_build(
        "unread-notification-count", user_id=user.pk, depends=[inbox, *sorted(depends)], build=count
    )


def email_preferences(user):
    """``{topic key: frequency}`` for every topic offered to ``user``, defaults included."""
    chosen = dict(NotificationPreference.objects.filter(user_id=user.pk).values_list("topic", "email"))
    return {topic.key: chosen.get(topic.key, topic.default) for topic in email_topics_for(user)}


def email_frequency(user, topic_key):
    topic = topic_for(topic_key)
    if topic is None:
        return EmailFrequency.NEVER
    row = NotificationPreference.objects.filter(user_id=user.pk, topic=topic_key).first()
    return row.email if row else topic.default
