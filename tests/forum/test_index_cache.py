"""The discussions index keeps its board-wide figures (threads per category,
the latest thread of each) in the cache; every write that changes them is
seen on the next page view, and nobody sees a category they may not."""

import pytest

from forum import services
from forum.models import Post

from .factories import make_category, make_post, make_thread

pytestmark = pytest.mark.django_db


def _index(client):
    response = client.get("/discussions/")
    assert response.status_code == 200
    # The page's lists are worked out only when its cached HTML is out of
    # date (connect.fragments); asked here, they are worked out now.
    return {c.slug: c for c in response.context["categories"]()}


def test_new_thread_is_counted_and_shown_as_latest_at_once(client_for, officer, category):
    client = client_for(officer)
    make_thread(author=officer, category=category, title="First")
    assert _index(client)["open-test"].thread_count == 1
    newest = make_thread(author=officer, category=category, title="Second")
    row = _index(client)["open-test"]
    assert row.thread_count == 2
    assert row.latest_thread.pk == newest.pk


def test_reply_makes_its_thread_the_latest_at_once(client_for, officer, category):
    client = client_for(officer)
    older = make_thread(author=officer, category=category, title="Older")
    make_thread(author=officer, category=category, title="Newer")
    _index(client)
    make_post(author=officer, thread=older)
    assert _index(client)["open-test"].latest_thread.pk == older.pk


def test_hidden_thread_leaves_the_count_at_once(client_for, officer, mod, category):
    client = client_for(officer)
    thread = make_thread(author=officer, category=category, title="To hide")
    assert _index(client)["open-test"].thread_count == 1
    first = Post.objects.get(pk=thread.first_post_id)
    services.post_hide(moderator=mod, post=first, reason="Off topic")
    row = _index(client)["open-test"]
    assert row.thread_count == 0
    assert row.latest_thread is None


def test_moved_thread_is_counted_in_its_new_category_at_once(client_for, officer, mod, category):
    client = client_for(officer)
    other = make_category(name="Other test category", slug="other-test")
    thread = make_thread(author=officer, category=category, title="Moving")
    before = _index(client)
    assert (before["open-test"].thread_count, before["other-test"].thread_count) == (1, 0)
    services.thread_move(moderator=mod, thread=thread, category=other)
    after = _index(client)
    assert (after["open-test"].thread_count, after["other-test"].thread_count) == (0, 1)
    assert after["other-test"].latest_thread.pk == thread.pk


def test_cached_figures_never_show_a_restricted_category(client_for, officer, advocate, le_category):
    make_thread(author=officer, category=le_category, title="Law enforcement only")
    assert "le-only-test" in _index(client_for(officer))
    # The figures are cached now; the advocate still sees no such category.
    advocate_index = _index(client_for(advocate))
    assert "le-only-test" not in advocate_index
    response = client_for(advocate).get("/discussions/")
    assert b"Law enforcement only" not in response.content
