import datetime
import io

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone
from wagtail.documents import get_document_model

from resources.models import (
    EventFormat,
    EventIndexPage,
    EventPage,
    ResourceLibraryPage,
    ResourcePage,
    ResourceType,
    SourceOrganization,
    Topic,
)

PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def make_pdf_bytes():
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=12)
    pdf.cell(0, 10, "Test document")
    return bytes(pdf.output())


@pytest.fixture
def library(db):
    return ResourceLibraryPage.objects.get()


@pytest.fixture
def event_index(db):
    return EventIndexPage.objects.get()


def make_document(title="Protocol checklist", data=None, name="checklist.pdf"):
    Document = get_document_model()
    document = Document(title=title)
    document.file.save(name, ContentFile(data or make_pdf_bytes()), save=False)
    document._set_document_file_metadata()
    document.save()
    return document


def make_resource(library, *, title="A guide", live=True, topics=(), source=None, **fields):
    fields.setdefault("summary", "A short summary of the resource.")
    fields.setdefault("resource_type", ResourceType.GUIDE)
    if not fields.get("document") and not fields.get("video_url"):
        fields.setdefault("external_url", "https://www.example.org/guide")
    page = ResourcePage(title=title, source=source, **fields)
    page.topics.set(list(topics))
    library.add_child(instance=page)
    if live:
        page.save_revision().publish()
    else:
        page.live = False
        page.save()
        page.save_revision()
    return page


def make_event(index, *, title="Coordinators call", days=7, live=True, **fields):
    day = timezone.localdate() + datetime.timedelta(days=days)
    fields.setdefault("summary", "A call for coordinators.")
    fields.setdefault("event_format", EventFormat.ONLINE)
    fields.setdefault("joining_url", "https://meet.example.org/x")
    fields.setdefault("organizer", "Moderators")
    fields.setdefault("start_time", datetime.time(14, 0))
    fields.setdefault("end_time", datetime.time(15, 0))
    fields.setdefault("time_zone", "America/Chicago")
    page = EventPage(title=title, start_date=day, **fields)
    index.add_child(instance=page)
    if live:
        page.save_revision().publish()
    else:
        page.live = False
        page.save()
    return page


@pytest.fixture
def topic(db):
    return Topic.objects.create(name="Labor trafficking")


@pytest.fixture
def source(db):
    return SourceOrganization.objects.create(name="Example Training Center")


def png_bytes():
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "blue").save(buffer, "PNG")
    return buffer.getvalue()
