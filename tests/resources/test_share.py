import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from wagtail.documents import get_document_model
from wagtail.models import WorkflowState

from resources.models import ResourcePage, SharedResource

from .conftest import make_pdf_bytes, png_bytes

pytestmark = pytest.mark.django_db

URL = "/library/share/"


def _post(client, upload=None, **data):
    payload = {
        "title": "Our referral protocol",
        "summary": "How our partners refer cases.",
        "resource_type": "template",
        **data,
    }
    if upload is not None:
        payload["file"] = upload
    return client.post(URL, payload)


def test_share_form_renders_with_labels(member_client, library):
    response = member_client.get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'enctype="multipart/form-data"' in html
    assert 'for="id_title"' in html and 'for="id_file"' in html


def test_share_link_creates_draft_in_review(member_client, member, library):
    response = _post(member_client, external_url="https://www.example.org/protocol")
    assert response.status_code == 302
    page = ResourcePage.objects.get(title="Our referral protocol")
    assert not page.live
    assert page.get_parent().pk == library.pk
    share = SharedResource.objects.get(page=page)
    assert share.member == member and share.status == SharedResource.Status.IN_REVIEW
    states = WorkflowState.objects.filter(object_id=str(page.pk), status=WorkflowState.STATUS_IN_PROGRESS)
    assert states.exists()
    # Not visible to members until a moderator publishes it.
    assert member_client.get(f"/resources/{page.slug}/").status_code == 404
    assert "Our referral protocol" in member_client.get(reverse("resources:my_shares")).content.decode()


def test_share_pdf_is_stored_under_random_name(member_client, library):
    upload = SimpleUploadedFile("My Protocol (final).pdf", make_pdf_bytes(), content_type="application/pdf")
    response = _post(member_client, upload=upload)
    assert response.status_code == 302
    page = ResourcePage.objects.get(title="Our referral protocol")
    name = page.document.file.name
    assert "Protocol" not in name and name.endswith(".pdf")
    # The draft's document is not downloadable by members yet.
    assert member_client.get(page.document.url).status_code == 404


def _docx_bytes():
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        archive.writestr("_rels/.rels", '<?xml version="1.0"?><Relationships/>')
        archive.writestr("word/document.xml", '<?xml version="1.0"?><w:document/>')
    return buffer.getvalue()


def test_share_docx_and_text_are_accepted(member_client, library):
    upload = SimpleUploadedFile("protocol.docx", _docx_bytes())
    assert _post(member_client, upload=upload).status_code == 302
    upload = SimpleUploadedFile("notes.txt", "Referral steps – café".encode())
    assert _post(member_client, upload=upload, title="Notes").status_code == 302


def test_share_rejects_docx_renamed_to_xlsx(member_client, library):
    response = _post(member_client, upload=SimpleUploadedFile("sheet.xlsx", _docx_bytes()))
    assert response.status_code == 200
    assert "does not match its name" in response.content.decode()


def test_share_image_upload_is_accepted(member_client, library):
    upload = SimpleUploadedFile("flyer.png", png_bytes(), content_type="image/png")
    assert _post(member_client, upload=upload).status_code == 302


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("report.pdf", b"MZ\x90\x00 this is really an executable", "does not match its name"),
        ("logo.svg", b"<svg xmlns='http://www.w3.org/2000/svg'><script>1</script></svg>", "cannot be shared"),
        ("page.html", b"<html><script>alert(1)</script></html>", "cannot be shared"),
        ("notes.txt", b"<!DOCTYPE html><html><body>hi</body></html>", "does not match its name"),
        ("empty.pdf", b"", "empty"),
    ],
)
def test_share_rejects_bad_uploads(member_client, library, name, data, message):
    before = get_document_model().objects.count()
    response = _post(member_client, upload=SimpleUploadedFile(name, data))
    assert response.status_code == 200
    html = response.content.decode()
    assert message in html
    assert "usa-alert--error" in html
    assert get_document_model().objects.count() == before
    assert not ResourcePage.objects.filter(title="Our referral protocol").exists()


def test_share_rejects_oversized_upload(member_client, library, settings):
    settings.RESOURCES_MAX_UPLOAD_SIZE = 64 * 1024
    data = make_pdf_bytes() + b"0" * (200 * 1024)
    before = get_document_model().objects.count()
    response = _post(member_client, upload=SimpleUploadedFile("big.pdf", data))
    assert response.status_code == 200
    assert "larger than" in response.content.decode()
    assert get_document_model().objects.count() == before


def test_share_over_django_memory_limit_still_gets_form_error(member_client, library, settings):
    settings.RESOURCES_MAX_UPLOAD_SIZE = 3 * 1024 * 1024
    data = make_pdf_bytes() + b"0" * (4 * 1024 * 1024)  # over FILE_UPLOAD_MAX_MEMORY_SIZE too
    response = _post(member_client, upload=SimpleUploadedFile("big.pdf", data))
    assert response.status_code == 200
    assert "larger than 3 MB" in response.content.decode()


