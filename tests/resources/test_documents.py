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
