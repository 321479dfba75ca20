"""Writes of notifications and email preferences.

Apps call :func:`notify` (or :func:`notify_on_commit` from inside their own
transaction) with a registered kind and the object the notification is about.
A notification is kept only for recipients who may see it, by the same rule
the list, the header count and the emails use; it is emailed right away or
left waiting for a digest according to the member's preference.
"""

from __future__ import annotations

import logging

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, transaction
from django.utils import timezone

from connect import fragments
from connect import permissions as connect_permissions

from . import emails, live
from .kinds import EmailFrequency, email_topics, kind_for, kinds_for_topic
from .models import Notification, NotificationPreference
from .permissions import can_see_notification

logger = logging.getLogger(__name__)


class PreferenceError(ValueError):
    """A preference that cannot be saved; ``message`` is written for the member."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


def once_key(*, kind, target_type, target_id, recipient_id):
    """What makes a once-only notification unique: one kind, one target, one recipient."""
    return f"{kind}:{target_type.pk if target_type else ''}:{target_id or ''}:{recipient_id}"


def notify(*, recipient_ids, kind, actor_id=None, target=None, url=None, message="", once=False):
    """Notify each of ``recipient_ids`` about ``target`` (a model instance or None).

    ``url`` is the path opening it leads to; by default the target's
    ``get_absolute_url()``. With ``once`` a recipient already notified of
    this kind about this target is not notified again (see
    ``Notification.once_key``): a task that runs twice, because its worker
    was killed after doing the work, does no harm. An email the first run
    owed and did not queue is queued then, under the same delivery key.
    Returns the notifications created."""
    spec = kind_for(kind)
    if spec is None:
        raise ValueError(f"Unknown notification kind {kind!r}; register it with register_notification_kind.")
    if not recipient_ids:
        return []
    target_type = ContentType.objects.get_for_model(target) if target is not None else None
    if url is None:
        url = target.get_absolute_url() if target is not None and hasattr(target, "get_absolute_url") else ""
    users = list(
        get_user_model().objects.filter(pk__in=set(recipient_ids), is_active=True).select_related("profile")
    )
    topic = spec.topic
    chosen = {}
    if topic is not None:
        chosen = dict(
            NotificationPreference.objects.filter(user__in=users, topic=topic.key).values_list(
                "user_id", "email"
            )
        )
    created = []
    for user in users:
        if not connect_permissions.is_active_member(user):
            continue
        frequency = chosen.get(user.pk, topic.default) if topic is not None else EmailFrequency.NEVER
        emailed_now = topic is not None and frequency == EmailFrequency.IMMEDIATE
        key = None
        if once:
            key = once_key(
                kind=kind,
                target_type=target_type,
                target_id=target.pk if target is not None else None,
                recipient_id=user.pk,
            )
            earlier = Notification.objects.filter(once_key=key).first()
            if earlier is not None:
                if emailed_now and earlier.email_state == Notification.EmailState.NONE:
                    emails.send_immediately(earlier)
                continue
        try:
            with transaction.atomic():
                notification = Notification.objects.create(
                    recipient=user,
                    kind=kind,
                    actor_id=actor_id,
                    target_type=target_type,
                    target_id=target.pk if target is not None else None,
                    url=url[:500],
                    message=(message or "")[:500],
                    email_state=(
                        Notification.EmailState.NONE
                        if topic is None
                        else emails.initial_email_state(frequency)
                    ),
                    once_key=key,
                )
                if not can_see_notification(user, notification):
                    notification.delete()
                    continue
        except IntegrityError:
            # Another run of the same task got there first: that one is kept.
            if key is None:
                raise
            continue
        created.append(notification)
        if emailed_now:
            emails.send_immediately(notification)
    # The header count and the notifications page update live (``/ws/me/``).
    live.notifications_created([n.recipient_id for n in created])
    return created


def notify_on_commit(**kwargs):
    """:func:`notify` once the caller's transaction commits, so a rolled-back
    write notifies nobody; a failure is logged, never raised into the write."""

    def run():
        try:
            notify(**kwargs)
        except Exception:  # noqa: BLE001 - the write is saved; a notification failure must not lose it
            logger.exception("Could not create %s notifications", kwargs.get("kind"))

    transaction.on_commit(run)


def notification_mark_read(*, user, notification_ids=None):
    """Mark the member's notifications read (all, or ``notification_ids``); the
    count in the header of their other open pages follows."""
    qs = Notification.objects.filter(recipient_id=user.pk, read_at__isnull=True)
    if notification_ids is not None:
        qs = qs.filter(pk__in=notification_ids)
    marked = qs.update(read_at=timezone.now())
    if marked:
        # A bulk update sends no signal: the header's cached count moves here.
        fragments.bump(fragments.inbox_scope(user.pk))
        live.notifications_changed(user.pk)
    return marked


def _retarget_waiting(user, topic_key, frequency):
    # What waits for a digest follows the new choice: "never" drops it, the
    # other digest takes it over; "right away" leaves it for the digest it
    # was waiting for.
    target = {
        EmailFrequency.NEVER: Notification.EmailState.SKIPPED,
        EmailFrequency.DAILY: Notification.EmailState.DAILY,
        EmailFrequency.WEEKLY: Notification.EmailState.WEEKLY,
    }.get(frequency)
    if target is None:
        return
    Notification.objects.filter(
        recipient_id=user.pk,
        kind__in=kinds_for_topic(topic_key),
        email_state__in=[Notification.EmailState.DAILY, Notification.EmailState.WEEKLY],
    ).exclude(email_state=target).update(email_state=target)


def preferences_update(*, user, choices):
    """Save ``{topic key: frequency}``; topics not given keep their setting.

    A row is written only for a topic whose setting is being chosen, so
    viewing the page never creates one."""
    topics = {topic.key for topic in email_topics()}
    for topic_key, frequency in choices.items():
        if topic_key not in topics:
            raise PreferenceError("Unknown email setting.")
        if frequency not in EmailFrequency.values:
            raise PreferenceError("Choose one of the listed frequencies.")
    with transaction.atomic():
        for topic_key, frequency in choices.items():
            NotificationPreference.objects.update_or_create(
                user_id=user.pk, topic=topic_key, defaults={"email": frequency}
            )
            _retarget_waiting(user, topic_key, frequency)


def email_unsubscribe(*, user, topic):
    """Stop emails about one topic for ``user``, including what waits for a digest."""
    preferences_update(user=user, choices={topic: EmailFrequency.NEVER})