def test_share_needs_link_or_file(member_client, library):
    response = _post(member_client)
    assert response.status_code == 200
    assert "Give a link or upload a file" in response.content.decode()


def test_share_requires_csrf(member, library):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(member)
    response = client.post(URL, {"title": "x", "summary": "y", "resource_type": "guide"})
    assert response.status_code == 403


def test_member_is_emailed_when_share_is_published(
    member_client, member, library, django_capture_on_commit_callbacks
):
    _post(member_client, external_url="https://www.example.org/protocol")
    page = ResourcePage.objects.get(title="Our referral protocol")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        page.get_latest_revision().publish()
    assert SharedResource.objects.get(page=page).status == SharedResource.Status.PUBLISHED
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [member.email]
    assert "Our referral protocol" in mail.outbox[0].body
    assert page.url in mail.outbox[0].body


def test_member_is_emailed_when_share_is_rejected(
    member_client, member, moderator, library, django_capture_on_commit_callbacks
):
    _post(member_client, external_url="https://www.example.org/protocol")
    page = ResourcePage.objects.get(title="Our referral protocol")
    state = WorkflowState.objects.get(object_id=str(page.pk), status=WorkflowState.STATUS_IN_PROGRESS)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        state.current_task_state.task.specific.on_action(state.current_task_state, moderator, "reject")
    assert SharedResource.objects.get(page=page).status == SharedResource.Status.DECLINED
    # One notice, ours: Wagtail's own links into the admin, which members cannot use.
    assert [m.subject for m in mail.outbox if m.to == [member.email]] == [
        "[Task Force Connect] Your shared resource was not added to the library"
    ]


def test_moderator_approves_share_in_admin_and_member_is_told(
    moderator_client, member_client, member, library, django_capture_on_commit_callbacks
):
    _post(member_client, external_url="https://www.example.org/protocol")
    page = ResourcePage.objects.get(title="Our referral protocol")
    assert moderator_client.get(reverse("wagtailadmin_pages:edit", args=[page.pk])).status_code == 200
    state = WorkflowState.objects.get(object_id=str(page.pk), status=WorkflowState.STATUS_IN_PROGRESS)
    url = reverse(
        "wagtailadmin_pages:workflow_action", args=[page.pk, "approve", state.current_task_state.pk]
    )
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = moderator_client.post(url, {"comment": ""})
    assert response.status_code in (200, 302)
    page.refresh_from_db()
    assert page.live
    assert member_client.get(page.url).status_code == 200
    assert [m.subject for m in mail.outbox if m.to == [member.email]] == [
        "[Task Force Connect] Your shared resource was published"
    ]


def _stored_files():
    from django.conf import settings

    root = settings.MEDIA_ROOT
    import pathlib

    return sorted(str(p) for p in pathlib.Path(root).rglob("*") if p.is_file() and "documents" in p.parts)


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("report.pdf", b"MZ\x90\x00 this is really an executable"),
        ("logo.svg", b"<svg xmlns='http://www.w3.org/2000/svg'/>"),
        ("page.html", b"<html></html>"),
        ("empty.pdf", b""),
    ],
)
def test_rejected_upload_leaves_no_file_on_disk(member_client, library, name, data):
    before = _stored_files()
    response = _post(member_client, upload=SimpleUploadedFile(name, data))
    assert response.status_code == 200
    assert _stored_files() == before


def test_oversized_upload_leaves_no_file_on_disk(member_client, library, settings):
    settings.RESOURCES_MAX_UPLOAD_SIZE = 64 * 1024
    before = _stored_files()
    data = make_pdf_bytes() + b"0" * (3 * 1024 * 1024)
    response = _post(member_client, upload=SimpleUploadedFile("big.pdf", data))
    assert "larger than" in response.content.decode()
    assert _stored_files() == before


