"""Live discussions: every change to a thread becomes a numbered event.

Services call :func:`record` inside their transaction. It takes the thread's
next sequence under a row lock, stores a :class:`~forum.models.ThreadEvent`
(ids only) in the same transaction, and broadcasts it to the thread's group
after commit. The database is the source of truth: a broadcast that fails
(the channel layer is down or slow) is logged and dropped, and pages that
missed it catch up from the stored rows when they reconnect.

What a member receives is rendered for that member by :func:`render_posts`,
with the thread page's own permission functions, selectors and post tag, so a
post a member may not see never reaches them, not even as a fragment.
"""

from __future__ import annotations

import asyncio
import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import transaction
from django.urls import reverse

from connect.live import ACCESS_CHANGED, member_send

from .models import Reaction, Thread, ThreadEvent

logger = logging.getLogger(__name__)

Kind = ThreadEvent.Kind

# Kinds whose post the member receives rendered (or a removal when they may not see it).
POST_KINDS = frozenset(
    {
        Kind.POST_CREATED,
        Kind.POST_EDITED,
        Kind.POST_HIDDEN,
        Kind.POST_RESTORED,
        Kind.POST_DELETED,
        Kind.POST_REACTIONS,
        Kind.THREAD_ANSWER,
    }
)

_THREAD_FLAGS = {
    ("is_locked", True): Kind.THREAD_LOCKED,
    ("is_locked", False): Kind.THREAD_UNLOCKED,
    ("is_pinned", True): Kind.THREAD_PINNED,
    ("is_pinned", False): Kind.THREAD_UNPINNED,
}


def thread_kind(field, value):
    """The event kind for a moderator setting ``field`` of a thread to ``value``."""
    return _THREAD_FLAGS.get((field, bool(value)), Kind.THREAD_STATUS)


def broadcast_timeout():
    return getattr(settings, "FORUM_LIVE_BROADCAST_TIMEOUT", 1.0)


def record(thread, kind, *, post_id=None):
    """Number and store one change to ``thread``; broadcast it after commit.

    Must run inside the service's ``transaction.atomic``: the sequence is taken
    with ``select_for_update`` on the thread row, so concurrent writes to one
    thread are serialised and numbered without gaps."""
    seq = (
        Thread.objects.select_for_update(no_key=True)
        .filter(pk=thread.pk)
        .values_list("event_seq", flat=True)
        .get()
        + 1
    )
    Thread.objects.filter(pk=thread.pk).update(event_seq=seq)
    thread.event_seq = seq
    event = ThreadEvent.objects.create(thread_id=thread.pk, sequence=seq, kind=kind, post_id=post_id)
    transaction.on_commit(lambda: broadcast(event))
    return event


def group_name(thread_id):
    return Thread(pk=thread_id).group_name


def event_message(event):
    return {
        "type": "thread.event",
        "sequence": event.sequence,
        "kind": event.kind,
        "post_id": event.post_id,
    }


def broadcast(event):
    """Send ``event`` to the thread's group; never raises (the write already succeeded)."""
    layer = get_channel_layer()
    if layer is None:
        return

    async def send():
        await asyncio.wait_for(
            layer.group_send(group_name(event.thread_id), event_message(event)), broadcast_timeout()
        )

    try:
        async_to_sync(send)()
    except Exception:  # noqa: BLE001 - derived data: clients catch up from ThreadEvent rows
        logger.warning(
            "Could not broadcast event %s of thread %s", event.sequence, event.thread_id, exc_info=True
        )


def post_context(user, thread):
    """What the post tag reads from the thread page's context, for ``user``.

    The CSRF token is left empty: the page's script copies its own into
    fragments it inserts, and forms without it are refused as on any page."""
    from . import permissions

    is_moderator = permissions.is_moderator(user)
    return {
        "is_moderator": is_moderator,
        "post_base": reverse("forum:post", kwargs={"pk": 0})[:-2],
        "reply_url": reverse("forum:reply", kwargs={"pk": thread.pk}),
        "queue_url": reverse("forum_admin:queue") if is_moderator else "",
        "reaction_kinds": Reaction.Kind.choices,
        "csrf_token": "",
    }


def render_posts(user, thread, post_ids):
    """``{post_id: html}`` for the posts among ``post_ids`` that ``user`` may see,
    rendered as on the thread page; posts they may not see are simply absent."""
    from . import permissions, selectors
    from .templatetags.forum_tags import forum_post

    posts = selectors.thread_posts(user=user, thread=thread, post_ids=post_ids)
    context = post_context(user, thread)
    out = {}
    for post in posts:
        post.actions = permissions.post_actions(user, post, thread=thread)
        out[post.pk] = str(forum_post(context, post))
    return out


def thread_state(thread):
    """The thread-wide facts a live page shows next to its posts."""
    return {
        "is_locked": thread.is_locked,
        "is_pinned": thread.is_pinned,
        "reply_count": thread.reply_count,
        "vote_count": thread.vote_count,
        "suggestion_status": thread.suggestion_status,
        "accepted_answer_id": thread.accepted_answer_id,
    }


def category_group_name(category_id):
    """The group every thread socket of a category joins: a change of the
    category's audience is announced there."""
    return f"forum.category.{int(category_id)}"


def category_access_changed(category_id):
    """After commit, make every socket open on a thread of ``category_id`` check
    its member's access again (the category's audience changed)."""

    def send():
        layer = get_channel_layer()
        if layer is None:
            return

        async def go():
            await asyncio.wait_for(
                layer.group_send(category_group_name(category_id), {"type": ACCESS_CHANGED}),
                broadcast_timeout(),
            )

        try:
            async_to_sync(go)()
        except Exception:  # noqa: BLE001 - the 30 s re-check still closes them
            logger.warning("Could not announce the new audience of category %s", category_id, exc_info=True)

    transaction.on_commit(send)


def thread_created(thread, watcher_ids):
    """After commit, tell members watching the thread's category (``/ws/me/``);
    each one's socket asks ``can_see_thread`` before it sends anything."""
    member_send(watcher_ids, {"type": "thread.created", "thread_id": thread.pk})


def keep_days():
    return getattr(settings, "FORUM_LIVE_EVENT_KEEP_DAYS", 30)


def thread_events_prune(*, days=None, batch=5000):
    """Delete ``ThreadEvent`` rows older than ``days`` (``FORUM_LIVE_EVENT_KEEP_DAYS``,
    30); returns how many. Run by the worker's hourly housekeeping and by
    ``manage.py prune_thread_events``.

    Only pages left open longer than that need the pruned events, and they are
    told to reload: the consumer sees the gap (sequences have no holes) and
    never replays a partial history. Threads keep their ``event_seq``, so
    numbering goes on where it was. Deleted in batches so a large backlog
    never holds a long lock on the table."""
    from datetime import timedelta

    from django.utils import timezone

    days = keep_days() if days is None else days
    cutoff = timezone.now() - timedelta(days=max(0, days))
    total = 0
    while True:
        ids = list(ThreadEvent.objects.filter(created_at__lt=cutoff).values_list("pk", flat=True)[:batch])
        if not ids:
            return total
        with transaction.atomic():
            total += ThreadEvent.objects.filter(pk__in=ids).delete()[0]


def on_housekeeping(sender, **kwargs):
    """Hourly (``connect.tasks.housekeeping``): drop events past their keep time."""
    pruned = thread_events_prune()
    if pruned:
        logger.info("Pruned %s thread event(s)", pruned)
