"""Documents' own text: read from real files made here, bounded against
hostile ones, searchable with the resource that shows it, and never a word
of a document members may not see."""

import io
import logging
import time
import zipfile

import pytest
from django.contrib.auth.models import Group
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from wagtail.models import PageViewRestriction

from connect.models import Role
from resources import extraction
from resources.extraction import ExtractionError, extract_file
from resources.models import DocumentExtraction, DocumentText, ResourcePage, SharedResource
from resources.services import document_text_extract
from search import selectors
from search.selectors import Filters
from tests.search.conftest import reindex

from .conftest import make_document, make_resource

pytestmark = pytest.mark.django_db


# ------------------------------------------------------------- real files


def pdf_bytes(pages):
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_font("Helvetica", size=12)
    for text in pages:
        pdf.add_page()
        pdf.multi_cell(0, 8, text)
    return bytes(pdf.output())


def docx_bytes(sections, page_breaks=False):
    import docx
    from docx.enum.text import WD_BREAK

    document = docx.Document()
    for i, (heading, body) in enumerate(sections):
        if page_breaks and i:
            document.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
        document.add_heading(heading, level=1)
        document.add_paragraph(body)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def xlsx_bytes(sheets):
    import openpyxl

    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for title, rows in sheets.items():
        sheet = workbook.create_sheet(title)
        for row in rows:
            sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def pptx_bytes(slides):
    from pptx import Presentation

    presentation = Presentation()
    for title, body in slides:
        slide = presentation.slides.add_slide(presentation.slide_layouts[1])
        slide.shapes.title.text = title
        slide.placeholders[1].text = body
    out = io.BytesIO()
    presentation.save(out)
    return out.getvalue()


def _file(tmp_path, name, data):
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_extract_file_keeps_each_pdf_page(tmp_path):
    path = _file(tmp_path, "a.pdf", pdf_bytes(["Scope of the protocol.", "Who to call.", "Kittiwake room."]))
    result = extract_file(path, ".pdf")
    assert [u.label for u in result.units] == ["page 1", "page 2", "page 3"]
    assert "Kittiwake" in result.units[2].text and not result.truncated


def test_extract_file_reads_docx_by_section_or_page(tmp_path):
    sections = [("Scope", "Who the protocol covers."), ("Interview setting", "A quiet kittiwake room.")]
    by_heading = extract_file(_file(tmp_path, "a.docx", docx_bytes(sections)), ".docx")
    assert [u.label for u in by_heading.units] == ["section “Scope”", "section “Interview setting”"]
    by_page = extract_file(_file(tmp_path, "b.docx", docx_bytes(sections, page_breaks=True)), ".docx")
    assert [u.label for u in by_page.units] == ["page 1", "page 2"]
    assert "kittiwake" in by_page.units[1].text


def test_extract_file_reads_sheets_slides_and_lines(tmp_path):
    sheets = extract_file(
        _file(
            tmp_path, "a.xlsx", xlsx_bytes({"Budget": [["Interpreter fees", 1200]], "Staff": [["Kittiwake"]]})
        ),
        ".xlsx",
    )
    assert [(u.label, u.text) for u in sheets.units] == [
        ("sheet “Budget”", "Interpreter fees | 1200"),
        ("sheet “Staff”", "Kittiwake"),
    ]
    slides = extract_file(
        _file(tmp_path, "a.pptx", pptx_bytes([("Intro", "Hello"), ("Signs", "Kittiwake")])), ".pptx"
    )
    assert [u.label for u in slides.units] == ["slide 1", "slide 2"] and "Kittiwake" in slides.units[1].text
    text = "\n".join(f"line {i} of the plan" for i in range(1, 1001)) + "\nkittiwake\n"
    lines = extract_file(_file(tmp_path, "a.txt", text.encode()), ".txt")
    assert lines.units[0].label.startswith("lines 1–")
    assert "kittiwake" in lines.units[-1].text and lines.units[-1].label.endswith("–1001")


def test_extract_file_bounds_pages_and_characters(tmp_path):
    path = _file(tmp_path, "long.pdf", pdf_bytes([f"Page {i} words." for i in range(1, 31)]))
    few = extract_file(path, ".pdf", max_units=5)
    assert len(few.units) == 5 and few.truncated
    short = extract_file(path, ".pdf", max_chars=40)
    assert short.characters <= 40 and short.truncated


