"""What the member socket (``/ws/me/``) sends about notifications.

The consumer asks here, with the member fresh from the database, every time
the member's group says something new was saved; everything is read and
rendered through the one visibility rule (``notifications.permissions``), so
a notification the member may not see is neither sent nor counted.
"""

from __future__ import annotations

from django.db.models import Max
from django.template.loader import render_to_string
from django.urls import reverse

from connect.live import member_send

from .permissions import visible_notifications
from .selectors import describe, unread_notification_count

# Enough for a burst; a page that missed more shows them when it is opened.
MAX_PER_PUSH = 10

CREATED = "notification.created"
CHANGED = "notifications.changed"


def notifications_created(user_ids):
    """After commit, tell ``user_ids`` that they have new notifications."""
    member_send(user_ids, {"type": CREATED})


def notifications_changed(user_id):
    """After commit, tell ``user_id``'s pages that their unread count moved."""
    member_send([user_id], {"type": CHANGED})


def notification_state(user):
    """``(unread count, id of the newest notification the member may see)``."""
    newest = visible_notifications(user).aggregate(newest=Max("pk"))["newest"] or 0
    return unread_notification_count(user=user, cached=False), newest


def notification_text(notification):
    """One plain line for the live region: who, what, where (no member-written message)."""
    actor = notification.actor.display_name if notification.actor_id else "A moderator"
    where = f" in {notification.where}" if notification.where else ""
    return f"{actor} {notification.kind_label}{where}."


def notifications_after(user, after_id):
    """``(messages, newest id)``: a ``notification`` message for each notification
    after ``after_id`` that ``user`` may see (oldest first), rendered as on the
    notifications page, each with the unread count."""
    rows = list(
        visible_notifications(user)
        .filter(pk__gt=after_id)
        .select_related("actor__profile")
        .order_by("-pk")[:MAX_PER_PUSH]
    )
    if not rows:
        return [], after_id
    describe(rows)
    unread = unread_notification_count(user=user)
    next_url = reverse("notifications:list")
    messages = [
        {
            "type": "notification",
            "id": n.pk,
            "unread": unread,
            "text": notification_text(n),
            # The page's script puts its own CSRF token into the form.
            "html": render_to_string(
                "notifications/includes/notification_item.html",
                {"n": n, "next_url": next_url, "csrf_token": "live"},
            ),
        }
        for n in reversed(rows)
    ]
    return messages, rows[0].pk
