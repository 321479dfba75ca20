"""Reads of private conversations, filtered by ``permissions.py`` and in a fixed
number of queries whatever the number of conversations or messages."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import Count, IntegerField, OuterRef, Prefetch, Subquery, Value
from django.db.models.functions import Coalesce

from connect import fragments

from . import permissions
from .models import Message, Participant
from .signals import UNREAD

PAGE_MESSAGES = 100
INBOX_PAGE = 25


def _unread_messages(user):
    """Messages after the member's read mark, not their own, that they may read."""
    return permissions.visible_messages(
        user,
        Message.objects.filter(
            conversation_id=OuterRef("pk"),
            seq__gt=OuterRef("my_read"),
            kind=Message.Kind.TEXT,
        ).exclude(sender_id=user.pk),
    )


def _mine(user):
    return Participant.objects.filter(conversation=OuterRef("pk"), user_id=user.pk, left_at__isnull=True)


def inbox(*, user, archived=False):
    """The member's conversations, newest activity first, each with its unread
    count, the member's own settings and who else is in it."""
    mine = _mine(user)
    qs = (
        permissions.visible_conversations(user)
        .annotate(
            my_read=Subquery(mine.values("last_read_seq")[:1]),
            my_muted=Subquery(mine.values("muted")[:1]),
            my_archived=Subquery(mine.values("archived")[:1]),
        )
        .filter(my_archived=archived)
        .annotate(
            unread=Coalesce(
                Subquery(
                    _unread_messages(user)
                    .order_by()
                    .values("conversation_id")
                    .annotate(n=Count("pk"))
                    .values("n")[:1],
                    output_field=IntegerField(),
                ),
                Value(0),
            )
        )
        .prefetch_related(
            Prefetch(
                "participants",
                queryset=Participant.objects.filter(left_at__isnull=True)
                .exclude(user_id=user.pk)
                .select_related("user__profile")
                .order_by("joined_at", "pk"),
                to_attr="others",
            )
        )
        .order_by("-last_message_at", "-pk")
    )
    return qs


def unread_conversation_count(*, user):
    """How many of the member's conversations (archived or not) have unread
    messages: one query, cached per member (``connect.fragments``) until a
    conversation, participant or message changes (``signals.UNREAD``)."""
    if not permissions.is_active_member(user):
        return 0
    return fragments.get_or_build(
        "unread-conversations", user_id=user.pk, depends=[UNREAD], build=lambda: _unread_count(user)
    )


def _unread_count(user):
    read_mark = Participant.objects.filter(conversation=OuterRef("conversation_id"), user_id=user.pk).values(
        "last_read_seq"
    )[:1]
    return (
        permissions.visible_messages(user, Message.objects.filter(kind=Message.Kind.TEXT))
        .exclude(sender_id=user.pk)
        .filter(seq__gt=Subquery(read_mark))
        .values("conversation_id")
        .distinct()
        .count()
    )


def conversation_for(*, user, pk):
    """``(conversation, participant)`` for a participant, or None for everyone else."""
    place = (
        Participant.objects.select_related("conversation")
        .filter(conversation_id=pk, user_id=user.pk, left_at__isnull=True)
        .first()
        if permissions.is_active_member(user)
        else None
    )
    if place is None:
        return None
    return place.conversation, place


def participants(*, conversation):
    return list(
        Participant.objects.filter(conversation=conversation, left_at__isnull=True)
        .select_related("user__profile")
        .order_by("joined_at", "pk")
    )


def conversation_messages(*, user, conversation, after=None, seqs=None, limit=PAGE_MESSAGES):
    """The newest ``limit`` messages the member may read (or those after ``after``, or with ``seqs``)."""
    qs = permissions.visible_messages(user, Message.objects.filter(conversation=conversation))
    if after is not None:
        qs = qs.filter(seq__gt=after)
    if seqs is not None:
        qs = qs.filter(seq__in=seqs)
    qs = qs.select_related("sender__profile").prefetch_related("attachments")
    if after is None and seqs is None:
        return list(reversed(qs.order_by("-seq")[:limit]))
    return list(qs.order_by("seq")[:limit])


def seen_by(*, conversation, places, user):
    """``(seq, count)`` for the newest visible message ``user`` sent: how many of the
    others have read it. ``places`` are the current participants."""
    last = (
        Message.objects.filter(
            conversation=conversation,
            sender_id=user.pk,
            status=Message.Status.VISIBLE,
            kind=Message.Kind.TEXT,
        )
        .order_by("-seq")
        .values_list("seq", flat=True)
        .first()
    )
    if last is None:
        return None, 0
    return last, sum(1 for p in places if p.user_id != user.pk and p.last_read_seq >= last)


def picker(*, user, query="", ids=None, limit=20):
    """Members ``user`` may write to whose name matches ``query`` (or among ``ids``)."""
    qs = permissions.messageable_users(user, get_user_model().objects.select_related("profile__task_force"))
    if ids is not None:
        qs = qs.filter(pk__in=ids)
    query = " ".join((query or "").split())[:100]
    if query:
        qs = qs.filter(profile__display_name__icontains=query)
    return list(qs.order_by("profile__display_name", "pk")[:limit])
