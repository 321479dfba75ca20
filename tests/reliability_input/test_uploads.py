"""A failed or interrupted share never leaves its file behind."""

import os
import time
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from wagtail.documents import get_document_model

from connect.files import CheckedFile
from resources import services
from resources.models import SharedResource
from resources.uploads import remove_orphaned_files
from tests.resources.conftest import make_pdf_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.FILE_UPLOAD_TEMP_DIR = tmp_path / "upload-tmp"
    settings.FILE_UPLOAD_TEMP_DIR.mkdir()
    return settings.MEDIA_ROOT


def _stored_documents(media):
    return (
        [p for p in (media / "documents").rglob("*") if p.is_file()] if (media / "documents").exists() else []
    )


def _age(path, days):
    old = time.time() - days * 86400
    os.utime(path, (old, old))


def test_resource_share_removes_the_file_when_the_transaction_rolls_back(
    member_client, library, media, monkeypatch
):
    def failing_audit(**kwargs):
        raise RuntimeError("the audit log is unavailable")

    monkeypatch.setattr(services, "audit_record", failing_audit)
    member_client.raise_request_exception = False
    upload = SimpleUploadedFile("protocol.pdf", make_pdf_bytes(), content_type="application/pdf")

    response = member_client.post(
        "/library/share/",
        {"title": "Protocol", "summary": "Our protocol.", "resource_type": "template", "file": upload},
    )

    assert response.status_code == 500
    assert not SharedResource.objects.exists()
    assert not get_document_model().objects.exists()
    assert _stored_documents(media) == []


def test_remove_orphaned_files_deletes_old_unnamed_files_only(library, media, member, settings):
    share = services.resource_share(
        member=member,
        title="Kept",
        summary="A document a row names.",
        resource_type="template",
        topics=[],
        upload=SimpleUploadedFile("kept.pdf", make_pdf_bytes()),
        checked=CheckedFile(name="kept.pdf", extension=".pdf", content_type="application/pdf"),
    )
    kept = Path(share.page.document.file.path)
    orphan = media / "documents" / "left-by-a-killed-process.pdf"
    fresh = media / "documents" / "upload-in-progress.pdf"
    temp = Path(settings.FILE_UPLOAD_TEMP_DIR) / "tmpab12cd.upload.pdf"
    for path in (orphan, fresh, temp):
        path.write_bytes(b"%PDF-1.4")
    for path in (kept, orphan, temp):
        _age(path, 2)

    call_command("remove_orphaned_uploads", stdout=open(os.devnull, "w"))

    assert kept.exists()
    assert fresh.exists()
    assert not orphan.exists()
    assert not temp.exists()


def test_remove_orphaned_files_dry_run_deletes_nothing(media):
    orphan = media / "documents" / "orphan.txt"
    orphan.parent.mkdir(parents=True)
    orphan.write_text("x")
    _age(orphan, 2)

    assert remove_orphaned_files(dry_run=True) == [orphan]
    assert orphan.exists()


def _files(directory):
    return [p for p in Path(directory).rglob("*") if p.is_file()] if Path(directory).exists() else []


def test_resource_share_of_20_mb_rolled_back_leaves_no_file_and_no_temporary_file(
    member_client, library, media, monkeypatch, settings
):
    seen = {}

    def failing_audit(**kwargs):
        # The moment before the commit: the file is stored and the upload is on disk.
        seen["stored"], seen["temporary"] = _files(media), _files(settings.FILE_UPLOAD_TEMP_DIR)
        raise RuntimeError("the audit log is unavailable")

    monkeypatch.setattr(services, "audit_record", failing_audit)
    member_client.raise_request_exception = False
    data = make_pdf_bytes() + b"\n%" + b"x" * (20 * 1024 * 1024)  # over the in-memory limit: a temporary file
    upload = SimpleUploadedFile("casebook.pdf", data, content_type="application/pdf")

    response = member_client.post(
        "/library/share/",
        {"title": "Casebook", "summary": "Our casebook.", "resource_type": "template", "file": upload},
    )

    assert response.status_code == 500
    assert len(seen["stored"]) == 1 and len(seen["temporary"]) == 1
    assert "was not saved" in response.content.decode()
    assert not SharedResource.objects.exists()
    assert _files(media) == []
    assert _files(settings.FILE_UPLOAD_TEMP_DIR) == []


def test_tasks_housekeeping_removes_files_a_killed_upload_left_behind(library, media, settings):
    from connect.tasks import tasks_housekeeping

    orphan = media / "documents" / "stored-before-the-process-was-killed.pdf"
    orphan.parent.mkdir(parents=True)
    temp = Path(settings.FILE_UPLOAD_TEMP_DIR) / "tmpk1ll3d.upload.pdf"
    for path in (orphan, temp):
        path.write_bytes(b"%PDF-1.4")
        _age(path, 2)

    tasks_housekeeping.enqueue()

    assert not orphan.exists()
    assert not temp.exists()
