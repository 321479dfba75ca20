"""The one rule for "may this member see this notification?".

The notification list, the unread count in the header, immediate emails and
digests all ask here, and this module asks the kind each notification belongs
to (registered by the app that sent it, written with that app's own
permissions). A member who is no longer active sees none; a kind nobody
registered is seen by nobody.
"""

from __future__ import annotations

from functools import reduce
from operator import or_

from django.db.models import Q

from connect import permissions as connect_permissions

from .kinds import registered_kinds
from .models import Notification


def visible_notifications(user, qs=None, *, kinds=None):
    """The part of ``qs`` addressed to ``user`` that ``user`` may see now.

    ``kinds``, when given, are the only kinds ``qs`` can hold (the caller
    looked), so the rules of the others are left out of the query."""
    qs = Notification.objects.all() if qs is None else qs
    if not connect_permissions.is_active_member(user):
        return qs.none()
    mine = qs.filter(recipient_id=user.pk)
    allowed = [
        Q(
            kind=key,
            pk__in=kind.visible(user, Notification.objects.filter(recipient_id=user.pk, kind=key)).values(
                "pk"
            ),
        )
        for key, kind in registered_kinds().items()
        if kinds is None or key in kinds
    ]
    if not allowed:
        return qs.none()
    return mine.filter(reduce(or_, allowed))


def can_see_notification(user, notification):
    """The rule of :func:`visible_notifications` for one notification, asked
    of its own kind about that row alone: the fan-out of a reply asks this for
    every recipient, and asking it about all of a member's notifications of
    the kind cost a second a recipient on a board of 200,000 posts."""
    if notification.recipient_id != getattr(user, "pk", None):
        return False
    if not connect_permissions.is_active_member(user):
        return False
    kind = registered_kinds().get(notification.kind)
    if kind is None:
        return False
    one = Notification.objects.filter(pk=notification.pk, recipient_id=user.pk, kind=notification.kind)
    return kind.visible(user, one).exists()
