"""The moderators' dashboard names what waits for them, with counts and links,
and the admin menu carries the same counts."""

import pytest

from connect.models import MembershipRequest
from forum.models import Post
from tests.connect.helpers import REQUEST_DATA
from tests.factories import make_member
from tests.forum.factories import make_category, make_post, make_thread

pytestmark = pytest.mark.django_db


def test_dashboard_counts_what_waits_for_moderators(moderator_client, task_force):
    MembershipRequest.objects.create(**{**REQUEST_DATA, "task_force": task_force})
    MembershipRequest.objects.create(
        **{**REQUEST_DATA, "email": "second@agency.example.gov", "task_force": task_force}
    )
    author = make_member()
    thread = make_thread(author=author, category=make_category())
    post = make_post(author=author, thread=thread)
    Post.objects.filter(pk=post.pk).update(status=Post.Status.HELD)

    body = moderator_client.get("/admin/").content.decode()
    assert "What waits for you" in body
    assert "<strong>2</strong> membership requests waiting" in body
    # A count of one reads in the singular.
    assert "<strong>1</strong> flagged or held post in the moderation queue" in body
    assert "<strong>0</strong> shared resources waiting for review" in body
    assert 'href="/admin/membership_requests/"' in body
    # The menu's badges come from the same counts.
    assert "Membership requests (2)" in body
    assert "Moderation queue (1)" in body


def test_dashboard_waiting_panel_is_for_moderators_only(task_force):
    from django.test import Client

    from connect.models import Role
    from tests.conftest import _client_for

    editor = make_member(role=Role.MEMBER)
    client = _client_for(Client, editor)
    response = client.get("/admin/")
    assert "What waits for you" not in response.content.decode()
