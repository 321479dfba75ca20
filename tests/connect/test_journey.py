"""The whole membership journey through the test client: request → review
warnings → approve in the Wagtail admin → invitation email → signup with the
link → email verification → MFA setup → first page. And a denial."""

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import SECRET_SESSION_KEY
from django.core import mail
from django.test import Client

from connect.models import AuditEvent, Invitation, MembershipRequest, Role, User

from .helpers import REQUEST_DATA, last_link, path_of, totp_code

pytestmark = pytest.mark.django_db


@pytest.fixture
def roster_task_force(task_force):
    task_force.email_domains = "tf0.test.example"
    task_force.save()
    return task_force


def _request_account(client, task_force, **changes):
    data = {**REQUEST_DATA, "task_force": task_force.pk, **changes}
    return client.post("/join/request/", data)


def test_membership_journey_from_request_to_first_page(
    roster_task_force, moderator_client, django_capture_on_commit_callbacks
):
    visitor = Client()

    # 1. Request an account.
    response = _request_account(visitor, roster_task_force)
    assert response.status_code == 302
    assert response["Location"] == "/join/request/sent/"
    req = MembershipRequest.objects.get(email=REQUEST_DATA["email"])
    assert req.status == MembershipRequest.Status.PENDING
    assert AuditEvent.objects.filter(action="membership.requested", target_id=str(req.pk)).exists()

    # 2. A moderator finds it in the Wagtail admin, filtered by status and task force.
    listing = moderator_client.get(
        "/admin/membership_requests/", {"status": "pending", "task_force": roster_task_force.pk}
    )
    assert listing.status_code == 200
    assert REQUEST_DATA["email"] in listing.content.decode()
    inspect = moderator_client.get(f"/admin/membership_requests/inspect/{req.pk}/")
    assert inspect.status_code == 200
    assert "Approve and send invitation" in inspect.content.decode()
    assert "Check before approving" not in inspect.content.decode()  # a clean request

    # 3. Approve: one invitation email with a single-use link.
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = moderator_client.post(f"/admin/connect/requests/{req.pk}/approve/")
    assert response.status_code == 302
    req.refresh_from_db()
    assert req.status == MembershipRequest.Status.APPROVED
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [REQUEST_DATA["email"]]
    link = path_of(last_link())
    assert link.startswith("/join/")

    # 4. The link opens signup with the email fixed to the approved one.
    response = visitor.get(link)
    assert response.status_code == 302
    assert response["Location"] == "/accounts/signup/"
    page = visitor.get("/accounts/signup/")
    assert page.status_code == 200
    body = page.content.decode()
    assert REQUEST_DATA["email"] in body
    assert "disabled" in body

    mail.outbox.clear()
    # The verification email is a task owed by the signup's transaction.
    with django_capture_on_commit_callbacks(execute=True):
        response = visitor.post(
            "/accounts/signup/",
            {
                "email": "someone.else@elsewhere.example",  # ignored: the field is fixed
                "password1": "a-long-and-unusual-passphrase-7",
                "password2": "a-long-and-unusual-passphrase-7",
            },
        )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert not User.objects.filter(email="someone.else@elsewhere.example").exists()
    user = User.objects.get(email=REQUEST_DATA["email"])
    assert user.profile.task_force == roster_task_force
    assert user.groups.filter(name=Role.MEMBER).exists()
    assert Invitation.objects.get(request=req).used_at is not None
    req.refresh_from_db()
    assert req.status == MembershipRequest.Status.JOINED

    # 5. The invitation proved the address: no "confirm your email" round trip.
    assert not [m for m in mail.outbox if "confirm-email" in m.body]
    assert EmailAddress.objects.get(user=user, email=REQUEST_DATA["email"]).verified

    # 6. Every page now sends the new member to set up MFA, and the password
    # chosen a moment ago counts as a recent authentication: no second prompt.
    for path in ["/", "/members/", "/task-forces/"]:
        response = visitor.get(path)
        assert response["Location"] == "/accounts/2fa/totp/activate/", path
    response = visitor.get("/accounts/2fa/totp/activate/")
    assert response.status_code == 200
    secret = visitor.session[SECRET_SESSION_KEY]
    with django_capture_on_commit_callbacks(execute=True):
        response = visitor.post("/accounts/2fa/totp/activate/", {"code": totp_code(secret)})
    assert response.status_code == 302
    # 7. The recovery codes, the last of three steps, lead on to the site.
    codes = visitor.get(response["Location"]).content.decode()
    assert 'Step</span> <span class="usa-step-indicator__current-step">3' in codes
    assert "I have saved my codes — continue" in codes
    assert Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
    assert Authenticator.objects.filter(user=user, type=Authenticator.Type.RECOVERY_CODES).exists()
    assert AuditEvent.objects.filter(action="mfa.added", actor=user).exists()

    # 8. First page: the members' home greets them.
    response = visitor.get("/")
    assert response.status_code == 200
    assert "Welcome, Robin Applicant" in response.content.decode()
    assert visitor.get("/members/").status_code == 200


