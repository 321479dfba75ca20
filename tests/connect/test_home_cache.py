"""The home page's own reads are cached and follow every change of what they
hold: the welcome's steps (a filled profile, the guidelines read or put out
of sight, the welcome put away), Wagtail's site for the request's host, and
a member's program roles."""

import pytest
from django.test import Client
from wagtail.models import Site

from assistance import permissions as assistance_permissions
from assistance.models import ProgramRole
from connect.home import _welcome_state
from connect.models import GuidelinesPage, User, WelcomeProgress
from connect.services import welcome_dismiss, welcome_guidelines_read

pytestmark = pytest.mark.django_db


def _welcome(client):
    html = client.get("/").content.decode()
    if 'id="welcome-heading"' not in html:
        return None
    return html.split('id="welcome-heading"', 1)[1].split("</section>", 1)[0]


def _step(panel, label):
    return panel.split(label, 1)[1].split("</li>", 1)[0]


def test_welcome_state_is_cached_between_visits(member, member_client, django_assert_num_queries):
    assert _welcome(member_client) is not None
    user = User.objects.get(pk=member.pk)
    with django_assert_num_queries(0):
        assert _welcome_state(user) == (False, False, False, True)


def test_welcome_cache_a_filled_profile_ticks_its_step(member, member_client):
    assert "(not done yet)" in _step(_welcome(member_client), "Complete your profile")
    member.profile.title = "Detective"
    member.profile.bio = "I work labor-trafficking cases in the valley."
    member.profile.save()
    assert "(done)" in _step(_welcome(member_client), "Complete your profile")


def test_welcome_cache_reading_the_guidelines_ticks_their_step(member, member_client):
    assert "(not done yet)" in _step(_welcome(member_client), "Read the community guidelines")
    welcome_guidelines_read(user=member)
    assert "(done)" in _step(_welcome(member_client), "Read the community guidelines")


def test_welcome_cache_putting_the_welcome_away_hides_it(member, member_client):
    assert _welcome(member_client) is not None
    welcome_dismiss(user=member)
    assert _welcome(member_client) is None
    WelcomeProgress.objects.filter(user=member).delete()  # the row gone: the welcome is back
    assert _welcome(member_client) is not None


def test_welcome_cache_unpublished_guidelines_leave_the_steps(member_client):
    assert "Read the community guidelines" in _welcome(member_client)
    GuidelinesPage.objects.live().get().unpublish()
    panel = _welcome(member_client)
    assert "Read the community guidelines" not in panel and "0 of 1 done" in panel


def test_site_cache_follows_a_new_root_page(member_client):
    assert "Read the community guidelines" in member_client.get("/").content.decode()
    site = Site.objects.get(is_default_site=True)
    site.root_page = GuidelinesPage.objects.live().get()
    site.save()
    assert "Protect victims and cases" in member_client.get("/").content.decode()


def test_site_cache_a_deleted_site_is_not_served(member_client):
    assert member_client.get("/").status_code == 200
    Site.objects.all().delete()
    assert member_client.get("/").status_code == 404


def test_program_roles_cache_follows_a_granted_and_a_revoked_role(member, task_force):
    def fresh():
        return User.objects.get(pk=member.pk)  # a new request's user object

    assert assistance_permissions.coordinated_task_force_id(fresh()) is None
    role = ProgramRole.objects.create(user=member, kind=ProgramRole.Kind.COORDINATOR, task_force=task_force)
    assert assistance_permissions.coordinated_task_force_id(fresh()) == task_force.pk
    role.delete()
    assert assistance_permissions.coordinated_task_force_id(fresh()) is None


def test_program_roles_cache_follows_a_role_moved_to_another_member(member, other_member, task_force):
    role = ProgramRole.objects.create(user=member, kind=ProgramRole.Kind.COORDINATOR, task_force=task_force)
    assert assistance_permissions.coordinated_task_force_id(User.objects.get(pk=member.pk)) == task_force.pk
    assert assistance_permissions.coordinated_task_force_id(User.objects.get(pk=other_member.pk)) is None
    role.user = other_member
    role.save()
    assert assistance_permissions.coordinated_task_force_id(User.objects.get(pk=member.pk)) is None
    assert (
        assistance_permissions.coordinated_task_force_id(User.objects.get(pk=other_member.pk))
        == task_force.pk
    )


def test_home_page_asks_four_queries_when_warm(member_client, django_assert_num_queries):
    """The session, the home page (Wagtail's route) and its view restrictions
    (two): everything else on a warm home page comes from the cache."""
    member_client.get("/")
    with django_assert_num_queries(4):
        assert member_client.get("/").status_code == 200


def test_a_visitor_still_gets_the_landing_page(member_client):
    member_client.get("/")
    html = Client().get("/").content.decode()
    assert "Request an account" in html and 'id="welcome-heading"' not in html
