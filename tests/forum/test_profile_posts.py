"""A member's profile lists their recent posts, but only those the viewer may read."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from forum import services

from .factories import make_post, make_thread

pytestmark = pytest.mark.django_db


def profile_url(user):
    return user.profile.get_absolute_url()


def test_profile_lists_recent_posts_in_open_categories(client_for, officer, advocate, category):
    thread = make_thread(author=officer, category=category, title="Labor screening tools")
    make_post(author=officer, thread=thread, body="A follow-up on the screening tool.")

    html = client_for(advocate).get(profile_url(officer)).content.decode()

    assert "Recent posts in discussions" in html
    assert "Started “Labor screening tools”" in html
    assert "Replied in “Labor screening tools”" in html


def test_profile_hides_posts_in_categories_the_viewer_cannot_see(client_for, officer, advocate, le_category):
    make_thread(author=officer, category=le_category, title="Undercover operation plan")

    as_advocate = client_for(advocate).get(profile_url(officer)).content.decode()
    as_officer = client_for(officer).get(profile_url(officer)).content.decode()

    assert "Undercover operation plan" not in as_advocate
    assert "No posts you can see yet." in as_advocate
    assert "Undercover operation plan" in as_officer


def test_profile_never_lists_hidden_posts_even_to_moderators(client_for, officer, mod, category):
    thread = make_thread(author=officer, category=category, title="Open thread")
    reply = make_post(author=officer, thread=thread, body="A reply a moderator hides.")
    services.post_hide(moderator=mod, post=reply, reason="Off topic")

    html = client_for(mod).get(profile_url(officer)).content.decode()

    assert "Started “Open thread”" in html
    assert "Replied in" not in html


def test_profile_query_count_does_not_grow_with_posts(client_for, officer, advocate, category):
    client = client_for(advocate)
    thread = make_thread(author=officer, category=category, title="Counting")
    client.get(profile_url(officer))

    with CaptureQueriesContext(connection) as few:
        client.get(profile_url(officer))
    for n in range(12):
        make_post(author=officer, thread=thread, body=f"Reply number {n} about counting.")
    with CaptureQueriesContext(connection) as many:
        client.get(profile_url(officer))

    assert len(many) == len(few)
