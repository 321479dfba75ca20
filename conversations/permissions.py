"""Who may see and write private conversations: the one place these rules live.

Views, selectors, the consumer, search, notifications and the report queue
all ask these functions. A conversation is seen only by its *current*
participants — not by a moderator, an administrator or a member who left —
and what a member may not see is a 404, never a count or a subject.

Whether a member may write at all also depends on other apps (a member
suspended from discussions may not send private messages either). Those apps
say so through the ``register_writing_restriction`` Wagtail hook: each hook
returns a ``.values("user_id")`` queryset of the users barred from writing
now, so this app never imports them.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef, Q
from wagtail import hooks

from connect import permissions as connect_permissions

from .models import MAX_PARTICIPANTS, Block, Conversation, Message, MessagingPreference, Participant

is_active_member = connect_permissions.is_active_member
is_moderator = connect_permissions.is_moderator


def _restricted_querysets():
    return [hook() for hook in hooks.get_hooks("register_writing_restriction")]


def restricted_user_filter():
    """A ``Q`` on users leaving out those another app bars from writing."""
    q = Q()
    for ids in _restricted_querysets():
        q &= ~Q(pk__in=ids)
    return q


def is_barred(user):
    """Barred from writing by another app (a suspension), cached on the user for a request."""
    if not hasattr(user, "_conversations_barred"):
        user._conversations_barred = any(
            ids.filter(user_id=user.pk).exists() for ids in _restricted_querysets()
        )
    return user._conversations_barred


def can_send(user):
    """An active member not barred from writing."""
    return is_active_member(user) and not is_barred(user)


def current_participant(user, conversation):
    """The member's current place in ``conversation``, or None."""
    if not is_active_member(user):
        return None
    return Participant.objects.filter(
        conversation_id=conversation.pk, user_id=user.pk, left_at__isnull=True
    ).first()


def can_see_conversation(user, conversation):
    return current_participant(user, conversation) is not None


def visible_conversations(user, qs=None):
    """The conversations ``user`` takes part in now."""
    qs = Conversation.objects.all() if qs is None else qs
    if not is_active_member(user):
        return qs.none()
    return qs.filter(
        Exists(Participant.objects.filter(conversation=OuterRef("pk"), user_id=user.pk, left_at__isnull=True))
    )


def visible_messages(user, qs=None):
    """Messages ``user`` may read: in a conversation they take part in now,
    sent after they joined it, and not held or removed (their own held
    messages apart: the sender sees what waits for review)."""
    qs = Message.objects.all() if qs is None else qs
    if not is_active_member(user):
        return qs.none()
    mine = Participant.objects.filter(
        conversation=OuterRef("conversation_id"),
        user_id=user.pk,
        left_at__isnull=True,
        joined_seq__lt=OuterRef("seq"),
    )
    return qs.filter(Exists(mine)).filter(
        Q(status=Message.Status.VISIBLE) | Q(status=Message.Status.HELD, sender_id=user.pk)
    )


def searchable_messages(user, qs=None):
    """The same rule as :func:`visible_messages`, written with the indexed
    fields only (conversation, sequence, status, sender), so the search
    backend can apply it in the index: one query reads the member's places."""
    qs = Message.objects.all() if qs is None else qs
    if not is_active_member(user):
        return qs.none()
    places = Participant.objects.filter(user_id=user.pk, left_at__isnull=True).values_list(
        "conversation_id", "joined_seq"
    )
    from_start = [c for c, joined in places if joined == 0]
    rule = Q(conversation_id__in=from_start) if from_start else Q()
    for conversation_id, joined in places:
        if joined:
            rule |= Q(conversation_id=conversation_id, seq__gt=joined)
    if not rule:
        return qs.none()
    return qs.filter(rule).filter(
        Q(status=Message.Status.VISIBLE) | Q(status=Message.Status.HELD, sender_id=user.pk)
    )


def can_see_message(user, message):
    return visible_messages(user, Message.objects.filter(pk=message.pk)).exists()


