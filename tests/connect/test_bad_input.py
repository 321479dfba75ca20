"""Bad input, each with a clear message and nothing changed."""

import time
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from connect import services
from connect.models import AuditEvent, Invitation, MemberProfile, MembershipRequest, User
from tests.factories import TEST_PASSWORD, TEST_TOTP_SECRET, MembershipRequestFactory

from .helpers import REQUEST_DATA, totp_code

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-and-unusual-passphrase-7"


@pytest.fixture
def approved(moderator):
    """A token for an approved request, as the invitation email carries it."""
    req = MembershipRequestFactory()
    token = services.membership_request_approve(membership_request=req, reviewer=moderator)
    return req, token


def _signup(client):
    return client.post(
        "/accounts/signup/", {"email": "x@y.example", "password1": PASSWORD, "password2": PASSWORD}
    )


def _assert_invitation_refused(client, path, status, message):
    users_before = User.objects.count()
    response = client.get(path)
    assert response.status_code == status
    assert message in response.content.decode()
    # The signup form stays closed and nothing is created.
    page = client.get("/accounts/signup/")
    assert "You need an invitation to create an account" in page.content.decode()
    _signup(client)
    assert User.objects.count() == users_before


def test_invitation_expired(approved):
    req, token = approved
    Invitation.objects.filter(request=req).update(expires_at=timezone.now() - timedelta(seconds=1))
    _assert_invitation_refused(Client(), f"/join/{token}/", 410, "This invitation link has expired")


def test_invitation_reused(approved):
    req, token = approved
    client = Client()
    client.get(f"/join/{token}/")
    assert _signup(client).status_code == 302
    assert User.objects.filter(email=req.email).exists()
    _assert_invitation_refused(Client(), f"/join/{token}/", 410, "already been used")


def test_invitation_forged():
    _assert_invitation_refused(Client(), "/join/" + "A" * 43 + "/", 404, "This invitation link is not valid")


def test_invitation_tampered(approved):
    _req, token = approved
    tampered = token[:-1] + ("a" if token[-1] != "a" else "b")
    _assert_invitation_refused(Client(), f"/join/{tampered}/", 404, "This invitation link is not valid")


def test_invitation_overlong_token_is_refused():
    _assert_invitation_refused(Client(), "/join/" + "A" * 500 + "/", 404, "not valid")


def test_invitation_superseded_by_a_new_one_is_revoked(approved, moderator):
    req, token = approved
    services.invitation_create(membership_request=req)
    _assert_invitation_refused(Client(), f"/join/{token}/", 410, "withdrawn")


def test_invitation_used_in_another_tab_before_signup_is_refused(approved):
    req, token = approved
    client = Client()
    client.get(f"/join/{token}/")
    Invitation.objects.filter(request=req).update(used_at=timezone.now())
    response = _signup(client)
    assert User.objects.filter(email=req.email).count() == 0
    assert response.status_code == 200


def test_signup_with_another_email_keeps_the_invited_one(approved):
    req, token = approved
    client = Client()
    page = client.get(f"/join/{token}/", follow=True).content.decode()
    assert req.email in page
    response = _signup(client)  # posts x@y.example instead of the invited address
    assert response.status_code == 302
    assert not User.objects.filter(email__iexact="x@y.example").exists()
    user = User.objects.get(email__iexact=req.email)
    assert list(user.emailaddress_set.values_list("email", flat=True)) == [req.email]
    assert Invitation.objects.get(request=req).used_at is not None


def test_signup_without_invitation_is_closed(client):
    response = client.get("/accounts/signup/")
    assert response.status_code == 200
    assert "You need an invitation to create an account" in response.content.decode()
    _signup(client)
    assert not User.objects.exists()


# --- Membership requests --------------------------------------------------------


def test_request_for_unknown_task_force(client, task_force):
    response = client.post("/join/request/", {**REQUEST_DATA, "task_force": 999999})
    assert response.status_code == 200
    assert "Choose a task force from the list." in response.content.decode()
    task_force.is_active = False
    task_force.save()
    response = client.post("/join/request/", {**REQUEST_DATA, "task_force": task_force.pk})
    assert "Choose a task force from the list." in response.content.decode()
    assert not MembershipRequest.objects.exists()