def test_extract_file_refuses_a_zip_bomb_docx_without_inflating_it(tmp_path):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", b" " * (60 * 1024 * 1024))
    path = _file(tmp_path, "bomb.docx", out.getvalue())
    assert path.stat().st_size < 1024 * 1024
    started = time.monotonic()
    with pytest.raises(ExtractionError, match="inflates"):
        extract_file(path, ".docx")
    assert time.monotonic() - started < 5


def test_extract_file_survives_a_pdf_claiming_a_billion_pages(tmp_path):
    from bench.document_text import billion_page_pdf

    looping = (
        b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
        b"2 0 obj<</Type/Pages/Count 1000000000/Kids[2 0 R 2 0 R]>>endobj\n"
        b"trailer<</Root 1 0 R>>\n%%EOF\n"
    )
    for body in (billion_page_pdf(), looping):
        started = time.monotonic()
        try:
            result = extract_file(_file(tmp_path, "pages.pdf", body), ".pdf")
        except ExtractionError:
            pass
        else:
            assert len(result.units) <= 1
        assert time.monotonic() - started < extraction.TIMEOUT_SECONDS + 5


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("junk.pdf", b"%PDF-1.7\n" + bytes(range(256)) * 40),
        ("junk.docx", b"PK\x03\x04 not really a zip"),
        ("junk.xlsx", b"\x00" * 100),
        ("junk.pptx", b""),
    ],
)
def test_extract_file_reports_malformed_files(tmp_path, name, data):
    path = _file(tmp_path, name, data)
    try:
        result = extract_file(path, path.suffix)
    except ExtractionError:
        return
    assert result.characters == 0  # a damaged PDF may still open with no text


def test_extract_file_kills_a_reader_that_runs_too_long(tmp_path):
    path = _file(tmp_path, "a.pdf", pdf_bytes(["Fine."]))
    with pytest.raises(ExtractionError, match="longer than"):
        extract_file(path, ".pdf", timeout=0.01)


# ------------------------------------------------------- stored and searched


def _search(user, query, **params):
    return selectors.search_results(user=user, query=query, filters=Filters.from_params(params), page=1)


@pytest.fixture
def pdf_resource(library):
    document = make_document(
        "Interview room protocol",
        data=pdf_bytes(
            ["Scope of the protocol.", "Who to call first.", "Use the kittiwake room if 5 < 6 & <b>bold</b>."]
        ),
        name="protocol.pdf",
    )
    page = make_resource(library, title="Interview room protocol", document=document, external_url="")
    document_text_extract(document_id=document.pk)
    reindex()
    return page


def test_document_text_extract_stores_units_and_is_idempotent(pdf_resource):
    document = pdf_resource.document
    assert list(DocumentText.objects.filter(document=document).values_list("label", flat=True)) == [
        "page 1",
        "page 2",
        "page 3",
    ]
    done = DocumentExtraction.objects.get(document=document)
    assert done.status == DocumentExtraction.Status.DONE and done.units == 3
    assert document_text_extract(document_id=document.pk) == "unchanged"
    assert document_text_extract(document_id=document.pk, force=True) == DocumentExtraction.Status.DONE
    assert DocumentText.objects.filter(document=document).count() == 3


def test_search_finds_a_resource_by_words_only_in_its_pdf(member, pdf_resource):
    result = _search(member, "kittiwake")
    assert [hit.url for hit in result.hits] == [pdf_resource.url]
    assert result.hits[0].passage_where == "page 3"
    html = Client()
    html.force_login(member)
    page = html.get("/search/", {"q": "kittiwake"}).content.decode()
    assert "Matched on page 3:" in page
    assert "<mark>kittiwake</mark>" in page
    passage = str(result.hits[0].passage)
    assert "<b>" not in passage and "&lt;" in passage and "&amp;" in passage


def test_search_page_queries_do_not_grow_with_document_hits(member, library):
    def add(n):
        for i in range(n):
            document = make_document(f"Doc {i}", data=pdf_bytes([f"Kittiwake notes {i}."]), name=f"d{i}.pdf")
            make_resource(library, title=f"Resource {i}", document=document, external_url="")
            document_text_extract(document_id=document.pk)
        reindex()

    client = Client()
    client.force_login(member)
    from django.db import connection

    add(1)
    client.get("/search/", {"q": "kittiwake"})
    with CaptureQueriesContext(connection) as one:
        assert "Matched on page 1" in client.get("/search/", {"q": "kittiwake"}).content.decode()
    add(4)
    with CaptureQueriesContext(connection) as five:
        assert client.get("/search/", {"q": "kittiwake"}).content.decode().count("Matched on page 1") == 5
    assert len(five) == len(one)


