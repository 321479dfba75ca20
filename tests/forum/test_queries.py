"""The thread and category pages cost a fixed number of queries whatever is on them."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from connect import fragments
from forum.models import Flag, Post, Reaction, Thread
from forum.rendering import render_markdown
from forum.signals import BOARD
from tests.factories import make_member

from .factories import make_thread

pytestmark = pytest.mark.django_db


def _fill(thread, n_posts, authors):
    posts = Post.objects.bulk_create(
        Post(
            thread=thread,
            author=authors[i % len(authors)],
            body=f"Reply {i}",
            body_html=render_markdown(f"Reply {i}"),
        )
        for i in range(n_posts)
    )
    Reaction.objects.bulk_create(
        Reaction(post=post, user=authors[(i + 1) % len(authors)], kind="helpful")
        for i, post in enumerate(posts)
    )


def _count(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx)


@pytest.fixture
def board(category, settings):
    settings.FORUM_POSTS_PER_PAGE = 200
    settings.FORUM_THREADS_PER_PAGE = 200
    authors = [make_member() for _ in range(6)]
    small = make_thread(author=authors[0], category=category, title="Small")
    big = make_thread(author=authors[0], category=category, title="Big")
    _fill(small, 10, authors[:2])
    _fill(big, 100, authors)
    return small, big, authors


def test_thread_page_query_count_does_not_grow_with_posts(client_for, board):
    small, big, authors = board
    viewer = authors[1]
    client = client_for(viewer)
    # Warm up: the first visit creates the read marker.
    client.get(small.get_absolute_url())
    client.get(big.get_absolute_url())
    assert _count(client, small.get_absolute_url()) == _count(client, big.get_absolute_url())


def test_thread_page_query_count_for_moderators_does_not_grow(client_for, board, mod):
    """Moderators also get flags, held and hidden posts and "edited" marks."""
    small, big, authors = board
    for thread in (small, big):
        posts = list(Post.objects.filter(thread=thread).order_by("id")[1:4])
        Post.objects.filter(pk=posts[0].pk).update(status=Post.Status.HELD)
        Post.objects.filter(pk=posts[1].pk).update(status=Post.Status.HIDDEN)
        Post.objects.filter(pk=posts[2].pk).update(edited_at=posts[2].created_at)
        Flag.objects.create(post=posts[2], reporter=authors[3], reason="spam")
    client = client_for(mod)
    client.get(small.get_absolute_url())
    client.get(big.get_absolute_url())
    assert _count(client, small.get_absolute_url()) == _count(client, big.get_absolute_url())


def test_thread_page_query_count_is_pinned(client_for, board, django_assert_max_num_queries):
    _, big, authors = board
    client = client_for(authors[1])
    client.get(big.get_absolute_url())
    with django_assert_max_num_queries(25):
        client.get(big.get_absolute_url())


def test_category_page_query_count_does_not_grow_with_threads(client_for, category, board):
    _, _, authors = board
    client = client_for(authors[2])
    url = category.get_absolute_url()
    client.get(url)  # The first request of a session writes the session.
    fragments.bump(BOARD)  # the list is built again, not served from the cache
    few = _count(client, url)
    for i in range(30):
        make_thread(author=authors[i % len(authors)], category=category, title=f"More {i}")
    assert Thread.objects.filter(category=category).count() == 32
    assert _count(client, url) == few
    # Served from the member's cached list: the threads, their read marks,
    # the member's votes and the pagination's count are not asked again.
    assert _count(client, url) == few - 5


# The thread page's exact cost. post_actions is worked out in Python from what the
# page already loaded: a change that adds a query here has to say why. The
# session is the only query of the members-only stack (the member's access
# state comes from connect.access), the bell none after the member's first
# page, and the header's unread private messages none either (both are
# cached per member until what they count changes: connect.fragments).
THREAD_PAGE_QUERIES = {"member": 7, "moderator": 8}


@pytest.mark.parametrize("viewer", ["member", "moderator"])
def test_thread_page_query_count_is_exact(client_for, board, mod, viewer, django_assert_num_queries):
    _, big, authors = board
    client = client_for(authors[1] if viewer == "member" else mod)
    client.get(big.get_absolute_url())
    with django_assert_num_queries(THREAD_PAGE_QUERIES[viewer]):
        client.get(big.get_absolute_url())