def test_membership_request_create_duplicate_looks_the_same_to_the_visitor(
    client, task_force, django_capture_on_commit_callbacks
):
    """A stranger learns nothing about whether an address already applied; the
    reviewer sees both requests, and the address's owner is acknowledged once."""
    from django.core import mail

    data = {**REQUEST_DATA, "task_force": task_force.pk}
    with django_capture_on_commit_callbacks(execute=True):
        first = client.post("/join/request/", data)
    with django_capture_on_commit_callbacks(execute=True):
        second = client.post("/join/request/", {**data, "email": REQUEST_DATA["email"].upper()})
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    assert "already" not in client.get(second["Location"]).content.decode()
    assert MembershipRequest.objects.count() == 2
    acknowledgements = [m for m in mail.outbox if m.to == [REQUEST_DATA["email"]]]
    assert len(acknowledgements) == 1
    assert acknowledgements[0].subject.endswith("We received your request to join Task Force Connect")
    assert "Thank you for asking to join" in acknowledgements[0].body


def test_request_with_missing_fields_says_which(client, task_force):
    response = client.post("/join/request/", {"first_name": "Robin"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "Please correct the fields marked below." in body
    assert "Work email: This field is required." in body
    assert not MembershipRequest.objects.exists()


def test_request_honeypot_stores_nothing(client, task_force):
    response = client.post(
        "/join/request/", {**REQUEST_DATA, "task_force": task_force.pk, "website": "http://spam.example"}
    )
    assert response.status_code == 302
    assert not MembershipRequest.objects.exists()


def test_request_rate_limited_per_address(client, task_force):
    for i in range(5):
        client.post(
            "/join/request/", {**REQUEST_DATA, "task_force": task_force.pk, "email": f"p{i}@x.example"}
        )
    assert MembershipRequest.objects.count() == 5
    response = client.post(
        "/join/request/", {**REQUEST_DATA, "task_force": task_force.pk, "email": "p9@x.example"}
    )
    assert response.status_code == 429
    assert "Too many requests" in response.content.decode()
    assert MembershipRequest.objects.count() == 5


# --- Profiles -------------------------------------------------------------------

HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def test_profile_fields_render_inert(member_client, member, other_member):
    response = member_client.post(
        "/profile/",
        {
            "display_name": "Name " + HOSTILE,
            "title": "Title " + HOSTILE,
            "agency": "Agency " + HOSTILE,
            "bio": "Bio " + HOSTILE,
            "expertise": '"tag <script>alert(2)</script>"',
            "languages": "English, " + HOSTILE,
            "phone": "555 " + HOSTILE[:30],
            "email_visibility": "members",
            "phone_visibility": "members",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    profile = MemberProfile.objects.get(user=member)
    assert profile.bio.startswith("Bio <script>")  # stored as typed, escaped when shown
    viewer = Client()
    viewer.force_login(other_member)
    pages = [
        f"/members/{profile.pk}/",
        "/members/",
        "/members/?q=Name",
        f"/task-forces/{profile.task_force.slug}/",
        "/profile/",
    ]
    for path in pages:
        client = member_client if path == "/profile/" else viewer
        body = client.get(path).content.decode()
        assert "<script>alert" not in body, path
        assert "<img src=x" not in body, path
    body = viewer.get(f"/members/{profile.pk}/").content.decode()
    assert "&lt;script&gt;alert(" in body


def test_profile_invalid_input_changes_nothing(member_client, member):
    before = MemberProfile.objects.get(user=member)
    response = member_client.post("/profile/", {"display_name": "   ", "agency": "", "bio": "x" * 3000})
    assert response.status_code == 200
    body = response.content.decode()
    assert "Your profile was not saved" in body
    after = MemberProfile.objects.get(user=member)
    assert (after.display_name, after.agency, after.bio) == (before.display_name, before.agency, before.bio)


def test_member_cannot_edit_someone_elses_profile(member_client, other_member):
    # The edit view only ever edits the signed-in member's own profile.
    other = other_member.profile
    member_client.post("/profile/", {"display_name": "Hijacked", "pk": other.pk, "user": other_member.pk})
    other.refresh_from_db()
    assert other.display_name != "Hijacked"


# --- Sign-in --------------------------------------------------------------------


def _login(client, email, password=TEST_PASSWORD):
    return client.post("/accounts/login/", {"login": email, "password": password})


def test_lockout_after_five_failures_in_fifteen_minutes(member, administrator_client):
    client = Client()
    for _ in range(5):
        response = _login(client, member.email, "wrong-password-123")
        assert response.status_code == 200
    response = _login(client, member.email)
    assert response.status_code == 200
    assert "This account is locked for 15 minutes" in response.content.decode()
    assert AuditEvent.objects.filter(action="login.failed", target_repr=member.email).count() == 5
    assert AuditEvent.objects.filter(action="login.locked", target_repr=member.email).count() == 1
    assert AuditEvent.objects.filter(action="login.blocked", target_repr=member.email).exists()

    # The administrator sees and lifts the lock.
    page = administrator_client.get("/admin/connect/lockouts/")
    assert member.email in page.content.decode()
    administrator_client.post("/admin/connect/lockouts/", {"email": member.email})
    assert AuditEvent.objects.filter(action="login.unlocked", target_repr=member.email).exists()
    response = _login(client, member.email)
    assert response.status_code == 302
    assert response["Location"] == "/accounts/2fa/authenticate/"


def test_lockout_expires_after_the_window(member):
    client = Client()
    for _ in range(5):
        _login(client, member.email, "wrong-password-123")
    assert "locked" in _login(client, member.email).content.decode()
    # Sixteen minutes later the failures no longer count (backdated past the
    # append-only guard, as only a test may).
    AuditEvent._base_manager.filter(target_repr=member.email).update(
        created_at=timezone.now() - timedelta(minutes=16)
    )
    assert _login(client, member.email).status_code == 302


def test_lockout_of_unknown_email_looks_the_same(db):
    client = Client()
    for _ in range(5):
        _login(client, "nobody@nowhere.example", "wrong-password-123")
    assert (
        "This account is locked for 15 minutes" in _login(client, "nobody@nowhere.example").content.decode()
    )


def test_wrong_totp_code_does_not_sign_in(member):
    client = Client()
    _login(client, member.email)
    response = client.post(
        "/accounts/2fa/authenticate/", {"code": "000000"}, HTTP_USER_AGENT="Guessing browser"
    )
    assert response.status_code == 200
    failed = AuditEvent.objects.get(action="mfa.failed")
    assert (failed.actor, failed.outcome, failed.user_agent) == (member, "failure", "Guessing browser")
    assert failed.detail == {"type": "totp", "reauthentication": False}
    assert client.get("/members/").status_code == 302
    response = client.post("/accounts/2fa/authenticate/", {"code": totp_code(TEST_TOTP_SECRET)})
    assert response.status_code == 302


def test_password_reset_does_not_reveal_accounts(member):
    responses = []
    for email in [member.email, "nobody@nowhere.example"]:
        response = Client().post("/accounts/password/reset/", {"email": email})
        responses.append((response.status_code, response["Location"]))
    assert responses[0] == responses[1] == (302, "/accounts/password/reset/done/")


def test_password_reset_emails_only_the_real_account_a_link(member, django_capture_on_commit_callbacks):
    from django.core import mail

    mail.outbox.clear()
    for email in [member.email, "nobody@nowhere.example"]:
        with django_capture_on_commit_callbacks(execute=True):
            Client().post("/accounts/password/reset/", {"email": email})
    known = [m for m in mail.outbox if member.email in m.to]
    unknown = [m for m in mail.outbox if "nobody@nowhere.example" in m.to]
    assert len(known) == 1 and "/accounts/password/reset/key/" in known[0].body
    assert all("/accounts/password/reset/key/" not in m.body for m in unknown)
    assert len(mail.outbox) == len(known) + len(unknown)


def _login_errors(response):
    assert response.status_code == 200
    return [str(e) for e in response.context["form"].non_field_errors()]


def test_login_errors_do_not_tell_accounts_apart(member):
    known = _login_errors(_login(Client(), member.email, "wrong-password-123"))
    unknown = _login_errors(_login(Client(), "nobody@nowhere.example", "wrong-password-123"))
    assert known == unknown and known
    # Once locked, the right password and a wrong one get the same answer,
    # and so does an address with no account.
    client = Client()
    for email in [member.email, "nobody@nowhere.example"]:
        for _ in range(5):
            _login(client, email, "wrong-password-123")
    locked_right = _login_errors(_login(Client(), member.email))
    locked_wrong = _login_errors(_login(Client(), member.email, "wrong-password-123"))
    locked_unknown = _login_errors(_login(Client(), "nobody@nowhere.example", "wrong-password-123"))
    assert locked_right == locked_wrong == locked_unknown
    assert "locked" in locked_right[0]


def test_password_reset_rate_limited_per_email(member):
    client = Client()
    codes = [client.post("/accounts/password/reset/", {"email": member.email}).status_code for _ in range(6)]
    assert codes[:5] == [302] * 5
    assert codes[5] == 429


def test_rate_limits_use_the_shared_cache(settings):
    from django.core.cache import caches

    # allauth keeps its counters in the default cache: Redis when REDIS_URL is set.
    assert settings.ACCOUNT_RATE_LIMITS["login_failed"]
    assert caches["default"] is not None
    if settings.REDIS_URL:
        assert settings.CACHES["default"]["BACKEND"] == "connect.cache.ResilientRedisCache"


# --- Sessions -------------------------------------------------------------------


def _age_session(client, *, idle=0, age=0):
    session = client.session
    now = time.time()
    session["connect_last_seen"] = now - idle
    session["connect_started"] = now - age
    session.save()


def test_session_ends_after_thirty_minutes_idle(member_client):
    _age_session(member_client, idle=29 * 60, age=29 * 60)
    assert member_client.get("/members/").status_code == 200
    _age_session(member_client, idle=31 * 60, age=31 * 60)
    response = member_client.get("/members/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    page = member_client.get(response["Location"])
    assert "30 minutes without activity" in page.content.decode()
    assert member_client.get("/members/").status_code == 302


def test_session_ends_after_twelve_hours_in_all(member_client):
    _age_session(member_client, idle=60, age=12 * 3600 + 60)
    response = member_client.get("/members/")
    assert response["Location"].startswith("/accounts/login/")
    assert "at most 12 hours" in member_client.get(response["Location"]).content.decode()


def test_deactivated_member_sessions_are_ended(member, administrator, administrator_client):
    from django.contrib.sessions.models import Session

    sessions = []
    for _ in range(2):
        client = Client()
        client.force_login(member)
        assert client.get("/members/").status_code == 200
        sessions.append(client)
    response = administrator_client.post(
        f"/admin/connect/members/{member.pk}/", {"action": "deactivate", "reason": "Left the agency"}
    )
    assert response.status_code == 302
    member.refresh_from_db()
    assert not member.is_active
    for client in sessions:
        assert not Session.objects.filter(session_key=client.session.session_key).exists()
        assert client.get("/members/")["Location"].startswith("/accounts/login/")
    event = AuditEvent.objects.get(action="member.deactivated", target_id=str(member.pk))
    assert event.actor == administrator
    assert event.detail["sessions_ended"] >= 2
    # And a password no longer lets them in.
    client = Client()
    assert _login(client, member.email)["Location"] == "/accounts/inactive/"
    assert client.get("/members/")["Location"].startswith("/accounts/login/")


def test_member_deactivated_directly_in_database_is_rejected(member_client, member):
    User.objects.filter(pk=member.pk).update(is_active=False)
    response = member_client.get("/members/")
    assert response["Location"].startswith("/accounts/login/")


def test_password_change_ends_other_sessions(member):
    other = Client()
    other.force_login(member)
    this = Client()
    _login(this, member.email)
    this.post("/accounts/2fa/authenticate/", {"code": totp_code(TEST_TOTP_SECRET)})
    assert this.get("/members/").status_code == 200
    response = this.post(
        "/accounts/password/change/",
        {"oldpassword": TEST_PASSWORD, "password1": PASSWORD, "password2": PASSWORD},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert this.get("/members/").status_code == 200
    assert other.get("/members/")["Location"].startswith("/accounts/login/")
    assert AuditEvent.objects.filter(action="password.changed", actor=member).exists()


def test_deactivation_by_any_path_ends_sessions(member_client, member, django_capture_on_commit_callbacks):
    from django.contrib.sessions.models import Session

    key = member_client.session.session_key
    with django_capture_on_commit_callbacks(execute=True):
        member.is_active = False
        member.save()
    assert not Session.objects.filter(session_key=key).exists()


def test_recovery_code_signs_in_once(member):
    from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes

    code = RecoveryCodes.activate(member).get_unused_codes()[0]
    client = Client()
    _login(client, member.email)
    client.post("/accounts/2fa/authenticate/", {"code": code})
    assert client.get("/members/").status_code == 200

    again = Client()
    _login(again, member.email)
    response = again.post("/accounts/2fa/authenticate/", {"code": code})
    assert response.status_code == 200
    assert again.get("/members/").status_code == 302