def test_unreadable_document_is_listed_by_its_metadata_and_logged(member, library, caplog):
    document = make_document("Damaged scan", data=b"%PDF-1.7\n" + b"\xff" * 2000, name="damaged.pdf")
    page = make_resource(
        library, title="Damaged scan of the kittiwake guide", document=document, external_url=""
    )
    with caplog.at_level(logging.WARNING, logger="resources.services"):
        document_text_extract(document_id=document.pk)
    done = DocumentExtraction.objects.get(document=document)
    assert done.status == DocumentExtraction.Status.FAILED and done.error
    assert "Could not read the text of document" in caplog.text
    assert not DocumentText.objects.filter(document=document).exists()
    reindex()
    assert [hit.url for hit in _search(member, "kittiwake").hits] == [page.url]


def test_document_text_of_hidden_pages_never_shows(member, moderator, library, client):
    draft_doc = make_document("Draft", data=pdf_bytes(["The ptarmigan plan."]), name="draft.pdf")
    make_resource(library, title="Draft plan", document=draft_doc, external_url="", live=False)
    secret_doc = make_document("Restricted", data=pdf_bytes(["The ptarmigan roster."]), name="secret.pdf")
    secret = make_resource(library, title="Restricted roster", document=secret_doc, external_url="")
    restriction = PageViewRestriction.objects.create(page=secret, restriction_type=PageViewRestriction.GROUPS)
    restriction.groups.set([Group.objects.get(name=Role.MODERATOR)])
    for document in (draft_doc, secret_doc):
        document_text_extract(document_id=document.pk)
    reindex()
    for user in (member, moderator):
        result = _search(user, "ptarmigan")
        assert result.total == 0 and result.hits == [] and result.kind_counts == []
        assert "ptarmigan" not in " ".join(_search(user, "ptarm").expanded)
        assert _search(user, "ptarmigen").suggestion == ""
        client.force_login(user)
        assert client.get("/search/suggest/", {"q": "ptarm"}).json()["suggestions"] == []
        assert "ptarmigan" not in client.get("/search/", {"q": "ptarm"}).content.decode().lower()


def test_deleting_or_replacing_a_document_updates_the_search(
    member, pdf_resource, django_capture_on_commit_callbacks
):
    document = pdf_resource.document
    with django_capture_on_commit_callbacks(execute=True):
        document.file.save("protocol-v2.pdf", ContentFile(pdf_bytes(["Now the guillemot room."])), save=False)
        document._set_document_file_metadata()
        document.save()
    assert _search(member, "kittiwake").total == 0
    assert _search(member, "guillemot").hits[0].passage_where == "page 1"
    with django_capture_on_commit_callbacks(execute=True):
        document.delete()
    assert not DocumentText.objects.exists()
    assert _search(member, "guillemot").total == 0
    assert _search(member, "interview room protocol").total == 1


