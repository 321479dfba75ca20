"""The library's listing and facets are cached per member (connect.fragments):
a resource published, unpublished, restricted or expired, a renamed topic and
a download are seen on the next view; each choice of filters is its own copy."""

import datetime
import time

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone
from wagtail.models import PageViewRestriction

from resources.models import Topic

from .conftest import make_document, make_resource

pytestmark = pytest.mark.django_db


def library_page(client, **params):
    response = client.get("/resources/", params)
    assert response.status_code == 200
    return response.content.decode()


def test_a_cached_listing_asks_nothing_for_it(member_client, library, django_assert_max_num_queries):
    make_resource(library, title="Hotline poster")
    library_page(member_client)
    with django_assert_max_num_queries(8) as counted:
        assert "Hotline poster" in library_page(member_client)
    assert "resources_resourcepage" not in " ".join(q["sql"] for q in counted.captured_queries)


def test_publishing_and_unpublishing_show_at_once(member_client, library):
    library_page(member_client)
    page = make_resource(library, title="Screening guide")
    assert "Screening guide" in library_page(member_client)
    page.unpublish()
    assert "Screening guide" not in library_page(member_client)


def test_a_restricted_resource_leaves_at_once(member_client, library):
    page = make_resource(library, title="Task force leads only")
    assert "Task force leads only" in library_page(member_client)
    restriction = PageViewRestriction.objects.create(page=page, restriction_type=PageViewRestriction.GROUPS)
    restriction.groups.set([Group.objects.create(name="Leads")])
    assert "Task force leads only" not in library_page(member_client)


def test_an_expired_resource_leaves_at_once(member_client, library):
    page = make_resource(library, title="Expiring notice")
    page.expire_at = timezone.now() + datetime.timedelta(seconds=1)
    page.save()
    assert "Expiring notice" in library_page(member_client)
    time.sleep(1.1)
    assert "Expiring notice" not in library_page(member_client)


def test_a_renamed_topic_shows_at_once(member_client, library):
    topic = Topic.objects.create(name="Labor trafficking", slug="labor")
    make_resource(library, title="Farm work", topics=[topic])
    assert "Labor trafficking" in library_page(member_client)
    topic.name = "Forced labor"
    topic.save()
    assert "Forced labor" in library_page(member_client)


def test_a_download_moves_the_count_at_once(member_client, library):
    document = make_document("Roadmap", name="roadmap.pdf")
    make_resource(library, title="Roadmap", document=document, external_url="")
    assert "0 downloads" in library_page(member_client)
    assert member_client.get(document.url).status_code == 200
    assert "1 download<" in library_page(member_client)


def test_each_choice_of_filters_is_its_own_copy(member_client, library):
    make_resource(library, title="A checklist", resource_type="checklist")
    make_resource(library, title="A guide", resource_type="guide")
    assert "A guide" in library_page(member_client)
    html = library_page(member_client, type="checklist")
    assert "A checklist" in html and "A guide" not in html
