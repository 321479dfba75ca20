"""The home page's first-visit welcome and the community guidelines page."""

import pytest
from django.test import Client

from connect.models import GuidelinesPage, WelcomeProgress

pytestmark = pytest.mark.django_db


def _welcome(response):
    html = response.content.decode()
    if 'id="welcome-heading"' not in html:
        return None
    return html.split('id="welcome-heading"', 1)[1].split("</section>", 1)[0]


def _fill_profile(member):
    member.profile.title = "Detective"
    member.profile.bio = "I work labor-trafficking cases in the valley."
    member.profile.save()


def test_welcome_panel_greets_a_new_member_with_steps_left(member_client):
    panel = _welcome(member_client.get("/"))
    assert panel is not None
    assert "Complete your profile" in panel
    assert "Read the community guidelines" in panel
    assert "0 of 2 done" in panel
    assert panel.count("(not done yet)") == 2


def test_welcome_profile_step_ticks_once_title_and_bio_are_filled(member_client, member):
    _fill_profile(member)
    panel = _welcome(member_client.get("/"))
    assert "1 of 2 done" in panel
    profile_step = panel.split("Complete your profile", 1)[1].split("</li>", 1)[0]
    assert "(done)" in profile_step


def test_guidelines_page_is_migrated_under_home_and_linked_from_the_footer(member_client):
    page = GuidelinesPage.objects.live().get()
    assert page.get_parent().specific.__class__.__name__ == "HomePage"
    home = member_client.get("/").content.decode()
    assert 'href="/guidelines/"' in home
    response = member_client.get("/guidelines/")
    assert response.status_code == 302
    assert response["Location"] == page.url


def test_reading_the_guidelines_ticks_the_step_once(member_client, member):
    page = GuidelinesPage.objects.live().get()
    response = member_client.get(page.url)
    assert response.status_code == 200
    assert "Protect victims and cases" in response.content.decode()
    first = WelcomeProgress.objects.get(user=member).guidelines_read_at
    assert first is not None
    member_client.get(page.url)
    assert WelcomeProgress.objects.get(user=member).guidelines_read_at == first
    panel = _welcome(member_client.get("/"))
    guidelines_step = panel.split("Read the community guidelines", 1)[1].split("</li>", 1)[0]
    assert "(done)" in guidelines_step


def test_guidelines_page_is_for_members_only(client):
    page = GuidelinesPage.objects.live().get()
    assert client.get(page.url).status_code in (302, 404)
    assert not WelcomeProgress.objects.exists()


def test_welcome_panel_is_gone_once_every_step_is_done(member_client, member):
    _fill_profile(member)
    member_client.get(GuidelinesPage.objects.live().get().url)
    assert _welcome(member_client.get("/")) is None


def test_welcome_panel_is_gone_once_dismissed_and_stays_gone(member_client, member):
    response = member_client.post("/welcome/dismiss/")
    assert response.status_code == 302
    assert WelcomeProgress.objects.get(user=member).dismissed_at is not None
    assert _welcome(member_client.get("/")) is None
    # Reading the guidelines later does not bring it back.
    member_client.get(GuidelinesPage.objects.live().get().url)
    assert _welcome(member_client.get("/")) is None


def test_welcome_dismissal_is_per_member(member_client, other_member):
    member_client.post("/welcome/dismiss/")
    other = Client()
    other.force_login(other_member)
    assert _welcome(other.get("/")) is not None


def test_welcome_dismiss_needs_a_post_with_a_csrf_token(member):
    client = Client(enforce_csrf_checks=True)
    client.force_login(member)
    assert client.get("/welcome/dismiss/").status_code == 405
    assert client.post("/welcome/dismiss/").status_code == 403
    assert not WelcomeProgress.objects.filter(dismissed_at__isnull=False).exists()
    home = client.get("/").content.decode()
    token = home.split('name="csrfmiddlewaretoken" value="', 1)[1].split('"', 1)[0]
    assert client.post("/welcome/dismiss/", {"csrfmiddlewaretoken": token}).status_code == 302
    assert WelcomeProgress.objects.get(user=member).dismissed_at is not None


def test_welcome_dismiss_is_refused_to_visitors(client):
    response = client.post("/welcome/dismiss/")
    assert response.status_code in (302, 404)
    assert not WelcomeProgress.objects.exists()
