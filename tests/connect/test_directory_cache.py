"""The member directory's listing is cached and shared by every member with the
same permission signature (connect.views.directory_listing): every save that
changes what it shows (a profile, an account, a task force, an area of
expertise) is seen on the next view, each choice of filters has its own copy,
and what a card offers the viewer is worked out for each viewer."""

import pytest
from django.test import Client

from tests.factories import TaskForceFactory, make_member

pytestmark = pytest.mark.django_db

URL = "/members/"


def page(client, params=None):
    response = client.get(URL, params or {})
    assert response.status_code == 200
    return response.content.decode()


def client_for(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def viewer(task_force):
    return make_member(task_force=task_force, first_name="Vera", last_name="Viewer")


@pytest.fixture
def colleague(task_force):
    return make_member(task_force=task_force, first_name="Colin", last_name="Colleague")


@pytest.fixture
def viewer_client(viewer, colleague):
    client = client_for(viewer)
    page(client)  # builds the shared copy
    return client


def test_a_cached_directory_page_asks_only_the_session(viewer_client, django_assert_num_queries):
    # The session only: nothing for the form, the count, the cards or their
    # "Message" buttons.
    with django_assert_num_queries(1):
        html = page(viewer_client)
    assert "Colin Colleague" in html


def test_a_new_member_is_listed_at_once(viewer_client, task_force):
    make_member(task_force=task_force, first_name="Nina", last_name="Newcomer")
    assert "Nina Newcomer" in page(viewer_client)


def test_a_renamed_profile_shows_at_once(viewer_client, colleague):
    profile = colleague.profile
    profile.display_name = "Colin Renamed"
    profile.title = "Lead investigator"
    profile.save()
    html = page(viewer_client)
    assert "Colin Renamed" in html and "Lead investigator" in html


def test_a_deactivated_account_leaves_at_once(viewer_client, colleague):
    colleague.is_active = False
    colleague.save()
    assert "Colin Colleague" not in page(viewer_client)


def test_a_renamed_task_force_shows_on_cards_and_in_the_filter_at_once(viewer_client, task_force):
    task_force.name = "Renamed Regional Task Force"
    task_force.save()
    html = page(viewer_client)
    assert html.count("Renamed Regional Task Force") >= 2  # a card and the form's choice


def test_a_new_task_force_state_is_offered_at_once(viewer_client):
    TaskForceFactory(state="WY")
    assert "Wyoming" in page(viewer_client)


def test_an_area_of_expertise_shows_at_once(viewer_client, colleague):
    colleague.profile.expertise.add("labor trafficking")
    assert "labor trafficking" in page(viewer_client)


def test_a_renamed_area_of_expertise_shows_at_once(viewer_client, colleague):
    from connect.models import ExpertiseTag

    colleague.profile.expertise.add("interview rooms")
    assert "interview rooms" in page(viewer_client)
    tag = ExpertiseTag.objects.get(name="interview rooms")
    tag.name = "forensic interviews"
    tag.save()
    html = page(viewer_client)
    assert "forensic interviews" in html and "interview rooms" not in html


def test_each_choice_of_filters_has_its_own_copy(viewer_client, task_force):
    other = TaskForceFactory(name="Other Coast Task Force")
    make_member(task_force=other, first_name="Olga", last_name="Outside")
    everyone = page(viewer_client)
    assert "Olga Outside" in everyone and "Colin Colleague" in everyone
    filtered = page(viewer_client, {"task_force": other.pk})
    assert "Olga Outside" in filtered and "Colin Colleague" not in filtered
    assert "1 member found." in filtered
    by_name = page(viewer_client, {"q": "Colin"})
    assert "Colin Colleague" in by_name and "Olga Outside" not in by_name
    # Asked again, each copy is the one for its own filters.
    assert "Olga Outside" not in page(viewer_client, {"q": "Colin"})
    assert "Colin Colleague" not in page(viewer_client, {"task_force": other.pk})


def test_a_shared_copy_offers_each_viewer_their_own_actions(viewer, colleague, viewer_client):
    # Built for the viewer; served to the colleague, whose own card has no
    # "Message" button and whose view offers to write to the viewer.
    colleague_html = page(client_for(colleague))
    viewer_html = page(viewer_client)
    assert f"?to={viewer.pk}" in colleague_html and f"?to={colleague.pk}" not in colleague_html
    assert f"?to={colleague.pk}" in viewer_html and f"?to={viewer.pk}" not in viewer_html
    assert "fill" not in viewer_html.split("usa-card-group", 1)[1].split("</ul>", 1)[0]


def test_a_member_no_longer_active_is_refused_the_cached_copy(viewer, viewer_client):
    viewer.is_active = False
    viewer.save()
    response = viewer_client.get(URL)
    assert response.status_code != 200 or "Colin Colleague" not in response.content.decode()
