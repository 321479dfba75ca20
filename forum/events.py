"""Side effects of writes, run after the transaction commits.

Services call these functions inside their transaction; the work itself is
deferred with ``transaction.on_commit`` so a rolled-back write notifies
nobody. Notifications go through the notifications floor, which keeps one
only for a recipient who may see it (by the kinds registered in
:mod:`forum.notification_kinds`), and the search index is derived data: a
failure to update it is logged, never raised. This module never imports the
services; what both need about mentions and quotes is in :mod:`forum.mentions`.
"""

from __future__ import annotations

import logging

from django.db import transaction

from notifications.services import notify, notify_on_commit

from . import notification_kinds as kinds
from .mentions import quoted_post_ids, safe_mentions, users_for_handles

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
    """Notify one member after commit about ``post`` (or ``thread``, or nothing)."""
    notify_on_commit(
        recipient_ids=[recipient_id],
        kind=kind,
        actor_id=actor_id,
        target=post if post is not None else thread,
        message=message,
    )


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
    from .models import CategorySubscription, Post, ThreadSubscription

    thread = post.thread
    author_id = post.author_id
    notified = {author_id}

    def send(recipient_ids, kind):
        notify(recipient_ids=recipient_ids, kind=kind, actor_id=author_id, target=post)
        notified.update(recipient_ids)

    handles = [h for h in safe_mentions(post.body) if h.lower() not in previous_mentions]
    send([u.pk for u in users_for_handles(handles) if u.pk not in notified], kinds.MENTION)
    if not created:
        return

    quoted_authors = list(
        Post.objects.filter(pk__in=quoted_post_ids(post.body), thread__category_id=thread.category_id)
        .exclude(author_id__in=notified)
        .values_list("author_id", flat=True)
        .distinct()
    )
    send(quoted_authors, kinds.QUOTE)

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
    send(sorted(watchers - muted - notified), kinds.NEW_THREAD if is_first else kinds.REPLY)
