"""Sharing a resource passes the privacy guard: the member sees what was found and removes it or confirms."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from connect.models import AuditEvent
from resources.models import ResourcePage, SharedResource

from .conftest import make_pdf_bytes

pytestmark = pytest.mark.django_db

URL = "/library/share/"


def _post(client, **data):
    payload = {
        "title": "Our referral protocol",
        "summary": "How our partners refer cases.",
        "resource_type": "template",
        "external_url": "https://www.example.org/protocol",
        **data,
    }
    return client.post(URL, payload)


def test_share_with_a_victims_details_shows_them_and_creates_nothing(member_client, library):
    response = _post(
        member_client,
        title="Intake notes for Maria Gonzalez",
        summary="The victim, Maria Gonzalez, DOB 03/14/2009, cell (305) 555-0182.",
    )

    assert response.status_code == 400
    html = response.content.decode()
    assert "This may identify a victim" in html
    assert "03/14/2009" in html and "(305) 555-0182" in html and "Maria Gonzalez" in html
    assert 'name="confirm_privacy"' in html
    assert not ResourcePage.objects.filter(title__contains="Maria").exists()


def test_share_checks_the_file_name(member_client, library):
    upload = SimpleUploadedFile(
        "victim maria lopez dob 01-02-2009.pdf", make_pdf_bytes(), content_type="application/pdf"
    )

    response = _post(member_client, external_url="", file=upload)

    assert response.status_code == 400
    assert "This may identify a victim" in response.content.decode()
    assert not SharedResource.objects.exists()


def test_confirmed_share_goes_to_review_and_the_audit_names_only_the_kinds(member_client, library):
    data = {"summary": "Template from the victim, Maria Gonzalez.", "confirm_privacy": "on"}

    response = _post(member_client, **data)

    assert response.status_code == 302
    page = ResourcePage.objects.get(title="Our referral protocol")
    assert not page.live
    event = AuditEvent.objects.get(action="resource.shared")
    assert event.detail["privacy_findings"] == ["named_person"]
    assert "Gonzalez" not in str(event.detail)


def test_ordinary_share_is_not_asked_anything(member_client, library):
    response = _post(member_client)

    assert response.status_code == 302


def test_review_emails_to_moderators_carry_no_member_written_text(
    member_client, moderator, library, django_capture_on_commit_callbacks
):
    from django.core import mail

    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = _post(
            member_client,
            title="Intake notes for Maria Gonzalez",
            summary="Notes from the victim, Maria Gonzalez.",
            confirm_privacy="on",
        )

    assert response.status_code == 302
    to_moderator = [m for m in mail.outbox if moderator.email in m.to]
    assert to_moderator, [m.subject for m in mail.outbox]
    for message in to_moderator:
        assert message.subject == "[Task Force Connect] A shared resource is waiting for review"
        rendered = message.body + "".join(str(part[0]) for part in getattr(message, "alternatives", []))
        assert "Maria" not in rendered and "Gonzalez" not in rendered and "Intake notes" not in rendered
        page = ResourcePage.objects.get(title="Intake notes for Maria Gonzalez")
        assert f"/admin/pages/{page.pk}/edit/" in rendered
