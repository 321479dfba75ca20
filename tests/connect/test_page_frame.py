"""The page frame (header and footer) is cached once per header signature and
follows every change of what it shows: both copies of the unread counts (the
phone bar and the menu), the moderators' link, the menus' current section,
and each request's own CSRF token in the sign-out form."""

import re

import pytest
from django.test import Client
from django.test.signals import template_rendered

from connect.actors import Actor
from connect.models import Role
from connect.services import member_set_role
from conversations import services as conversations
from forum.models import Category
from notifications.services import notification_mark_read
from tests.factories import make_member

from ..forum.factories import make_category, make_post, make_thread

pytestmark = pytest.mark.django_db


@pytest.fixture
def reader(task_force):
    return make_member(task_force=task_force, first_name="Rita", last_name="Reader")


@pytest.fixture
def reader_client(reader):
    client = Client()
    client.force_login(reader)
    return client


@pytest.fixture
def watched(reader, commit):
    """A thread the reader started (and so watches)."""
    category = make_category(name="Protocols", slug="protocols")
    return commit(make_thread, author=reader, category=category, title="Screening questions")


def counts(html, name):
    """The count each copy of the header's ``name`` link shows (0 for none)."""
    links = re.findall(rf'<a [^>]*data-header-count="{name}"[^>]*>(.*?)</a>', html, re.S)
    found = []
    for inner in links:
        tag = re.search(r'<span class="usa-tag">(\d+)</span>', inner)
        found.append(int(tag.group(1)) if tag else 0)
    return found


def page(client, path="/discussions/"):
    response = client.get(path)
    assert response.status_code == 200
    return response.content.decode()


def test_page_frame_is_rendered_once_per_signature(reader, task_force):
    """A second member with the same header signature is served the first one's copy."""
    rendered = []

    def record(sender, template, **kwargs):
        rendered.append(template.name)

    first, second = Client(), Client()
    first.force_login(reader)
    second.force_login(make_member(task_force=task_force))
    page(first)
    template_rendered.connect(record)
    try:
        html = page(second)
    finally:
        template_rendered.disconnect(record)
    assert "includes/header.html" not in rendered and "includes/footer.html" not in rendered
    assert "Sign out" in html and "Community guidelines" in html
    assert counts(html, "notifications") == [0, 0]


def test_page_frame_a_new_notification_moves_both_counts(reader, reader_client, watched, commit):
    assert counts(page(reader_client), "notifications") == [0, 0]
    commit(make_post, author=make_member(), thread=watched)
    html = page(reader_client)
    assert counts(html, "notifications") == [1, 1]
    assert 'aria-label="Notifications 1 unread"' in html
    commit(make_post, author=make_member(), thread=watched)
    assert counts(page(reader_client), "notifications") == [2, 2]


def test_page_frame_reading_notifications_drops_both_counts(reader, reader_client, watched, commit):
    commit(make_post, author=make_member(), thread=watched)
    assert counts(page(reader_client), "notifications") == [1, 1]
    notification_mark_read(user=reader)
    html = page(reader_client)
    assert counts(html, "notifications") == [0, 0]
    assert 'aria-label="Notifications, none unread"' in html


def test_page_frame_a_new_message_moves_both_counts(reader, reader_client, task_force, commit):
    sender = make_member(task_force=task_force)
    assert counts(page(reader_client), "messages") == [0, 0]
    conversation = commit(
        conversations.conversation_start,
        actor=Actor(user=sender, ip_address="192.0.2.10", user_agent="tests"),
        recipients=[reader],
        subject="Referrals",
        body="Can we talk about the shelter referral process?",
    )
    assert counts(page(reader_client), "messages") == [1, 1]
    # Reading the conversation drops both copies again.
    page(reader_client, conversation.get_absolute_url())
    assert counts(page(reader_client), "messages") == [0, 0]


def test_page_frame_a_moderator_role_shows_and_hides_the_moderation_link(
    reader, reader_client, administrator
):
    assert 'href="/admin/">Moderation</a>' not in page(reader_client)
    member_set_role(user=reader, role=Role.MODERATOR, by=administrator)
    assert 'href="/admin/">Moderation</a>' in page(reader_client)
    member_set_role(user=reader, role=Role.MEMBER, by=administrator)
    assert 'href="/admin/">Moderation</a>' not in page(reader_client)


def test_page_frame_marks_the_current_section_of_each_path(reader_client):
    Category.objects.get_or_create(
        slug="suggestions", defaults={"name": "Suggestions", "is_suggestions": True}
    )
    html = page(reader_client, "/discussions/")
    assert 'class="usa-nav-link usa-current" href="/discussions/" aria-current="page"' in html
    html = page(reader_client, "/members/")
    assert 'class="usa-nav-link usa-current" href="/members/" aria-current="page"' in html
    assert 'usa-current" href="/discussions/"' not in html
    html = page(reader_client, "/discussions/c/suggestions/")
    assert 'usa-current" href="/discussions/"' not in html
    assert 'usa-nav__link usa-current" aria-expanded="false" aria-controls="nav-more"' in html
    assert 'href="/discussions/c/suggestions/" aria-current="page"' in html


def test_page_frame_carries_each_requests_own_csrf_token(reader, reader_client, task_force):
    other = Client()
    other.force_login(make_member(task_force=task_force))
    tokens = []
    for client in (reader_client, other):
        html = page(client)
        form = re.search(r'action="/accounts/logout/"[^>]*>(.*?)</form>', html, re.S).group(1)
        tokens.append(re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form).group(1))
    assert tokens[0] != tokens[1]
    assert not any(token.startswith("fill") for token in tokens)


def test_page_frame_a_visitor_never_gets_a_members_header(reader_client):
    page(reader_client, "/")
    html = Client().get("/").content.decode()
    assert "Sign out" not in html and "Request an account" in html
    assert 'data-header-count="notifications"' not in html


def test_page_frame_ignores_a_views_own_membership_flags(reader, task_force):
    """A view's context may set ``is_moderator`` or ``is_member`` for its page; the
    shared frame is built from the context processor's own values only, so such a
    page can neither show a member the moderators' link nor cache it for others."""
    from django.template import engines
    from django.test import RequestFactory

    template = engines["django"].from_string('{% extends "base.html" %}')
    request = RequestFactory().get("/discussions/")
    request.user = reader
    request.session = {}
    html = template.render({"is_moderator": True, "is_member": False}, request)
    assert 'href="/admin/">Moderation</a>' not in html
    assert "Sign out" in html and counts(html, "notifications") == [0, 0]
    other = Client()
    other.force_login(make_member(task_force=task_force))
    assert 'href="/admin/">Moderation</a>' not in page(other)
