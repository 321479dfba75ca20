"""One meaning of a visible spotlight: a live spotlight for a week that has not
begun is out of sight on every path until its Monday; moderators read it in
the admin's preview meanwhile."""

import datetime
from unittest import mock

import pytest
from django.urls import reverse
from django.utils import timezone

from spotlights.models import SpotlightPage, monday_of

from .conftest import make_spotlight

pytestmark = pytest.mark.django_db

TITLE = "Harbor outreach next week"


@pytest.fixture
def next_week(spotlight_index, task_force):
    return make_spotlight(
        spotlight_index, task_force, title=TITLE, weeks_ago=-1, summary="Harbor outreach summary."
    )


def _on_next_monday():
    monday = monday_of(timezone.localdate()) + datetime.timedelta(weeks=1)
    return mock.patch("django.utils.timezone.localdate", return_value=monday)


def test_spotlight_page_of_next_week_is_404_until_its_week_begins(member_client, next_week):
    assert next_week.live
    assert member_client.get(next_week.url).status_code == 404
    with _on_next_monday():
        assert member_client.get(next_week.url).status_code == 200


def test_searchable_for_leaves_out_next_weeks_spotlight(member, next_week):
    assert not SpotlightPage.searchable_for(member).filter(pk=next_week.pk).exists()
    with _on_next_monday():
        assert SpotlightPage.searchable_for(member).filter(pk=next_week.pk).exists()


def test_search_page_does_not_find_next_weeks_spotlight(member_client, next_week):
    def found():
        # The search page marks matched words; compare the text a reader sees.
        html = member_client.get("/search/", {"q": "harbor"}).content.decode()
        return html.replace("<mark>", "").replace("</mark>", "")

    assert TITLE not in found()
    with _on_next_monday():
        assert TITLE in found()


@pytest.mark.parametrize("where", ["archive", "home", "task_force"])
def test_lists_leave_out_next_weeks_spotlight(member_client, next_week, task_force, where):
    path = {"archive": "/spotlights/", "home": "/", "task_force": task_force.get_absolute_url()}[where]
    make_spotlight(next_week.get_parent(), task_force, title="This week's own")
    html = member_client.get(path).content.decode()
    assert "This week&#x27;s own" in html
    assert TITLE not in html


def test_document_linked_from_next_weeks_spotlight_is_404_for_members(
    member_client, moderator_client, spotlight_index, task_force
):
    from tests.resources.conftest import make_document

    plan = make_document("Harbor plan")
    make_spotlight(
        spotlight_index,
        task_force,
        title=TITLE,
        weeks_ago=-1,
        body=[("paragraph", f'<p><a linktype="document" id="{plan.pk}">plan</a></p>')],
    )
    assert member_client.get(plan.url).status_code == 404
    assert moderator_client.get(plan.url).status_code == 200  # to review it
    with _on_next_monday():
        assert member_client.get(plan.url).status_code == 200


def test_moderator_previews_next_weeks_spotlight_in_admin(moderator_client, next_week):
    response = moderator_client.get(reverse("wagtailadmin_pages:view_draft", args=[next_week.pk]))
    assert response.status_code == 200
    assert TITLE in response.content.decode()


def test_related_resources_block_lists_only_resources_the_member_may_see(
    member_client, spotlight_index, task_force
):
    from django.contrib.auth.models import Group
    from wagtail.models import PageViewRestriction

    from connect.models import Role
    from resources.models import ResourceLibraryPage
    from tests.resources.conftest import make_resource

    library = ResourceLibraryPage.objects.get()
    shown = make_resource(library, title="Shown toolkit")
    restricted = make_resource(library, title="Moderators-only toolkit")
    restriction = PageViewRestriction.objects.create(
        page=restricted, restriction_type=PageViewRestriction.GROUPS
    )
    restriction.groups.set([Group.objects.get(name=Role.MODERATOR)])
    expired = make_resource(library, title="Expired toolkit")
    type(expired).objects.filter(pk=expired.pk).update(expire_at=timezone.now() - datetime.timedelta(hours=1))
    page = make_spotlight(
        spotlight_index,
        task_force,
        title="With resources",
        body=[
            (
                "related_resources",
                {"heading": "Related resources", "resources": [shown, restricted, expired]},
            )
        ],
    )
    html = member_client.get(page.url).content.decode()
    assert "Shown toolkit" in html
    assert "Moderators-only toolkit" not in html and "Expired toolkit" not in html
