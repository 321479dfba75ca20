"""Two requests at the same instant: replies to one thread, a double-clicked
toggle. Only PostgreSQL runs writers side by side (SQLite serialises whole
transactions), so these run in the PostgreSQL pass of `.ci/run`."""

import threading

import pytest
from django.db import connection, connections

from forum import services
from forum.models import Bookmark, Post, Reaction, Thread, Vote
from tests.factories import make_member
from tests.forum.factories import make_category, make_thread

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs concurrent writers (PostgreSQL)"),
]

ROUNDS = 5


def _at_once(*calls):
    """Run the calls in threads released together; return their exceptions."""
    barrier = threading.Barrier(len(calls), timeout=30)
    errors = []

    def run(call):
        try:
            barrier.wait()
            call()
        except Exception as exc:  # noqa: BLE001 - collected for the assertion
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)
    return errors


def test_post_create_two_replies_at_once_keep_reply_count_and_last_post():
    category = make_category(name="Race category", slug="race")
    first, second = make_member(), make_member()
    thread = make_thread(author=first, category=category)
    for round_number in range(ROUNDS):
        errors = _at_once(
            lambda n=round_number: services.post_create(
                author=first, thread=thread, body=f"First reply {n}."
            ),
            lambda n=round_number: services.post_create(
                author=second, thread=thread, body=f"Second reply {n}."
            ),
        )
        assert errors == []
        fresh = Thread.objects.get(pk=thread.pk)
        replies = Post.objects.filter(thread=thread).count() - 1
        assert fresh.reply_count == replies == 2 * (round_number + 1)
        assert fresh.last_post_id == Post.objects.filter(thread=thread).latest("id").pk


def test_toggles_double_clicked_answer_without_error():
    category = make_category(name="Toggle category", slug="toggle", suggestions=True)
    member = make_member()
    thread = make_thread(author=make_member(), category=category)
    post = thread.first_post
    for _ in range(ROUNDS):
        errors = _at_once(
            lambda: services.reaction_toggle(user=member, post=post, kind=Reaction.Kind.HELPFUL),
            lambda: services.reaction_toggle(user=member, post=post, kind=Reaction.Kind.HELPFUL),
            lambda: services.bookmark_toggle(user=member, thread=thread),
            lambda: services.bookmark_toggle(user=member, thread=thread),
            lambda: services.vote_toggle(user=member, thread=thread),
            lambda: services.vote_toggle(user=member, thread=thread),
        )
        assert errors == []
        # Two toggles of each: back where it started, counters matching rows.
        assert not Reaction.objects.filter(post=post, user=member).exists()
        assert Post.objects.get(pk=post.pk).helpful_count == 0
        assert not Bookmark.objects.filter(user=member, thread=thread).exists()
        assert not Vote.objects.filter(user=member, thread=thread).exists()
        assert Thread.objects.get(pk=thread.pk).vote_count == 0
