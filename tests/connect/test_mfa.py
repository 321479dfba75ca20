"""Every change to a member's second factor lands in the audit log, and the
pages to add one are reachable for members."""

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import SECRET_SESSION_KEY

from connect.models import AuditEvent
from tests.conftest import reauthenticate
from tests.connect.helpers import totp_code

pytestmark = pytest.mark.django_db


def _actions(user):
    return list(
        AuditEvent.objects.filter(actor=user, action__startswith="mfa.")
        .order_by("pk")
        .values_list("action", "detail__type")
    )


def test_mfa_changes_are_audited(member_client, member, django_capture_on_commit_callbacks):
    reauthenticate(member_client)
    client = member_client
    client.defaults["HTTP_USER_AGENT"] = "MFA test browser"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/accounts/2fa/recovery-codes/generate/")
    assert response.status_code == 302
    assert client.get("/accounts/2fa/recovery-codes/").status_code == 200
    download = client.get("/accounts/2fa/recovery-codes/download/")
    assert download.status_code == 200
    assert _actions(member) == [
        ("mfa.recovery_codes_generated", "recovery_codes"),
        ("mfa.recovery_codes_viewed", None),
        ("mfa.recovery_codes_downloaded", None),
    ]
    viewed = AuditEvent.objects.get(action="mfa.recovery_codes_viewed")
    assert viewed.user_agent == "MFA test browser"
    assert viewed.ip_address == "127.0.0.1"
    assert viewed.target_id == str(member.pk)

    # Switching off the authenticator app is audited too.
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/accounts/2fa/totp/deactivate/")
    assert response.status_code == 302
    assert not Authenticator.objects.filter(user=member, type=Authenticator.Type.TOTP).exists()
    assert ("mfa.removed", "totp") in _actions(member)
    # ...and the member is sent to set up a new one before anything else.
    assert client.get("/members/")["Location"] == "/accounts/2fa/totp/activate/"


def test_totp_activation_is_audited(member_client, member, django_capture_on_commit_callbacks):
    Authenticator.objects.filter(user=member).delete()
    reauthenticate(member_client)
    assert member_client.get("/accounts/2fa/totp/activate/").status_code == 200
    secret = member_client.session[SECRET_SESSION_KEY]
    with django_capture_on_commit_callbacks(execute=True):
        response = member_client.post("/accounts/2fa/totp/activate/", {"code": totp_code(secret)})
    assert response.status_code == 302
    assert ("mfa.added", "totp") in _actions(member)


def test_recovery_codes_page_needs_a_recent_password(member_client, member):
    response = member_client.get("/accounts/2fa/recovery-codes/")
    assert response.status_code in (302, 404)
    assert not AuditEvent.objects.filter(action="mfa.recovery_codes_viewed").exists()


def test_security_key_page_renders_for_a_member(member_client, member):
    response = member_client.get("/accounts/2fa/webauthn/add/")
    assert response["Location"].startswith("/accounts/2fa/reauthenticate/")
    reauthenticate(member_client)
    response = member_client.get("/accounts/2fa/webauthn/add/")
    assert response.status_code == 200
    assert b"credential" in response.content


MFA_SETUP_PATH = "/accounts/2fa/totp/activate/"


def _client(user):
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client


def test_without_an_authenticator_wagtail_pages_search_and_admin_lead_to_setup(task_force):
    from connect.models import Role
    from tests.factories import make_member

    moderator = make_member(role=Role.MODERATOR, task_force=task_force, mfa=False)
    client = _client(moderator)
    for path in ["/", "/spotlights/", "/library/", "/search/?q=trafficking", "/admin/", "/admin/pages/"]:
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"] == MFA_SETUP_PATH, path


def test_switching_the_mfa_requirement_off_lets_members_in_without_one(settings, task_force):
    from tests.factories import make_member

    settings.CONNECT_REQUIRE_MFA = False
    client = _client(make_member(task_force=task_force, mfa=False))
    for path in ["/", "/members/", "/task-forces/", "/search/?q=trafficking", "/profile/"]:
        assert client.get(path).status_code == 200, path
    settings.CONNECT_REQUIRE_MFA = True
    assert client.get("/members/")["Location"] == MFA_SETUP_PATH


def test_totp_activate_keeps_the_secret_across_reloads_until_confirmed():
    """A member who scanned the code and reloaded the page keeps the secret
    their authenticator app already has."""
    from django.test import Client

    from tests.factories import make_member

    member = make_member(mfa=False)
    client = Client()
    client.force_login(member)
    reauthenticate(client)
    assert client.get("/accounts/2fa/totp/activate/").status_code == 200
    first = client.session[SECRET_SESSION_KEY]
    assert client.get("/accounts/2fa/totp/activate/").status_code == 200
    assert client.session[SECRET_SESSION_KEY] == first
