"""A hidden post keeps its place: readers see a placeholder, its author sees it
marked, moderators see it with the reason; search never shows its words."""

import pytest
from django.urls import reverse

from forum import permissions, services
from forum.models import Post

from .factories import make_post

pytestmark = pytest.mark.django_db

HIDDEN_TEXT = "The address of the safe house is on Elm Street."


@pytest.fixture
def hidden(advocate, mod, thread, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        make_post(author=advocate, thread=thread, body="Before the hidden one.")
        post = make_post(author=advocate, thread=thread, body=HIDDEN_TEXT)
        make_post(author=mod, thread=thread, body="After the hidden one.")
        services.post_hide(moderator=mod, post=post, reason="Names a location")
    return Post.objects.get(pk=post.pk)


def _page(client, thread):
    response = client.get(reverse("forum:thread", args=[thread.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_thread_page_shows_readers_a_placeholder_in_the_hidden_posts_place(
    client_for, officer, thread, hidden
):
    html = _page(client_for(officer), thread)
    assert HIDDEN_TEXT not in html and "Names a location" not in html
    assert f'id="post-{hidden.pk}"' in html
    placeholder = html.index("A post was removed by a moderator")
    assert html.index("Before the hidden one.") < placeholder < html.index("After the hidden one.")


def test_thread_page_shows_the_author_their_hidden_post_marked(client_for, advocate, thread, hidden):
    html = _page(client_for(advocate), thread)
    assert HIDDEN_TEXT in html
    assert "Hidden by a moderator — only you can see this." in html
    assert "A post was removed by a moderator" not in html


def test_thread_page_shows_moderators_the_hidden_post_with_its_reason(client_for, mod, thread, hidden):
    html = _page(client_for(mod), thread)
    assert HIDDEN_TEXT in html and "Hidden: Names a location" in html
    assert "A post was removed by a moderator" not in html


def test_placeholder_offers_readers_no_action_and_the_author_only_reading(officer, advocate, thread, hidden):
    assert permissions.shows_removed_placeholder(officer, hidden)
    assert permissions.post_actions(officer, hidden) == permissions.NOTHING
    assert not permissions.shows_removed_placeholder(advocate, hidden)
    actions = permissions.post_actions(advocate, hidden)
    assert not (actions.edit or actions.delete or actions.quote or actions.react or actions.flag)


def test_hidden_post_is_not_searchable_even_for_its_author(officer, advocate, thread, hidden):
    for user in (officer, advocate):
        assert not Post.searchable_for(user).filter(pk=hidden.pk).exists()


def test_a_hidden_post_keeps_the_page_numbers_of_the_posts_after_it(officer, mod, thread, hidden, settings):
    from forum import selectors

    later = Post.objects.filter(thread=thread).order_by("-id").first()
    assert selectors.post_page_number(user=officer, post=later) == selectors.post_page_number(
        user=mod, post=later
    )
