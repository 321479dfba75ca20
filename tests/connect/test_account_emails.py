"""allauth's emails in the site's voice: the site's name, sentence-case
subjects, the site's sender, and every link built from CONNECT_BASE_URL (never
from the host a request happened to arrive on)."""

import re

import pytest
from allauth.account.adapter import get_adapter
from allauth.account.models import EmailAddress
from allauth.core import context as allauth_context
from django.core import mail
from django.test import Client, RequestFactory

from tests.factories import TEST_PASSWORD

pytestmark = pytest.mark.django_db

BASE = "https://connect.example.test"
PREFIX = "[Task Force Connect] "


@pytest.fixture(autouse=True)
def _base_url(settings):
    settings.CONNECT_BASE_URL = BASE
    settings.DEFAULT_FROM_EMAIL = "Task Force Connect <no-reply@connect.example.test>"


def _links(message):
    html = next(content for content, mimetype in message.alternatives if mimetype == "text/html")
    return re.findall(r"https?://[^\s<>\"']+", message.body), html


def _assert_in_site_voice(message, subject):
    assert message.subject == PREFIX + subject
    assert message.from_email.startswith("Task Force Connect <")
    assert message.extra_headers.get("Auto-Submitted") == "auto-generated"
    links, html = _links(message)
    assert all(link.startswith(BASE + "/") for link in links), links
    # allauth's defaults name the site after the request's host.
    for text in (message.subject, message.body, html):
        assert "testserver" not in text
        assert "example.com" not in text
    assert "Task Force Connect" in message.body
    return links


def test_password_reset_email_links_to_the_base_url(member, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        Client().post("/accounts/password/reset/", {"email": member.email})
    (message,) = mail.outbox
    links = _assert_in_site_voice(message, "Reset your password")
    reset = next(link for link in links if "/accounts/password/reset/key/" in link)
    assert message.body.startswith(f"Hello {member.first_name},")

    # The link works, and the reset itself is announced in the same voice.
    mail.outbox.clear()
    client = Client()
    response = client.get(reset.removeprefix(BASE), follow=True)
    form_path = response.redirect_chain[-1][0] if response.redirect_chain else reset.removeprefix(BASE)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            form_path, {"password1": "a-new-pass-phrase-42", "password2": "a-new-pass-phrase-42"}
        )
    assert response.status_code == 302
    (notice,) = mail.outbox
    _assert_in_site_voice(notice, "Your password was reset")
    assert BASE + "/accounts/password/reset/" in notice.body


def test_password_reset_for_an_unknown_address_speaks_the_same_voice(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        Client().post("/accounts/password/reset/", {"email": "nobody@nowhere.test.example"})
    (message,) = mail.outbox
    links = _assert_in_site_voice(message, "Password reset requested")
    assert BASE + "/join/request/" in links
    assert message.body.startswith("Hello there,")


def test_password_change_sends_a_security_notice(member_client, member, django_capture_on_commit_callbacks):
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = member_client.post(
            "/accounts/password/change/",
            {
                "oldpassword": TEST_PASSWORD,
                "password1": "another-pass-phrase-7",
                "password2": "another-pass-phrase-7",
            },
        )
    assert response.status_code == 302
    (notice,) = [m for m in mail.outbox if m.to == [member.email]]
    _assert_in_site_voice(notice, "Your password was changed")
    assert "Network address: 127.0.0.1" in notice.body


def _request(user):
    request = RequestFactory().get("/", REMOTE_ADDR="127.0.0.1", HTTP_USER_AGENT="Test browser")
    request.user = user
    request.session = Client().session
    return request


def test_email_confirmation_links_to_the_base_url(member, django_capture_on_commit_callbacks):
    address = EmailAddress.objects.create(user=member, email="second@tf.test.example", verified=False)
    request = _request(member)
    with allauth_context.request_context(request), django_capture_on_commit_callbacks(execute=True):
        address.send_confirmation(request)
    (message,) = mail.outbox
    links = _assert_in_site_voice(message, "Confirm your email address")
    assert any(link.startswith(BASE + "/accounts/confirm-email/") for link in links)
    assert "second@tf.test.example" in message.body


@pytest.mark.parametrize(
    ("template", "subject"),
    [
        ("account/email/password_changed", "Your password was changed"),
        ("account/email/password_set", "A password was set on your account"),
        ("account/email/password_reset", "Your password was reset"),
        ("mfa/email/totp_activated", "An authenticator app was added"),
        ("mfa/email/totp_deactivated", "Your authenticator app was removed"),
        ("mfa/email/recovery_codes_generated", "New recovery codes were made"),
        ("mfa/email/webauthn_added", "A security key was added"),
        ("mfa/email/webauthn_removed", "A security key was removed"),
    ],
)
def test_security_notices_speak_in_the_sites_voice(
    member, template, subject, django_capture_on_commit_callbacks
):
    request = _request(member)
    with allauth_context.request_context(request), django_capture_on_commit_callbacks(execute=True):
        get_adapter(request).send_notification_mail(template, member)
    (message,) = mail.outbox
    assert message.to == [member.email]
    _assert_in_site_voice(message, subject)
    assert "Browser: Test browser" in message.body
    assert "help@" in message.body


def test_every_allauth_email_template_is_overridden():
    """A new allauth email would otherwise go out in allauth's words and title-case subject."""
    from pathlib import Path

    import allauth
    from django.conf import settings

    shipped = Path(allauth.__file__).parent / "templates"
    ours = Path(settings.BASE_DIR) / "templates"
    skipped = {"login_code", "password_reset_code"}  # sign-in and reset codes are off (settings)
    for folder in ("account/email", "mfa/email"):
        for path in (shipped / folder).glob("*_subject.txt"):
            name = path.name.removesuffix("_subject.txt")
            if name in skipped:
                continue
            assert (ours / folder / path.name).exists(), path.name
            assert (ours / folder / f"{name}_message.txt").exists(), name
