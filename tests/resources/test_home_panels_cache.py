"""The home page's panels of pages (new resources, upcoming events, this
week's spotlight) are cached per member (connect.home, connect.fragments):
a page published, unpublished, deleted, restricted or expired is seen on the
next view of the home page."""

import datetime
import time

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone
from wagtail.models import PageViewRestriction

from .conftest import make_event, make_resource

pytestmark = pytest.mark.django_db


def home(client):
    response = client.get("/")
    assert response.status_code == 200
    return response.content.decode()


def test_a_cached_home_page_asks_nothing_for_its_panels(
    member_client, library, django_assert_max_num_queries
):
    make_resource(library, title="Hotline poster")
    home(member_client)
    # The session, Wagtail's site and page routing and view restrictions, the
    # bell's kinds, the assistance panel's questions, and the newcomer's
    # welcome checklist (never cached: each step ticks as soon as it is done):
    # none for the panels of pages.
    with django_assert_max_num_queries(12) as counted:
        assert "Hotline poster" in home(member_client)
    sql = " ".join(query["sql"] for query in counted.captured_queries)
    assert "resources_resourcepage" not in sql
    assert "resources_eventpage" not in sql


def test_a_published_resource_shows_at_once(member_client, library):
    home(member_client)
    make_resource(library, title="Screening guide")
    assert "Screening guide" in home(member_client)


def test_an_unpublished_or_deleted_resource_leaves_at_once(member_client, library):
    first = make_resource(library, title="Old toolkit")
    second = make_resource(library, title="Older toolkit")
    assert "Old toolkit" in home(member_client)
    first.unpublish()
    assert "Old toolkit" not in home(member_client)
    assert "Older toolkit" in home(member_client)
    second.delete()
    assert "Older toolkit" not in home(member_client)


def test_a_restricted_resource_leaves_at_once(member_client, library):
    page = make_resource(library, title="Task force leads only")
    assert "Task force leads only" in home(member_client)
    restriction = PageViewRestriction.objects.create(page=page, restriction_type=PageViewRestriction.GROUPS)
    restriction.groups.set([Group.objects.create(name="Leads")])
    assert "Task force leads only" not in home(member_client)


def test_an_expired_resource_leaves_at_once(member_client, library):
    page = make_resource(library, title="Expiring notice")
    page.expire_at = timezone.now() + datetime.timedelta(seconds=1)
    page.save()
    assert "Expiring notice" in home(member_client)
    time.sleep(1.1)
    # No save in between: the expiry itself takes it off.
    assert "Expiring notice" not in home(member_client)


def test_a_published_event_shows_at_once(member_client, event_index):
    home(member_client)
    make_event(event_index, title="Coordinators call")
    assert "Coordinators call" in home(member_client)
