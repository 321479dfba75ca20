"""Discussions' durable side effects (see ``connect.tasks``).

A reply owes its search entries and its notifications. Both are task rows
written in the reply's own transaction, so a process killed right after the
commit, or a search index held locked by a rebuild, delays them instead of
losing them; the worker retries with backoff.
"""

from __future__ import annotations

from django.db import transaction

from connect.tasks import retrying_task


@retrying_task(attempts=6, base_delay=10, max_delay=900)
def post_fan_out(post_id, created, previous_mentions):
    """Notify who a visible post concerns. Re-reads the post, so a post hidden
    or deleted before the worker runs notifies nobody, and notifications are
    kept only for recipients who may see them (``notifications`` asks the
    kinds registered in ``forum.notification_kinds``). Running it twice
    notifies nobody twice (``notify(once=True)``)."""
    from . import events
    from .models import Post

    post = Post.objects.select_related("thread__category", "author").filter(pk=post_id).first()
    if post is None or post.status != Post.Status.VISIBLE:
        return "nothing to send"
    # One transaction for the notifications and the email tasks they owe: a
    # worker killed midway leaves nothing half done, and the run after it
    # (the task requeued as stale) skips whoever was already notified.
    with transaction.atomic():
        events.fan_out(post, created=created, previous_mentions=set(previous_mentions or ()))
    return "sent"