def test_a_view_restriction_takes_the_documents_words_out(
    member, pdf_resource, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        restriction = PageViewRestriction.objects.create(
            page=pdf_resource, restriction_type=PageViewRestriction.GROUPS
        )
        restriction.groups.set([Group.objects.get(name=Role.MODERATOR)])
    assert "kittiwake" not in " ".join(_search(member, "kittiw").expanded)


# ------------------------------------------------------------------- privacy


def _share(client, data, name):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post(
        "/library/share/",
        {
            "title": "Our intake notes",
            "summary": "How we take referrals.",
            "resource_type": "template",
            "file": SimpleUploadedFile(name, data),
        },
    )


def test_privacy_guard_reads_a_shared_files_text(member_client, library, django_capture_on_commit_callbacks):
    data = docx_bytes([("Intake", "Call the victim Maria Lopez at 555-867-5309 after the interview.")])
    with django_capture_on_commit_callbacks(execute=True):
        assert _share(member_client, data, "intake.docx").status_code == 302
    share = SharedResource.objects.get()
    kinds = {f["kind"] for f in share.privacy_findings}
    assert "phone" in kinds
    assert {f["where"] for f in share.privacy_findings} == {"section “Intake”"}
    assert share.status == SharedResource.Status.IN_REVIEW and not share.page.live


def test_privacy_findings_hold_a_share_published_before_its_file_was_read(member, library):
    document = make_document(
        "Notes", data=docx_bytes([("Notes", "Victim Maria Lopez, 555-867-5309.")]), name="n.docx"
    )
    page = make_resource(library, title="Notes", document=document, external_url="")
    share = SharedResource.objects.create(page=page, member=member, status=SharedResource.Status.PUBLISHED)
    document_text_extract(document_id=document.pk)
    share.refresh_from_db()
    page.refresh_from_db()
    assert share.privacy_findings and share.status == SharedResource.Status.IN_REVIEW
    assert not page.live
    assert page.workflow_in_progress  # back in the moderators' queue


def test_clean_shared_file_has_no_findings(member, library):
    document = make_document(
        "Clean", data=docx_bytes([("Scope", "Screen for labor trafficking.")]), name="c.docx"
    )
    page = make_resource(library, title="Clean", document=document, external_url="")
    share = SharedResource.objects.create(page=page, member=member, status=SharedResource.Status.PUBLISHED)
    document_text_extract(document_id=document.pk)
    share.refresh_from_db()
    assert share.privacy_findings == [] and ResourcePage.objects.get(pk=page.pk).live


# ------------------------------------------------------------------ backfill


def test_extract_document_text_command_backfills(library):
    document = make_document("Old upload", data=pdf_bytes(["Kittiwake."]), name="old.pdf")
    out = io.StringIO()
    call_command("extract_document_text", stdout=out)
    assert DocumentText.objects.filter(document=document).exists()
    assert "1 document" in out.getvalue()
    out = io.StringIO()
    call_command("extract_document_text", stdout=out)
    assert "0 documents" in out.getvalue()
    call_command("extract_document_text", "--all", stdout=out)
    assert DocumentExtraction.objects.get(document=document).status == DocumentExtraction.Status.DONE


def test_seed_demo_documents_are_found_by_their_own_text(member):
    call_command("seed_demo", stdout=io.StringIO())
    reindex()
    result = _search(member, "camera corner")
    assert result.hits[0].title.startswith("Guide to recording")
    assert result.hits[0].passage_where == "page 3"
    minutes = _search(member, "photographs minutes")
    assert minutes.hits[0].passage_where == "section “Minutes”"


def test_moderators_see_the_privacy_findings_when_reviewing(moderator_client, member, library):
    document = make_document(
        "Notes", data=docx_bytes([("Notes", "Victim Maria Lopez, 555-867-5309.")]), name="n.docx"
    )
    page = make_resource(library, title="Notes", document=document, external_url="", live=False)
    SharedResource.objects.create(page=page, member=member)
    document_text_extract(document_id=document.pk)
    html = moderator_client.get(f"/admin/pages/{page.pk}/edit/").content.decode()
    assert "The privacy guard found what may identify a victim in the shared file" in html
    assert "555-867-5309" in html and "section “Notes”" in html


def test_an_upload_owes_a_durable_task_that_the_worker_runs(settings, member, library):
    from django_tasks_db.models import DBTaskResult

    from tests.reliability.conftest import run_worker

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    document = make_document("Queued", data=pdf_bytes(["The kittiwake room."]), name="queued.pdf")
    make_resource(library, title="Queued guide", document=document, external_url="")
    owed = DBTaskResult.objects.filter(task_path="resources.tasks.document_text_update")
    assert owed.count() == 1 and not DocumentText.objects.exists()
    run_worker()
    assert DocumentText.objects.filter(document=document).count() == 1
    assert _search(member, "kittiwake").hits[0].passage_where == "page 1"


def test_a_missing_file_is_recorded_as_unreadable(library, caplog):
    document = make_document("Lost", data=pdf_bytes(["Kittiwake."]), name="lost.pdf")
    document.file.storage.delete(document.file.name)
    with caplog.at_level(logging.WARNING, logger="resources.services"):
        assert document_text_extract(document_id=document.pk) == DocumentExtraction.Status.FAILED
    assert "Could not read the text of document" in caplog.text


def test_images_have_no_text_to_read(library):
    from .conftest import png_bytes

    document = make_document("Photo", data=png_bytes(), name="photo.png")
    assert document_text_extract(document_id=document.pk) == DocumentExtraction.Status.UNSUPPORTED
    assert not DocumentText.objects.exists()


def test_the_member_is_told_their_file_is_checked(member_client, member, library):
    document = make_document(
        "Notes", data=docx_bytes([("Notes", "Victim Maria Lopez, 555-867-5309.")]), name="n.docx"
    )
    page = make_resource(library, title="Our notes", document=document, external_url="", live=False)
    SharedResource.objects.create(page=page, member=member)
    document_text_extract(document_id=document.pk)
    html = member_client.get(reverse("resources:my_shares")).content.decode()
    assert "Your file may contain details that identify a victim (" in html
    assert "phone number" in html and "A moderator will check it before it is published." in html