def test_member_signs_in_with_password_and_totp(member):
    from tests.factories import TEST_PASSWORD, TEST_TOTP_SECRET

    client = Client()
    response = client.post("/accounts/login/", {"login": member.email, "password": TEST_PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/2fa/authenticate/"
    assert client.get("/members/").status_code == 302  # not signed in until the code
    response = client.post("/accounts/2fa/authenticate/", {"code": totp_code(TEST_TOTP_SECRET)})
    assert response.status_code == 302
    assert client.get("/members/").status_code == 200
    assert AuditEvent.objects.filter(action="login.succeeded", actor=member).exists()


def test_review_warnings_domain_duplicate_and_existing_account(roster_task_force, moderator_client, member):
    other_domain = {**REQUEST_DATA, "email": member.email, "task_force": roster_task_force}
    first = MembershipRequest.objects.create(**{**other_domain, "status": MembershipRequest.Status.DENIED})
    second = MembershipRequest.objects.create(**other_domain)
    inspect = moderator_client.get(f"/admin/membership_requests/inspect/{second.pk}/").content.decode()
    assert "Check before approving" in inspect
    assert "is not one of" in inspect  # member.email is on tf.test.example, not tf0.test.example
    assert "An account with this email address already exists." in inspect
    assert "other requests before (denied)" in inspect
    listing = moderator_client.get("/admin/membership_requests/").content.decode()
    assert "An account with this email address already exists." in listing
    assert "other requests before (denied)" in listing
    assert "is not one of" in listing
    assert first.pk != second.pk

    # Approving someone who already has an account changes nothing.
    mail.outbox.clear()
    moderator_client.post(f"/admin/connect/requests/{second.pk}/approve/")
    second.refresh_from_db()
    assert second.status == MembershipRequest.Status.PENDING
    assert mail.outbox == []
    assert not Invitation.objects.filter(request=second).exists()


def test_review_list_filters_by_status_and_task_force(roster_task_force, moderator_client):
    from tests.factories import TaskForceFactory

    task_force = TaskForceFactory()
    pending_here = MembershipRequest.objects.create(
        **{
            **REQUEST_DATA,
            "email": "a@tf0.test.example",
            "last_name": "Alpha",
            "task_force": roster_task_force,
        }
    )
    denied_here = MembershipRequest.objects.create(
        **{
            **REQUEST_DATA,
            "email": "b@tf0.test.example",
            "last_name": "Bravo",
            "task_force": roster_task_force,
        },
        status=MembershipRequest.Status.DENIED,
    )
    pending_there = MembershipRequest.objects.create(
        **{**REQUEST_DATA, "email": "c@tf.test.example", "last_name": "Charlie", "task_force": task_force}
    )

    def listed(query):
        response = moderator_client.get("/admin/membership_requests/", query)
        assert response.status_code == 200
        body = response.content.decode()
        return {r.email for r in (pending_here, denied_here, pending_there) if r.email in body}

    assert listed({}) == {"a@tf0.test.example", "b@tf0.test.example", "c@tf.test.example"}
    assert listed({"status": "pending"}) == {"a@tf0.test.example", "c@tf.test.example"}
    assert listed({"task_force": roster_task_force.pk}) == {"a@tf0.test.example", "b@tf0.test.example"}
    assert listed({"status": "pending", "task_force": roster_task_force.pk}) == {"a@tf0.test.example"}


def test_review_list_query_count_does_not_grow_with_requests(moderator_client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.factories import MembershipRequestFactory

    moderator_client.get("/admin/membership_requests/")  # the session's first touch writes once
    counts = []
    for batch in (2, 18):
        MembershipRequestFactory.create_batch(batch)
        with CaptureQueriesContext(connection) as queries:
            response = moderator_client.get("/admin/membership_requests/")
        assert response.status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1], counts


@pytest.mark.parametrize("first", ["approve", "deny"])
def test_a_request_is_decided_once(
    first, roster_task_force, moderator_client, django_capture_on_commit_callbacks
):
    """A double click, a second tab or a second reviewer: one decision, one
    email, one audit event."""
    req = MembershipRequest.objects.create(**{**REQUEST_DATA, "task_force": roster_task_force})
    mail.outbox.clear()
    approve = f"/admin/connect/requests/{req.pk}/approve/"
    deny = f"/admin/connect/requests/{req.pk}/deny/"
    decide = {"approve": (approve, {}), "deny": (deny, {"reason": "Not a task-force member."})}
    for url, data in [decide[first], decide[first], (approve, {}), (deny, {"reason": "Second thoughts."})]:
        with django_capture_on_commit_callbacks(execute=True):
            response = moderator_client.post(url, data, follow=True)
        assert response.status_code == 200
    req.refresh_from_db()
    assert req.status == ("approved" if first == "approve" else "denied")
    assert len(mail.outbox) == 1
    decisions = AuditEvent.objects.filter(action__in=["membership.approved", "membership.denied"])
    assert decisions.count() == 1
    assert Invitation.objects.filter(request=req).count() == (1 if first == "approve" else 0)
    assert "Only pending requests can be" in response.content.decode()


def test_denial_with_reason_emails_the_applicant(
    roster_task_force, moderator_client, moderator, django_capture_on_commit_callbacks
):
    req = MembershipRequest.objects.create(**{**REQUEST_DATA, "task_force": roster_task_force})
    mail.outbox.clear()

    # Without a reason nothing happens.
    moderator_client.post(f"/admin/connect/requests/{req.pk}/deny/", {"reason": "  "})
    req.refresh_from_db()
    assert req.status == MembershipRequest.Status.PENDING
    assert mail.outbox == []

    with django_capture_on_commit_callbacks(execute=True):
        moderator_client.post(
            f"/admin/connect/requests/{req.pk}/deny/",
            {"reason": "We could not confirm your role with the task-force coordinator."},
        )
    req.refresh_from_db()
    assert req.status == MembershipRequest.Status.DENIED
    assert req.reviewed_by == moderator
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [REQUEST_DATA["email"]]
    assert "could not confirm your role" in mail.outbox[0].body
    assert AuditEvent.objects.filter(action="membership.denied", actor=moderator).exists()

    # A decided request cannot be decided again.
    moderator_client.post(f"/admin/connect/requests/{req.pk}/approve/")
    req.refresh_from_db()
    assert req.status == MembershipRequest.Status.DENIED
    assert len(mail.outbox) == 1


def test_members_cannot_review_requests(roster_task_force, member_client):
    req = MembershipRequest.objects.create(**{**REQUEST_DATA, "task_force": roster_task_force})
    assert member_client.post(f"/admin/connect/requests/{req.pk}/approve/").status_code == 404
    assert member_client.get("/admin/membership_requests/").status_code == 404
    req.refresh_from_db()
    assert req.status == MembershipRequest.Status.PENDING


def test_moderator_sends_a_new_invitation_when_the_first_expired(
    roster_task_force, moderator_client, moderator, django_capture_on_commit_callbacks
):
    from datetime import timedelta

    from django.utils import timezone

    req = MembershipRequest.objects.create(**{**REQUEST_DATA, "task_force": roster_task_force})
    # Not possible before approval.
    moderator_client.post(f"/admin/connect/requests/{req.pk}/reinvite/")
    assert not Invitation.objects.filter(request=req).exists()

    with django_capture_on_commit_callbacks(execute=True):
        moderator_client.post(f"/admin/connect/requests/{req.pk}/approve/")
    first = path_of(last_link())
    Invitation.objects.filter(request=req).update(expires_at=timezone.now() - timedelta(minutes=1))
    assert Client().get(first).status_code == 410
    inspect = moderator_client.get(f"/admin/membership_requests/inspect/{req.pk}/").content.decode()
    assert "Send a new invitation" in inspect
    assert "expired" in inspect

    with django_capture_on_commit_callbacks(execute=True):
        moderator_client.post(f"/admin/connect/requests/{req.pk}/reinvite/")
    second = path_of(last_link())
    assert second != first
    assert Client().get(first).status_code == 410
    assert Client().get(second)["Location"] == "/accounts/signup/"
    assert AuditEvent.objects.filter(action="membership.reinvited", actor=moderator).exists()


def test_first_administrator_from_createsuperuser_verifies_email_and_sets_up_mfa(
    django_capture_on_commit_callbacks,
):
    User.objects.create_superuser(
        email="first.admin@agency.example.gov", password="a-long-admin-passphrase-9"
    )
    client = Client()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/accounts/login/",
            {"login": "first.admin@agency.example.gov", "password": "a-long-admin-passphrase-9"},
        )
    assert response["Location"] == "/accounts/confirm-email/"
    confirm = path_of(last_link(r"https?://\S+/accounts/confirm-email/\S+"))
    response = client.post(confirm)
    assert response.status_code == 302
    assert client.get("/admin/")["Location"] == "/accounts/2fa/totp/activate/"
    response = client.get("/accounts/2fa/totp/activate/")
    if response.status_code == 302:
        client.post(response["Location"], {"password": "a-long-admin-passphrase-9"})
    client.get("/accounts/2fa/totp/activate/")
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/accounts/2fa/totp/activate/", {"code": totp_code(client.session[SECRET_SESSION_KEY])})
    assert client.get("/admin/").status_code == 200


def test_audit_events_record_address_and_browser(member):
    Client(REMOTE_ADDR="198.51.100.23", HTTP_USER_AGENT="Firefox/140").post(
        "/accounts/login/", {"login": member.email, "password": "wrong-password-123"}
    )
    event = AuditEvent.objects.get(action="login.failed")
    assert event.ip_address == "198.51.100.23"
    assert event.user_agent == "Firefox/140"
    assert event.outcome == AuditEvent.Outcome.FAILURE
