"""What moderators are told: a new membership request, a flag, a shared
resource waiting for review.

The kinds share one email topic that only moderators see on their settings
page. Their notices and emails are fixed sentences plus a link into the admin:
no member-written word (an applicant's name, a flag's details, a resource's
title) is put in an email or a subject, since the moderator reads it all
behind the sign-in anyway. Apps call :func:`moderators_notify_on_commit` from
inside the transaction of the write.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import Q

from connect import permissions as connect_permissions
from connect.models import Role

from .kinds import EmailFrequency, EmailTopic, NotificationKind
from .services import notify_on_commit

MEMBERSHIP_REQUEST = "moderator_membership_request"
FLAG = "moderator_flag"
SHARED_RESOURCE = "moderator_shared_resource"

WAITING = EmailTopic(
    key="moderator_queue",
    label="what waits for moderators",
    field_label="Emails about new membership requests, flags and shared resources waiting for review",
    default=EmailFrequency.IMMEDIATE,
    order=90,
    audience=connect_permissions.is_moderator,
)


def visible_to_moderators(user, qs):
    """A moderator's notices stay theirs while they moderate; a member who
    stepped down no longer sees what waits in the queue."""
    return qs if connect_permissions.is_moderator(user) else qs.none()


def kinds():
    common = {"visible": visible_to_moderators, "topic": WAITING}
    return [
        NotificationKind(
            key=MEMBERSHIP_REQUEST,
            label="",
            headline="A new membership request is waiting for review",
            subject="A membership request is waiting for review",
            **common,
        ),
        NotificationKind(
            key=FLAG,
            label="",
            headline="A post was flagged for moderator review",
            subject="A post was flagged for review",
            **common,
        ),
        # Emailed by Wagtail's workflow (its "submitted" notice, which each
        # moderator turns off in their admin account settings): a second
        # email here would say the same thing twice.
        NotificationKind(
            key=SHARED_RESOURCE,
            label="",
            headline="A member shared a resource that is waiting for review",
            visible=visible_to_moderators,
        ),
    ]


def moderator_ids():
    """Everyone who moderates: moderators, administrators and superusers."""
    return list(
        get_user_model()
        .objects.filter(Q(is_superuser=True) | Q(groups__name__in=[Role.MODERATOR, Role.ADMINISTRATOR]))
        .filter(is_active=True)
        .values_list("pk", flat=True)
        .distinct()
    )


def moderators_notify_on_commit(*, kind, target, url, exclude_ids=()):
    """Tell every moderator (but ``exclude_ids``, who did it) once the write
    commits, each by their own email setting. ``url`` is the admin page where
    the item waits; ``once`` makes a retried write notify nobody twice."""
    recipients = [pk for pk in moderator_ids() if pk not in set(exclude_ids)]
    notify_on_commit(recipient_ids=recipients, kind=kind, target=target, url=url, once=True)
