"""The kinds of notification discussions send, and who may see them.

Registered with the notifications floor through the
``register_notification_kind`` hook (see ``wagtail_hooks.py``). Visibility is
written with :mod:`forum.permissions`, so a notification about a post is
shown, counted and emailed only while its recipient may read the post.
"""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.db.models import Q

from notifications.kinds import EmailFrequency, EmailTopic, NotificationKind

from . import permissions
from .models import Post, Thread
from .signals import BOARD

MENTION = "mention"
REPLY = "reply"
NEW_THREAD = "new_thread"
QUOTE = "quote"
REACTION = "reaction"
ACCEPTED = "accepted"
MODERATION = "moderation"

MENTIONS = EmailTopic(
    key="mention",
    label="mentions of you",
    field_label="Emails about mentions of you in discussions",
    default=EmailFrequency.IMMEDIATE,
    order=10,
)
REPLIES = EmailTopic(
    key="reply",
    label="replies in threads and categories you watch",
    field_label="Emails about replies in threads and categories you watch",
    default=EmailFrequency.DAILY,
    order=20,
)


def _about(post_ids, thread_ids):
    post_type, thread_type = (
        ContentType.objects.get_for_model(Post),
        ContentType.objects.get_for_model(Thread),
    )
    return Q(target_type=post_type, target_id__in=post_ids) | Q(
        target_type=thread_type, target_id__in=thread_ids
    )


def _targets(qs, model):
    """The ids ``qs`` points at of ``model``: the visibility subqueries below
    are narrowed to them, so checking one notification (a reply's fan-out
    asks for every recipient) reads one post instead of every post the member
    may see (0.3 s a recipient on a board of 200,000 posts)."""
    return qs.filter(target_type=ContentType.objects.get_for_model(model)).values("target_id")


def visible(user, qs):
    """Notifications about a post or thread the member may read now."""
    return qs.filter(
        _about(
            permissions.visible_posts(user).filter(pk__in=_targets(qs, Post)).values("pk"),
            permissions.visible_threads(user).filter(pk__in=_targets(qs, Thread)).values("pk"),
        )
    )


def visible_moderation(user, qs):
    """Authors hear about their hidden post or thread too, as long as they may
    still see its category; a notice tied to nothing (a suspension) is theirs."""
    categories = permissions.visible_category_ids(user)
    return qs.filter(
        Q(target_type__isnull=True)
        | _about(
            Post.objects.filter(thread__category_id__in=categories, pk__in=_targets(qs, Post)).values("pk"),
            Thread.objects.filter(category_id__in=categories, pk__in=_targets(qs, Thread)).values("pk"),
        )
    )


def describe(notifications):
    """``{pk: “Thread title” (Category)}`` in two queries for any number of notifications."""
    post_type, thread_type = (
        ContentType.objects.get_for_model(Post),
        ContentType.objects.get_for_model(Thread),
    )
    post_ids = {n.target_id for n in notifications if n.target_type_id == post_type.pk}
    thread_of_post = (
        dict(Post.objects.filter(pk__in=post_ids).values_list("pk", "thread_id")) if post_ids else {}
    )
    thread_ids = {n.target_id for n in notifications if n.target_type_id == thread_type.pk}
    thread_ids |= set(thread_of_post.values())
    threads = {
        t.pk: f"“{t.title}” ({t.category.name})"
        for t in Thread.objects.filter(pk__in=thread_ids).select_related("category")
    }
    where = {}
    for n in notifications:
        if n.target_type_id == post_type.pk:
            where[n.pk] = threads.get(thread_of_post.get(n.target_id), "")
        elif n.target_type_id == thread_type.pk:
            where[n.pk] = threads.get(n.target_id, "")
    return where


def moderation_link(user, notification):
    """Open the post or thread only while the author may still read it."""
    target = notification.target
    if isinstance(target, Post) and permissions.can_see_post(user, target):
        return notification.url
    if isinstance(target, Thread) and permissions.can_see_thread(user, target):
        return notification.url
    return None


def kinds():
    # Every rule here reads posts, threads and categories, whose every save
    # moves BOARD on (forum.signals): the header caches its count until then.
    common = {"visible": visible, "describe": describe, "depends": (BOARD,)}
    return [
        NotificationKind(
            key=MENTION,
            label="mentioned you",
            topic=MENTIONS,
            subject="You were mentioned in a discussion",
            **common,
        ),
        NotificationKind(
            key=REPLY,
            label="replied in a thread you watch",
            topic=REPLIES,
            subject="New reply in a thread you watch",
            **common,
        ),
        NotificationKind(
            key=NEW_THREAD,
            label="started a thread in a category you watch",
            topic=REPLIES,
            subject="New thread in a category you watch",
            **common,
        ),
        NotificationKind(key=QUOTE, label="quoted your post", **common),
        NotificationKind(key=REACTION, label="reacted to your post", **common),
        NotificationKind(key=ACCEPTED, label="accepted your answer", **common),
        NotificationKind(
            key=MODERATION,
            label="moderated your post",
            visible=visible_moderation,
            describe=describe,
            link=moderation_link,
            depends=(BOARD,),
        ),
    ]
