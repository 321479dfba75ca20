"""Side effects of writes, owed as durable tasks.

Services call these functions inside their transaction; each writes task rows
(``connect.tasks``) in that same transaction, so a rolled-back write notifies
nobody and a committed one loses nothing, even if the process dies a moment
later. Notifications go through the notifications floor, which keeps one
only for a recipient who may see it (by the kinds registered in
:mod:`forum.notification_kinds`); the search index is derived data that the
worker brings up to date, retrying while it is locked. This module never
imports the services; what both need about mentions and quotes is in
:mod:`forum.mentions`.
"""

from __future__ import annotations

import logging

from notifications.services import notify, notify_on_commit

from . import live
from . import notification_kinds as kinds
from .mentions import quoted_post_ids, safe_mentions, users_for_handles

logger = logging.getLogger(__name__)


# --- Search index ------------------------------------------------------------------


def _index_later(*instances):
    from connect.tasks import search_index_later

    for instance in instances:
        search_index_later(instance)


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
    """A post was created, approved or edited: owe its search entries and its
    notifications (``forum.tasks.post_fan_out``) in the caller's transaction."""
    from connect.tasks import enqueue

    from .tasks import post_fan_out

    _index_later(post, post.thread)
    enqueue(post_fan_out, post.pk, created, sorted(previous_mentions or ()))


def fan_out(post, *, created, previous_mentions):
    from .models import CategorySubscription, Post, ThreadSubscription

    thread = post.thread
    author_id = post.author_id
    notified = {author_id}

    def send(recipient_ids, kind):
        notify(recipient_ids=recipient_ids, kind=kind, actor_id=author_id, target=post, once=True)
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
    if is_first:
        in_category = CategorySubscription.objects.filter(category_id=thread.category_id)
        live.thread_created(thread, sorted(set(in_category.values_list("user_id", flat=True)) - {author_id}))
