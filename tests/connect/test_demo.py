"""`manage.py seed_demo`: idempotent, fictional, and within the MFA rule."""

from io import StringIO

import pytest
from allauth.mfa.models import Authenticator
from django.core.management import call_command
from django.test import Client

from connect.demo import DEMO_PASSWORD, DEMO_TOTP_SECRET
from connect.models import Discipline, MemberProfile, Role, TaskForce, User

from .helpers import totp_code

pytestmark = pytest.mark.django_db


def _seed():
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def test_seed_demo_is_idempotent_and_prints_logins():
    output = _seed()
    counts = (User.objects.count(), MemberProfile.objects.count(), Authenticator.objects.count())
    assert _seed()
    assert (User.objects.count(), MemberProfile.objects.count(), Authenticator.objects.count()) == counts
    assert "admin@wdny.demo.example" in output
    assert "moderator@cook.demo.example" in output
    assert DEMO_PASSWORD in output
    assert DEMO_TOTP_SECRET in output


def test_seed_demo_covers_every_discipline_and_role():
    _seed()
    assert set(MemberProfile.objects.values_list("discipline", flat=True)) == set(Discipline.values)
    for role in Role:
        assert User.objects.filter(groups__name=role).exists(), role
    for user in User.objects.all():
        assert user.email.endswith(".demo.example")
        assert Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


def test_roster_lists_the_public_ecm_task_forces():
    names = set(TaskForce.objects.values_list("name", flat=True))
    for expected in ["Western District of New York", "North Dakota", "Cook County", "Palm Beach County",
                     "Greater New Orleans"]:  # fmt: skip
        assert any(expected in name for name in names), expected


def test_demo_member_signs_in_with_password_and_printed_secret():
    _seed()
    client = Client()
    response = client.post(
        "/accounts/login/", {"login": "officer@nd.demo.example", "password": DEMO_PASSWORD}
    )
    assert response["Location"] == "/accounts/2fa/authenticate/"
    client.post("/accounts/2fa/authenticate/", {"code": totp_code(DEMO_TOTP_SECRET)})
    assert client.get("/members/").status_code == 200
