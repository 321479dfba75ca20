"""Benchmark: a reply's notification fan-out on a large board.

A reply notifies the thread's watchers, and each notification is kept only
if its recipient may read the post (``notifications.permissions``). This
measures, on the board of ``bench/forum_thread_page.py`` (scale 1: 200,000
posts, 500 members):

1. the one-notification check, ``can_see_notification``, per recipient, and
   in the same run the same check written as it was before (the member's
   whole visible-posts set as a subquery), the baseline;
2. the whole fan-out of one reply (the body of ``forum.tasks.post_fan_out``) to a
   thread watched by ``--watchers`` members: seconds and queries.

    .venv/bin/python bench/notification_fanout.py --scale 1 \\
        --database-url postgres://postgres@127.0.0.1:5432/connect_bench_fanout
    .venv/bin/python bench/notification_fanout.py --scale 0.05     # SQLite, quick

Figures are in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--scale", type=float, default=0.05)
    parser.add_argument("--watchers", type=int, default=40)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", ""))
    args, _unknown = parser.parse_known_args(argv)
    return args


def _old_visible(user, qs):
    """The check before it was narrowed to the notification's own target."""
    from forum import permissions
    from forum.notification_kinds import _about

    return qs.filter(
        _about(
            permissions.visible_posts(user).values("pk"),
            permissions.visible_threads(user).values("pk"),
        )
    )


def _timed(fn, repeat):
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main(argv=None):
    args = parse_args(argv)
    if args.database_url:
        os.environ["DATABASE_URL"] = args.database_url
    from bench.forum_thread_page import existing, fill, setup_django

    setup_django()
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from connect.models import User
    from forum import events, services
    from forum.models import Post, Thread, ThreadSubscription
    from notifications.models import Notification
    from notifications.permissions import can_see_notification

    # A filled bench database (this benchmark's or forum_thread_page's) is reused.
    thread_id, _viewer_id = existing() or fill(args.scale)
    thread = Thread.objects.select_related("category").get(pk=thread_id)
    members = list(User.objects.filter(email__endswith="@bench.example").order_by("pk")[: args.watchers + 1])
    author, watchers = members[0], members[1:]
    for member in watchers:
        ThreadSubscription.objects.get_or_create(user=member, thread=thread, defaults={"level": "watching"})

    post = services.post_create(author=author, thread=thread, body="Fan-out benchmark reply about intake.")
    Notification.objects.filter(target_id=post.pk).delete()
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        with transaction.atomic():  # as forum.tasks.post_fan_out runs it
            events.fan_out(post, created=True, previous_mentions=set())
        fan_out_s = time.perf_counter() - started
    notes = list(Notification.objects.filter(target_id=post.pk).select_related("recipient"))

    def check_new():
        for note in notes:
            assert can_see_notification(note.recipient, note)

    def check_old():
        for note in notes:
            one = Notification.objects.filter(pk=note.pk, recipient_id=note.recipient_id, kind=note.kind)
            assert _old_visible(note.recipient, one).exists()

    repeat = 3
    new_s = _timed(check_new, repeat) / max(1, len(notes))
    old_s = _timed(check_old, repeat) / max(1, len(notes))
    posts = Post.objects.count()
    print(f"{connection.vendor}, {posts:,} posts, {len(notes)} notifications of one reply")
    print(f"one-notification check, before (whole visible set): {old_s * 1000:8.2f} ms a recipient")
    print(f"one-notification check, now (its own target):       {new_s * 1000:8.2f} ms a recipient")
    print(f"ratio before / now: {old_s / new_s:.1f}x")
    print(f"whole fan-out of the reply: {fan_out_s:.2f} s, {len(queries.captured_queries)} queries")


if __name__ == "__main__":
    main()
