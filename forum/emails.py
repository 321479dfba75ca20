"""Email about discussions: right away or in daily and weekly digests.

Post bodies may be sensitive, so an email never contains one: only who did
what, where (category and thread title) and a link. Every email carries a
one-click unsubscribe for its kind (RFC 8058).
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMessage
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from connect import permissions as connect_permissions

logger = logging.getLogger(__name__)

SEND_NOW = "now"
UNSUBSCRIBE_SALT = "forum.email-unsubscribe"
# Which preference governs each kind of notification; kinds not listed are never emailed.
EMAIL_KIND = {"mention": "mention", "reply": "reply", "new_thread": "reply"}
KIND_LABELS = {"mention": "mentions of you", "reply": "replies in threads and categories you watch"}


def email_kind(notification_kind):
    return EMAIL_KIND.get(notification_kind)


def notification_kinds_for(kind):
    return [k for k, v in EMAIL_KIND.items() if v == kind]


def initial_email_state(user, notification_kind):
    from .models import EmailFrequency, Notification, NotificationPreference

    kind = email_kind(notification_kind)
    if kind is None:
        return Notification.EmailState.NONE
    pref = NotificationPreference.objects.filter(user=user).first()
    frequency = (
        getattr(pref, f"{kind}_email")
        if pref
        else NotificationPreference._meta.get_field(f"{kind}_email").default
    )
    return {
        EmailFrequency.IMMEDIATE: SEND_NOW,
        EmailFrequency.DAILY: Notification.EmailState.DAILY,
        EmailFrequency.WEEKLY: Notification.EmailState.WEEKLY,
    }.get(frequency, Notification.EmailState.NONE)


def unsubscribe_token(user, kind):
    return signing.dumps({"u": user.pk, "k": kind}, salt=UNSUBSCRIBE_SALT)


def read_unsubscribe_token(token):
    """Return ``(user_id, kind)`` or None for a token that was not made here."""
    try:
        data = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or data.get("k") not in KIND_LABELS or not isinstance(data.get("u"), int):
        return None
    return data["u"], data["k"]


def _absolute(path):
    return settings.WAGTAILADMIN_BASE_URL.rstrip("/") + path


def _message(user, kind, subject, body):
    unsubscribe_url = _absolute(
        reverse("forum:email_unsubscribe", kwargs={"token": unsubscribe_token(user, kind)})
    )
    body += (
        f"\n\nYou get these emails about {KIND_LABELS[kind]}. "
        f"Change how often: {_absolute(reverse('forum:preferences'))}\n"
        f"Stop them: {unsubscribe_url}\n"
    )
    return EmailMessage(
        subject=f"{settings.ACCOUNT_EMAIL_SUBJECT_PREFIX}{subject}",
        body=body,
        to=[user.email],
        headers={
            "List-Unsubscribe": f"<{unsubscribe_url}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "Auto-Submitted": "auto-generated",
        },
    )


def _line(notification):
    actor = notification.actor.display_name if notification.actor else "Someone"
    where = ""
    if notification.thread is not None:
        where = f" in “{notification.thread.title}” ({notification.thread.category.name})"
    return f"{actor} {notification.get_kind_display()}{where}", _absolute(notification.get_absolute_url())


def _still_visible(notification):
    from . import permissions

    user = notification.recipient
    if not connect_permissions.is_active_member(user):
        return False
    if notification.post is not None:
        return permissions.can_see_post(user, notification.post)
    return notification.thread is None or permissions.can_see_thread(user, notification.thread)


def send_immediately(notification):
    from .models import Notification

    kind = email_kind(notification.kind)
    if kind is None:
        return False
    line, url = _line(notification)
    body = render_to_string("forum/email/notification.txt", {"line": line, "url": url}).strip()
    try:
        _message(notification.recipient, kind, line, body).send()
    except Exception:  # noqa: BLE001 - the notification is in the app; a mail outage must not lose it
        logger.exception("Could not email notification %s", notification.pk)
        return False
    Notification.objects.filter(pk=notification.pk).update(
        email_state=Notification.EmailState.SENT, emailed_at=timezone.now()
    )
    return True


def send_digests(frequency, *, now=None):
    """Send one digest per member and kind for everything waiting for ``frequency``.

    Each member's notifications are claimed (their state changed to "sent")
    in the same transaction as the email is sent, so running the command
    twice, or twice at once, sends nothing twice; a failed send rolls back the
    claim and the items wait for the next run. Returns the number of emails sent.
    """
    from .models import Notification

    now = now or timezone.now()
    state = {"daily": Notification.EmailState.DAILY, "weekly": Notification.EmailState.WEEKLY}[frequency]
    pairs = (
        Notification.objects.filter(email_state=state)
        .values_list("recipient_id", "kind")
        .distinct()
        .order_by("recipient_id")
    )
    groups = {}
    for recipient_id, kind in pairs:
        groups.setdefault((recipient_id, email_kind(kind)), []).append(kind)
    sent = 0
    for (recipient_id, kind), kinds in groups.items():
        if kind is None:
            continue
        try:
            with transaction.atomic():
                ids = list(
                    Notification.objects.filter(recipient_id=recipient_id, kind__in=kinds, email_state=state)
                    .select_for_update()
                    .values_list("pk", flat=True)
                )
                claimed = Notification.objects.filter(pk__in=ids, email_state=state).update(
                    email_state=Notification.EmailState.SENT, emailed_at=now
                )
                if not claimed:
                    continue
                items = list(
                    Notification.objects.filter(pk__in=ids, emailed_at=now)
                    .select_related(
                        "recipient__profile", "actor__profile", "thread__category", "post__thread__category"
                    )
                    .order_by("created_at")
                )
                visible = [n for n in items if _still_visible(n)]
                hidden = [n.pk for n in items if n not in visible]
                if hidden:
                    Notification.objects.filter(pk__in=hidden).update(
                        email_state=Notification.EmailState.SKIPPED
                    )
                if not visible:
                    continue
                user = visible[0].recipient
                lines = [_line(n) for n in visible]
                body = render_to_string(
                    "forum/email/digest.txt",
                    {"lines": lines, "frequency": frequency, "kind": KIND_LABELS[kind]},
                ).strip()
                plural = "s" if len(lines) != 1 else ""
                subject = f"Your {frequency} digest: {len(lines)} update{plural} in discussions"
                _message(user, kind, subject, body).send()
                sent += 1
        except Exception:  # noqa: BLE001 - one member's failure must not stop the others
            logger.exception("Could not send the %s digest to member %s", frequency, recipient_id)
    return sent