def blocked_between(a, b):
    """Whether either member blocked the other."""
    return Block.objects.filter(
        Q(blocker_id=a.pk, blocked_id=b.pk) | Q(blocker_id=b.pk, blocked_id=a.pk)
    ).exists()


def _same_task_force(a, b):
    pa, pb = getattr(a, "profile", None), getattr(b, "profile", None)
    return pa is not None and pb is not None and pa.task_force_id == pb.task_force_id


def message_refusal(sender, recipient):
    """Why ``sender`` may not bring ``recipient`` into a conversation, or None.

    The reasons are worded so they never tell the sender that they were
    blocked: a blocked member, a deactivated one and one who takes messages
    only from their task force all read alike."""
    if not can_send(sender):
        return "Your account cannot send private messages at the moment."
    if recipient is None or recipient.pk == sender.pk:
        return "Choose another member."
    if not is_active_member(recipient) or is_barred(recipient):
        return "This member cannot receive private messages."
    if blocked_between(sender, recipient):
        return "This member cannot receive private messages from you."
    preference = MessagingPreference.objects.filter(user_id=recipient.pk).first()
    if preference is not None and preference.task_force_only and not _same_task_force(sender, recipient):
        return "This member cannot receive private messages from you."
    return None


def can_message(sender, recipient):
    return message_refusal(sender, recipient) is None


def messageable_users(user, qs=None):
    """Members ``user`` could write to: for the picker. Deactivated, barred and
    blocking or blocked members are not listed, nor those who take messages
    only from their own task force when ``user`` is not in it."""
    User = get_user_model()
    qs = User.objects.all() if qs is None else qs
    if not can_send(user):
        return qs.none()
    profile = getattr(user, "profile", None)
    outside_only = Q(
        Exists(MessagingPreference.objects.filter(user_id=OuterRef("pk"), task_force_only=True))
    ) & ~Q(profile__task_force_id=getattr(profile, "task_force_id", None))
    return (
        qs.filter(is_active=True, profile__isnull=False)
        .exclude(pk=user.pk)
        .filter(restricted_user_filter())
        .exclude(Exists(Block.objects.filter(blocker_id=user.pk, blocked_id=OuterRef("pk"))))
        .exclude(Exists(Block.objects.filter(blocker_id=OuterRef("pk"), blocked_id=user.pk)))
        .exclude(outside_only)
    )


def messaging_key(user):
    """``(depends, vary)``: what a cached answer of :func:`messageable_users`
    for ``user`` must be keyed by, besides ``user``'s own generation (their
    account, roles and profile) and ``connect.fragments.PROFILES`` (every
    member's account and task force): the generation of blocks and messaging
    preferences, and each writing restriction's generation and epoch (a
    suspension that lapses moves no generation). A restriction hook without
    a ``depends`` cannot be cached: ``None`` then."""
    from .signals import MESSAGING

    depends, vary = [MESSAGING], []
    for hook in hooks.get_hooks("register_writing_restriction"):
        if not hasattr(hook, "depends"):
            return None
        depends.extend(hook.depends)
        vary.append(hook.epoch() if hasattr(hook, "epoch") else 0)
    return depends, vary


def can_write_in(user, conversation):
    """A current participant who may send, in a conversation someone else is still in."""
    return can_send(user) and can_see_conversation(user, conversation)


def can_add_participant(user, conversation, count=None):
    if not can_write_in(user, conversation):
        return False
    if count is None:
        count = conversation.participants.filter(left_at__isnull=True).count()
    return count < MAX_PARTICIPANTS


def can_report(user, message):
    """A participant reports someone else's message they can read."""
    return (
        message.kind == Message.Kind.TEXT
        and message.sender_id != user.pk
        and message.status == Message.Status.VISIBLE
        and can_see_message(user, message)
    )


def can_review_reports(user):
    """Moderators review reported messages (and nothing else of a conversation)."""
    return is_moderator(user)


def can_review_held(user):
    """Moderators review messages the privacy guard held, one message at a time."""
    return is_moderator(user)
