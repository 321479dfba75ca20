"""Notification emails: right away, or in daily and weekly digests.

What members write may be sensitive, so an email never carries a post body:
only who did what, where, and a link. Subjects are fixed text naming the kind
of event. Every email carries a one-click unsubscribe for its topic
(RFC 8058). Messages are composed and delivered by :mod:`connect.mail`.

The digest command runs hourly. Each member's digest of a topic is due once
per period (a day from ``NOTIFICATIONS_DIGEST_HOUR``, a week from that hour on
``NOTIFICATIONS_WEEKLY_DIGEST_WEEKDAY``) and carries what arrived before the
period began; a :class:`~notifications.models.DigestLog` row, written in the
same transaction as the claim on the notifications, makes a second run in the
same period send nothing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from connect import mail
from connect.mail import absolute_url, mail_compose

from .kinds import EmailFrequency, kind_for, kinds_for_topic, topic_for
from .models import DigestLog, Notification
from .permissions import can_see_notification, visible_notifications
from .selectors import describe

logger = logging.getLogger(__name__)

# Unchanged from when notifications lived in discussions, so links in emails
# already sent keep working.
UNSUBSCRIBE_SALT = "forum.email-unsubscribe"
FREQUENCIES = (EmailFrequency.DAILY, EmailFrequency.WEEKLY)


def unsubscribe_token(user, topic_key):
    return signing.dumps({"u": user.pk, "k": topic_key}, salt=UNSUBSCRIBE_SALT)


def read_unsubscribe_token(token):
    """Return ``(user_id, topic key)`` or None for a token that was not made here."""
    try:
        data = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("u"), int) or not isinstance(data.get("k"), str):
        return None
    if topic_for(data["k"]) is None:
        return None
    return data["u"], data["k"]


def unsubscribe_url(user, topic_key):
    return absolute_url(
        reverse("notifications:email_unsubscribe", kwargs={"token": unsubscribe_token(user, topic_key)})
    )


def _footer(user, topic):
    return {
        "footer_reason": f"You get these emails about {topic.label}.",
        "preferences_url": absolute_url(reverse("notifications:preferences")),
    }


def _line(notification):
    where = f" in {notification.where}" if getattr(notification, "where", "") else ""
    return f"{notification.headline}{where}", absolute_url(notification.url or reverse("notifications:list"))


def initial_email_state(frequency):
    """The state a new notification starts in for a member's chosen frequency."""
    return {
        EmailFrequency.IMMEDIATE: Notification.EmailState.NONE,
        EmailFrequency.DAILY: Notification.EmailState.DAILY,
        EmailFrequency.WEEKLY: Notification.EmailState.WEEKLY,
    }.get(frequency, Notification.EmailState.SKIPPED)


def send_immediately(notification):
    """Email one notification now, if its kind is emailed and the member may see it."""
    kind = kind_for(notification.kind)
    if kind is None or kind.topic is None:
        return False
    user = notification.recipient
    if not can_see_notification(user, notification):
        return False
    describe([notification])
    line, url = _line(notification)
    url_unsubscribe = unsubscribe_url(user, kind.topic.key)
    message = mail_compose(
        to=user.email,
        template="notification",
        context={"subject": kind.subject, "line": line, "url": url, **_footer(user, kind.topic)},
        unsubscribe_url=url_unsubscribe,
    )
    try:
        mail.mail_deliver(message, key=f"notification:{notification.pk}")
    except Exception:  # noqa: BLE001 - the notification is in the app; a mail outage must not lose it
        logger.exception("Could not email notification %s", notification.pk)
        return False
    Notification.objects.filter(pk=notification.pk).update(
        email_state=Notification.EmailState.SENT, emailed_at=timezone.now()
    )
    return True


def period_start(frequency, now=None):
    """When the current digest period of ``frequency`` began (an aware datetime)."""
    local = timezone.localtime(now or timezone.now())
    hour = getattr(settings, "NOTIFICATIONS_DIGEST_HOUR", 7)
    day = local.date()
    if frequency == EmailFrequency.WEEKLY:
        weekday = getattr(settings, "NOTIFICATIONS_WEEKLY_DIGEST_WEEKDAY", 0)
        day -= timedelta(days=(day.weekday() - weekday) % 7)
    start = timezone.make_aware(datetime.combine(day, time(hour)))
    if start > local:
        start -= timedelta(days=7 if frequency == EmailFrequency.WEEKLY else 1)
    return start


@dataclass
class DigestResult:
    sent: int = 0
    failed: int = 0


def send_digests(*, now=None, frequencies=FREQUENCIES):
    """Send each member the digests that are due, one email per topic and period.

    Safe to run as often as you like, and twice at once: a digest is claimed
    (its period logged, its notifications marked sent) in the same transaction
    as the email is handed over, so a failed send rolls the claim back and the
    next run tries again. Returns how many were sent and how many failed."""
    now = now or timezone.now()
    result = DigestResult()
    for frequency in frequencies:
        starts_at = period_start(frequency, now)
        waiting = Notification.objects.filter(email_state=frequency, created_at__lt=starts_at)
        groups = {}
        for recipient_id, kind_key in (
            waiting.values_list("recipient_id", "kind").distinct().order_by("recipient_id")
        ):
            kind = kind_for(kind_key)
            if kind is not None and kind.topic is not None:
                groups.setdefault((recipient_id, kind.topic.key), None)
        for recipient_id, topic_key in groups:
            try:
                if _send_digest(recipient_id, topic_key, frequency, starts_at, now):
                    result.sent += 1
            except Exception:  # noqa: BLE001 - one member's failure must not stop the others
                result.failed += 1
                logger.exception("Could not send the %s digest to member %s", frequency, recipient_id)
    return result


def _send_digest(recipient_id, topic_key, frequency, starts_at, now):
    topic = topic_for(topic_key)
    with transaction.atomic():
        try:
            with transaction.atomic():
                log = DigestLog.objects.create(
                    user_id=recipient_id,
                    topic=topic_key,
                    frequency=frequency,
                    period=starts_at.date(),
                    sent_at=now,
                )
        except IntegrityError:
            return False  # Already sent this period; what arrived since waits for the next.
        ids = list(
            Notification.objects.filter(
                recipient_id=recipient_id,
                kind__in=kinds_for_topic(topic_key),
                email_state=frequency,
                created_at__lt=starts_at,
            )
            .select_for_update()
            .values_list("pk", flat=True)
        )
        claimed = Notification.objects.filter(pk__in=ids, email_state=frequency)
        user = get_user_model().objects.filter(pk=recipient_id).select_related("profile").first()
        visible = (
            list(
                visible_notifications(user, claimed)
                .select_related("actor__profile", "recipient")
                .order_by("created_at", "id")
            )
            if user is not None
            else []
        )
        claimed.exclude(pk__in=[n.pk for n in visible]).update(email_state=Notification.EmailState.SKIPPED)
        if not visible:
            log.delete()
            return False
        Notification.objects.filter(pk__in=[n.pk for n in visible]).update(
            email_state=Notification.EmailState.SENT, emailed_at=now
        )
        lines = [_line(n) for n in describe(visible)]
        message = mail_compose(
            to=user.email,
            template="digest",
            context={
                "frequency": frequency,
                "count": len(lines),
                "lines": lines,
                "topic": topic.label,
                **_footer(user, topic),
            },
            unsubscribe_url=unsubscribe_url(user, topic_key),
        )
        mail.mail_deliver(message, key=f"digest:{log.pk}")
    return True
