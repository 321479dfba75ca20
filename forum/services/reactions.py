"""What members do to posts and threads besides writing: reactions, bookmarks, watching,
reading, votes and accepted answers."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from connect import fragments

from .. import events, live, permissions
from .. import notification_kinds as kinds
from ..models import (
    Bookmark,
    CategorySubscription,
    Post,
    Reaction,
    Thread,
    ThreadRead,
    ThreadSubscription,
    Vote,
)
from ..signals import board_changed, marks_scope
from ._validation import _lock_member
from .errors import ForumError, NotAllowed


def reaction_toggle(*, user, post, kind):
    """Add the reaction, or take it back if it is already there. Returns True when added."""
    if kind not in Reaction.Kind.values:
        raise ForumError("Unknown reaction.")
    post = Post.objects.select_related("thread__category").get(pk=post.pk)
    if not permissions.can_see_post(user, post):
        raise NotAllowed
    if not permissions.can_react(user, post):
        raise ForumError("You can't react to this post.")
    counter = f"{kind}_count"
    with transaction.atomic():
        _lock_member(user)
        live.record(post.thread, live.Kind.POST_REACTIONS, post_id=post.pk)
        deleted, _ = Reaction.objects.filter(post=post, user=user, kind=kind).delete()
        if deleted:
            Post.objects.filter(pk=post.pk).update(**{counter: F(counter) - 1})
            return False
        Reaction.objects.create(post=post, user=user, kind=kind)
        Post.objects.filter(pk=post.pk).update(**{counter: F(counter) + 1})
        events.notify_later(
            recipient_id=post.author_id,
            kind=kinds.REACTION,
            actor_id=user.pk,
            post=post,
            message=Reaction.Kind(kind).label,
        )
    return True


def bookmark_toggle(*, user, thread):
    if not permissions.can_see_thread(user, thread):
        raise NotAllowed
    with transaction.atomic():
        _lock_member(user)
        deleted, _ = Bookmark.objects.filter(user=user, thread=thread).delete()
        if deleted:
            return False
        Bookmark.objects.get_or_create(user=user, thread=thread)
    return True


def thread_subscription_set(*, user, thread, level):
    """Watch or mute a thread; ``level`` None goes back to normal."""
    if not permissions.can_see_thread(user, thread):
        raise NotAllowed
    if level is not None and level not in ThreadSubscription.Level.values:
        raise ForumError("Unknown choice.")
    with transaction.atomic():
        _lock_member(user)
        if level is None:
            ThreadSubscription.objects.filter(user=user, thread=thread).delete()
            return None
        ThreadSubscription.objects.update_or_create(user=user, thread=thread, defaults={"level": level})
    return level


def category_watch_toggle(*, user, category):
    if not permissions.can_see_category(user, category):
        raise NotAllowed
    with transaction.atomic():
        _lock_member(user)
        deleted, _ = CategorySubscription.objects.filter(user=user, category=category).delete()
        if deleted:
            return False
        CategorySubscription.objects.get_or_create(user=user, category=category)
    return True


def thread_mark_read(*, user, thread, post_id):
    """Remember that ``user`` has seen ``thread`` up to ``post_id``; never moves backwards."""
    if not post_id:
        return
    updated = ThreadRead.objects.filter(user=user, thread=thread, last_read_post_id__lt=post_id).update(
        last_read_post_id=post_id, read_at=timezone.now()
    )
    if updated:
        # A bulk update sends no signal: the member's cached "New" tags go here.
        fragments.bump(marks_scope(user.pk))
    else:
        try:
            with transaction.atomic():
                ThreadRead.objects.get_or_create(
                    user=user, thread=thread, defaults={"last_read_post_id": post_id}
                )
        except IntegrityError:
            pass


def vote_toggle(*, user, thread):
    thread = Thread.objects.select_related("category").get(pk=thread.pk)
    if not permissions.can_see_thread(user, thread):
        raise NotAllowed
    if not permissions.can_vote(user, thread):
        raise ForumError("You can't vote for this suggestion.")
    with transaction.atomic():
        _lock_member(user)
        live.record(thread, live.Kind.THREAD_VOTES)
        deleted, _ = Vote.objects.filter(user=user, thread=thread).delete()
        if deleted:
            Thread.objects.filter(pk=thread.pk).update(vote_count=F("vote_count") - 1)
            board_changed()  # the vote count, in a bulk update that sends no signal
            return False
        Vote.objects.create(user=user, thread=thread)
        Thread.objects.filter(pk=thread.pk).update(vote_count=F("vote_count") + 1)
        board_changed()
    return True


def answer_accept(*, user, thread, post):
    """Mark ``post`` as the answer to a question (``post`` None clears it)."""
    thread = Thread.objects.select_related("category").get(pk=thread.pk)
    if not permissions.can_see_thread(user, thread):
        raise NotAllowed
    if not permissions.can_accept_answer(user, thread):
        raise ForumError("Only the person who asked can accept an answer.")
    if post is not None:
        post = Post.objects.filter(pk=post.pk).first()
        if post is None or not permissions.can_accept_answer(user, thread, post):
            raise ForumError("That reply can't be the accepted answer.")
    with transaction.atomic():
        live.record(thread, live.Kind.THREAD_ANSWER, post_id=post.pk if post else thread.accepted_answer_id)
        thread.accepted_answer = post
        thread.save(update_fields=["accepted_answer"])
        if post is not None and post.author_id != user.pk:
            events.notify_later(recipient_id=post.author_id, kind=kinds.ACCEPTED, actor_id=user.pk, post=post)
    return thread
