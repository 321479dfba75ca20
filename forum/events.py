"""Side effects of writes, run after the transaction commits.

Services call these functions inside their transaction; the work itself is
deferred with ``transaction.on_commit`` so a rolled-back write notifies
nobody. Notifications are only ever created for members who may see the post
(checked here with the same permission functions the views use), and the
search index is derived data: a failure to update it is logged, never raised.
"""

from __future__ import annotations

import logging

from django.contrib.auth import get_user_model
from django.db import transaction

from connect import permissions as connect_permissions

logger = logging.getLogger(__name__)


# --- Search index ------------------------------------------------------------------


def _index(instance):
    from wagtail.search import index

    try:
        index.insert_or_update_object(instance)
    except Exception:  # noqa: BLE001 - the index is derived; the write already succeeded
        logger.exception("Could not update the search index for %r", instance)


def _index_later(*instances):
    def run():
        for instance in instances:
            _index(instance)

    transaction.on_commit(run)


def thread_changed(thread):
    _index_later(thread)


def post_changed(post):
    _index_later(post, post.thread)


# --- Notifications ------------------------------------------------------------------


def notify_later(*, recipient_id, kind, actor_id=None, post=None, thread=None, message=""):
    """Create one notification after commit, if the recipient may see what it is about."""
    post_id = post.pk if post is not None else None
    thread_id = thread.pk if thread is not None else (post.thread_id if post is not None else None)

    def run():
        _notify_ids(
            [recipient_id],
            kind=kind,
            actor_id=actor_id,
            post_id=post_id,
            thread_id=thread_id,
            message=message,
        )

    transaction.on_commit(run)


def post_saved(post, *, created, previous_mentions=None):
    """A post was created, approved or edited: notify and re-index after commit."""
    post_id = post.pk
    previous = set(previous_mentions or ())

    def run():
        from .models import Post

        fresh = Post.objects.select_related("thread__category", "author").filter(pk=post_id).first()
        if fresh is None:
            return
        _index(fresh)
        _index(fresh.thread)
        if fresh.status != Post.Status.VISIBLE:
            return
        try:
            _fan_out(fresh, created=created, previous_mentions=previous)
        except Exception:  # noqa: BLE001 - the post is saved; a notification failure must not lose it
            logger.exception("Could not send notifications for post %s", post_id)

    transaction.on_commit(run)


def _fan_out(post, *, created, previous_mentions):
    from . import services
    from .models import CategorySubscription, Notification, Post, ThreadSubscription

    thread = post.thread
    author_id = post.author_id
    notified = {author_id}

    handles = [h for h in services._safe_mentions(post.body) if h.lower() not in previous_mentions]
    mentioned = [u.pk for u in services.users_for_handles(handles) if u.pk not in notified]
    _notify_ids(
        mentioned, kind=Notification.Kind.MENTION, actor_id=author_id, post_id=post.pk, thread_id=thread.pk
    )
    notified.update(mentioned)
    if not created:
        return

    quoted_ids = services.quoted_post_ids(post.body)
    quoted_authors = list(
        Post.objects.filter(pk__in=quoted_ids, thread__category_id=thread.category_id)
        .exclude(author_id__in=notified)
        .values_list("author_id", flat=True)
        .distinct()
    )
    _notify_ids(
        quoted_authors, kind=Notification.Kind.QUOTE, actor_id=author_id, post_id=post.pk, thread_id=thread.pk
    )
    notified.update(quoted_authors)

    muted = set(
        ThreadSubscription.objects.filter(thread=thread, level=ThreadSubscription.Level.MUTED).values_list(
            "user_id", flat=True
        )
    )
    is_first = thread.first_post_id == post.pk
    watchers = set()
    if not is_first:
        watchers.update(
            ThreadSubscription.objects.filter(
                thread=thread, level=ThreadSubscription.Level.WATCHING
            ).values_list("user_id", flat=True)
        )
    watchers.update(
        CategorySubscription.objects.filter(category_id=thread.category_id).values_list("user_id", flat=True)
    )
    recipients = sorted(watchers - muted - notified)
    kind = Notification.Kind.NEW_THREAD if is_first else Notification.Kind.REPLY
    _notify_ids(recipients, kind=kind, actor_id=author_id, post_id=post.pk, thread_id=thread.pk)


def _notify_ids(recipient_ids, *, kind, actor_id=None, post_id=None, thread_id=None, message=""):
    """Create notifications for those recipients who may see the post or thread, then email."""
    from . import emails, permissions
    from .models import Notification, Post, Thread

    if not recipient_ids:
        return []
    post = Post.objects.select_related("thread__category").filter(pk=post_id).first() if post_id else None
    thread = (
        post.thread
        if post is not None
        else (Thread.objects.select_related("category").filter(pk=thread_id).first() if thread_id else None)
    )
    users = (
        get_user_model().objects.filter(pk__in=set(recipient_ids), is_active=True).select_related("profile")
    )
    created = []
    for user in users:
        if not connect_permissions.is_active_member(user):
            continue
        if kind == Notification.Kind.MODERATION:
            # Authors are told about a hidden post or thread too, as long as
            # they may still see its category.
            if thread is not None and not permissions.can_see_category(user, thread.category):
                continue
        elif post is not None and not permissions.can_see_post(user, post):
            continue
        elif post is None and thread is not None and not permissions.can_see_thread(user, thread):
            continue
        state = emails.initial_email_state(user, kind)
        notification = Notification.objects.create(
            recipient=user,
            kind=kind,
            actor_id=actor_id,
            post=post,
            thread=thread,
            message=message,
            email_state="" if state == emails.SEND_NOW else state,
        )
        created.append(notification)
        if state == emails.SEND_NOW:
            emails.send_immediately(notification)
    return created
