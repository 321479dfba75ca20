"""A profile passes the privacy guard: findings are shown, and a confirmed profile is held for a moderator."""

import pytest
from django.test import Client
from django.urls import reverse

from connect.models import AuditEvent, MemberProfile, Role
from tests.factories import make_member

pytestmark = pytest.mark.django_db

BIO = "I support the victim, Keisha Brown, whose cell is 305-555-0147."


def _client(user):
    client = Client()
    client.force_login(user)
    return client


def _form(profile, **changes):
    data = {
        "display_name": profile.display_name,
        "title": profile.title,
        "agency": profile.agency,
        "bio": profile.bio,
        "expertise": "",
        "languages": profile.languages,
        "phone": profile.phone,
        "email_visibility": profile.email_visibility,
        "phone_visibility": profile.phone_visibility,
    }
    return {**data, **changes}


def test_profile_with_a_victims_details_shows_them_and_saves_nothing(member):
    response = _client(member).post(reverse("connect:profile_edit"), _form(member.profile, bio=BIO))

    assert response.status_code == 400
    html = response.content.decode()
    assert "This may identify a victim" in html and "Keisha Brown" in html and "305-555-0147" in html
    assert 'name="confirm_privacy"' in html
    assert MemberProfile.objects.get(pk=member.profile.pk).bio != BIO


def test_confirmed_profile_is_held_until_a_moderator_releases_it(
    member, other_member, django_capture_on_commit_callbacks
):
    moderator = make_member(role=Role.MODERATOR)
    url = reverse("connect:member_detail", args=[member.profile.pk])
    data = _form(member.profile, bio=BIO, confirm_privacy="on")

    with django_capture_on_commit_callbacks(execute=True):
        response = _client(member).post(reverse("connect:profile_edit"), data)

    assert response.status_code == 302
    profile = MemberProfile.objects.get(pk=member.profile.pk)
    assert profile.bio == BIO and profile.privacy_findings
    seen_by_others = _client(other_member).get(url).content.decode()
    assert "Keisha Brown" not in seen_by_others and "305-555-0147" not in seen_by_others
    assert "waiting for a moderator" in seen_by_others
    assert "Keisha Brown" in _client(member).get(url).content.decode()
    assert url not in _client(other_member).get("/search/", {"q": "Keisha"}).content.decode()
    assert "Keisha Brown" not in str(AuditEvent.objects.filter(action="profile.updated").last().detail)

    release = reverse("connect:profile_release", args=[profile.pk])
    assert _client(other_member).post(release).status_code == 404
    with django_capture_on_commit_callbacks(execute=True):
        assert _client(moderator).post(release).status_code == 302

    assert not MemberProfile.objects.get(pk=profile.pk).privacy_findings
    assert "Keisha Brown" in _client(other_member).get(url).content.decode()
    assert url in _client(other_member).get("/search/", {"q": "Keisha"}).content.decode()


def test_ordinary_profile_saves_at_once(member):
    bio = "Victim advocate with the task force since 2019; I lead our trauma-informed interview training."

    response = _client(member).post(reverse("connect:profile_edit"), _form(member.profile, bio=bio))

    assert response.status_code == 302
    assert MemberProfile.objects.get(pk=member.profile.pk).bio == bio