def test_failed_share_keeps_what_was_typed_and_asks_for_the_file_again(member_client, library, topic):
    upload = SimpleUploadedFile("protocol.pdf", make_pdf_bytes(), content_type="application/pdf")
    response = _post(
        member_client,
        upload=upload,
        title="",  # the mistake
        summary="Steps our partners follow.",
        resource_type="checklist",
        topics=[topic.pk],
        external_url="https://www.example.org/also-a-link",
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "Steps our partners follow." in html
    assert '<option value="checklist" selected>' in html
    assert f'value="{topic.pk}" id="id_topics_0" checked' in html
    assert 'value="https://www.example.org/also-a-link"' in html
    assert "choose it again" in html
    assert not get_document_model().objects.exists()
    # No file given: no such notice.
    response = _post(member_client, title="", external_url="https://www.example.org/x")
    assert "choose it again" not in response.content.decode()


def test_share_sent_twice_creates_one_draft(member_client, member, library):
    form = member_client.get(URL).content.decode()
    import re

    token = re.search(r'name="submission" value="([0-9a-f]{32})"', form).group(1)
    before = _stored_files()
    upload = lambda: SimpleUploadedFile("p.pdf", make_pdf_bytes(), content_type="application/pdf")  # noqa: E731
    first = _post(member_client, upload=upload(), submission=token)
    second = _post(member_client, upload=upload(), submission=token)
    assert first.status_code == second.status_code == 302
    assert ResourcePage.objects.filter(title="Our referral protocol").count() == 1
    assert SharedResource.objects.filter(member=member).count() == 1
    assert get_document_model().objects.count() == 1
    assert len(_stored_files()) == len(before) + 1
    # A new form is a new submission.
    token2 = re.search(r'name="submission" value="([0-9a-f]{32})"', member_client.get(URL).content.decode())
    assert token2.group(1) != token
    assert (
        _post(member_client, external_url="https://www.example.org/p", submission=token2.group(1)).status_code
        == 302
    )
    assert SharedResource.objects.filter(member=member).count() == 2


def test_resource_share_same_submission_twice_returns_first(member, library):
    from resources.services import resource_share

    kwargs = dict(
        member=member,
        title="Twice",
        summary="s",
        resource_type="guide",
        topics=[],
        external_url="https://www.example.org/t",
        submission_token="a" * 32,
    )
    first = resource_share(**kwargs)
    assert resource_share(**kwargs).pk == first.pk
    assert ResourcePage.objects.filter(title="Twice").count() == 1


def test_shared_upload_in_review_is_not_downloadable_by_other_members(member_client, library):
    from tests.factories import make_member

    upload = SimpleUploadedFile("protocol.pdf", make_pdf_bytes(), content_type="application/pdf")
    _post(member_client, upload=upload)
    page = ResourcePage.objects.get(title="Our referral protocol")
    from django.test import Client

    other = Client()
    other.force_login(make_member())
    assert other.get(page.document.url).status_code == 404
    assert member_client.get(page.document.url).status_code == 404


def test_moderator_rejects_share_in_admin_and_member_is_told(
    moderator_client, member_client, member, library, django_capture_on_commit_callbacks
):
    _post(member_client, external_url="https://www.example.org/protocol")
    page = ResourcePage.objects.get(title="Our referral protocol")
    state = WorkflowState.objects.get(object_id=str(page.pk), status=WorkflowState.STATUS_IN_PROGRESS)
    url = reverse("wagtailadmin_pages:workflow_action", args=[page.pk, "reject", state.current_task_state.pk])
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = moderator_client.post(url, {"comment": "Out of scope"})
    assert response.status_code in (200, 302)
    page.refresh_from_db()
    assert not page.live
    assert SharedResource.objects.get(page=page).status == SharedResource.Status.DECLINED
    assert [m.subject for m in mail.outbox if m.to == [member.email]] == [
        "[Task Force Connect] Your shared resource was not added to the library"
    ]
    assert "Not accepted" in member_client.get(reverse("resources:my_shares")).content.decode()


def test_share_over_the_hourly_limit_is_refused_and_keeps_what_was_typed(
    member_client, member, other_member, library, topic, monkeypatch
):
    from django.test import Client

    from resources import views

    monkeypatch.setattr(views, "SHARES_PER_HOUR", 2)
    for n in range(2):
        response = _post(member_client, title=f"Share {n}", external_url=f"https://www.example.org/{n}")
        assert response.status_code == 302
    response = _post(
        member_client,
        title="One too many",
        summary="Typed with care.",
        topics=[topic.pk],
        external_url="https://www.example.org/more",
    )
    assert response.status_code == 429
    html = response.content.decode()
    assert "You have shared 2 resources in the last hour" in html
    assert 'value="One too many"' in html and "Typed with care." in html
    assert 'value="https://www.example.org/more"' in html
    assert SharedResource.objects.filter(member=member).count() == 2
    assert not ResourcePage.objects.filter(title="One too many").exists()
    # The limit is the member's own: someone else may still share.
    other = Client()
    other.force_login(other_member)
    assert _post(other, title="Theirs", external_url="https://www.example.org/theirs").status_code == 302


def test_moderators_review_emails_carry_no_member_written_title(
    member_client, moderator, library, django_capture_on_commit_callbacks
):
    title = "Safety plan for Maria Lopez"
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        _post(member_client, title=title, external_url="https://www.example.org/plan")
    page = ResourcePage.objects.get(title=title)
    to_moderator = [m for m in mail.outbox if m.to == [moderator.email]]
    assert to_moderator, [m.subject for m in mail.outbox]
    for message in to_moderator:
        text = (
            message.subject + message.body + "".join(str(c) for c, _ in getattr(message, "alternatives", []))
        )
        assert "Maria" not in text and "Lopez" not in text and "maria" not in text.lower()
        assert message.subject.startswith("[Task Force Connect] A shared resource")
        assert reverse("wagtailadmin_pages:edit", args=[page.pk]) in message.body
