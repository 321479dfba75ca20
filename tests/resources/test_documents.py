import pytest
from django.test import Client

from resources.models import DocumentDownload
from tests.factories import make_member

from .conftest import make_document, make_resource, png_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture
def published_doc(library):
    document = make_document("Roadmap <script>", name="roadmap.pdf")
    make_resource(library, title="Roadmap", document=document, external_url="")
    return document


def test_member_downloads_document_as_counted_attachment(member_client, published_doc):
    response = member_client.get(published_doc.url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert 'filename="roadmap-script.pdf"' in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    member_client.get(published_doc.url)
    assert DocumentDownload.objects.get(document=published_doc).count == 2


def test_document_url_is_not_a_public_media_url(published_doc):
    assert published_doc.url.startswith("/documents/")
    assert "/media/" not in published_doc.url


def test_anonymous_and_non_members_cannot_download(client, published_doc):
    response = client.get(published_doc.url)
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]
    client.force_login(make_member(role=None))
    assert client.get(published_doc.url).status_code == 403
    client.force_login(make_member(mfa=False))
    assert client.get(published_doc.url).status_code == 302
    assert not DocumentDownload.objects.filter(document=published_doc).exists()


def test_document_of_unpublished_page_only_for_moderators(member_client, moderator_client, library):
    document = make_document("Draft protocol")
    make_resource(library, title="Draft", document=document, external_url="", live=False)
    assert member_client.get(document.url).status_code == 404
    assert moderator_client.get(document.url).status_code == 200


def test_document_attached_to_no_page_is_not_downloadable(member_client):
    document = make_document("Loose file")
    assert member_client.get(document.url).status_code == 404


def test_unpublishing_page_hides_its_document(member_client, library):
    document = make_document("Retired guide")
    page = make_resource(library, title="Retired", document=document, external_url="")
    assert member_client.get(document.url).status_code == 200
    page.unpublish()
    assert member_client.get(document.url).status_code == 404


def test_renditions_are_served_to_members_only(member_client, db):
    import io

    from django.core.files.images import ImageFile
    from wagtail.images import get_image_model

    upload = ImageFile(io.BytesIO(png_bytes()), name="p.png")
    image = get_image_model().objects.create(title="Photo", file=upload)
    rendition = image.get_rendition("fill-4x4")
    assert rendition.url.startswith("/library/media/images/")
    response = member_client.get(rendition.url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    anonymous = Client()
    assert anonymous.get(rendition.url).status_code == 302
    # The original upload and anything outside renditions stay unreachable.
    assert member_client.get("/library/media/" + image.file.name).status_code == 404
    assert member_client.get("/library/media/images/../original_images/p.png").status_code == 404


def test_document_of_both_a_live_and_a_draft_page_is_downloadable(member_client, library):
    document = make_document("Shared checklist")
    make_resource(library, title="Draft copy", document=document, external_url="", live=False)
    live = make_resource(library, title="Live copy", document=document, external_url="")
    assert member_client.get(document.url).status_code == 200
    live.unpublish()
    assert member_client.get(document.url).status_code == 404


def test_document_removed_in_a_draft_revision_stays_downloadable_until_published(member_client, library):
    document = make_document("Old version")
    page = make_resource(library, title="Versioned", document=document, external_url="")
    page.document = None
    page.external_url = "https://www.example.org/new"
    page.save_revision()  # a draft: members still see the published version
    assert member_client.get(document.url).status_code == 200
    page.get_latest_revision().publish()
    assert member_client.get(document.url).status_code == 404


def test_document_added_in_a_draft_revision_is_hidden_until_published(member_client, library):
    page = make_resource(library, title="Will get a file")
    document = make_document("Coming soon")
    page.document = document
    page.external_url = ""
    page.save_revision()
    assert member_client.get(document.url).status_code == 404
    page.get_latest_revision().publish()
    assert member_client.get(document.url).status_code == 200


def test_download_count_is_a_single_atomic_update(published_doc):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from resources.services import document_download_count

    document_download_count(published_doc)
    with CaptureQueriesContext(connection) as ctx:
        document_download_count(published_doc)
    updates = [q["sql"] for q in ctx.captured_queries if q["sql"].startswith("UPDATE")]
    assert len(ctx.captured_queries) == 1 and len(updates) == 1
    assert '"count" + ' in updates[0] or "count` + " in updates[0]  # F("count") + 1 in the database
    assert DocumentDownload.objects.get(document=published_doc).count == 2


def test_first_download_counted_even_if_another_created_the_row(published_doc, monkeypatch):
    """Two first downloads at once: the one that loses the insert still counts."""
    from resources.services import document_download_count

    original = DocumentDownload.objects.get_or_create

    def racing_get_or_create(**kwargs):
        # Between our UPDATE (no row yet) and our INSERT, another request inserts.
        DocumentDownload.objects.create(document=published_doc, count=1)
        return original(**kwargs)

    monkeypatch.setattr(DocumentDownload.objects, "get_or_create", racing_get_or_create)
    document_download_count(published_doc)
    monkeypatch.undo()
    assert DocumentDownload.objects.get(document=published_doc).count == 2


def test_download_of_other_types_has_right_content_type_and_safe_name(member_client, library):
    document = make_document('Flyer "../../etc/passwd"\r\nX-Evil: 1', data=png_bytes(), name="flyer.png")
    make_resource(library, title="Flyer", document=document, external_url="")
    response = member_client.get(document.url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert 'filename="flyer-etcpasswd-x-evil-1.png"' in disposition
    assert "X-Evil" not in {k for k, _ in response.items()}
