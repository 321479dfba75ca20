"""Files sent with messages: checked by content, capped, served only to participants."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from conversations.models import Attachment

pytestmark = pytest.mark.django_db

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82"
)


@pytest.fixture
def private(start, alice, bob):
    return start(alice, [bob])


def _post(client, conversation, upload, token="a-1"):
    return client.post(
        conversation.get_absolute_url(),
        {"body": "See the file.", "attachments": upload, "submission_token": token},
    )


def test_real_png_is_sent_and_served_to_participants_only(private, alice, bob, carol, mod, client_for):
    response = _post(client_for(alice), private, SimpleUploadedFile("map.png", PNG, content_type="image/png"))
    assert response.status_code == 302
    attachment = Attachment.objects.get()
    assert attachment.original_name == "map.png" and not attachment.file.name.endswith("map.png")
    served = client_for(bob).get(attachment.get_absolute_url())
    assert served.status_code == 200 and b"".join(served.streaming_content) == PNG
    assert served["X-Content-Type-Options"] == "nosniff"
    for outsider in (carol, mod):
        assert client_for(outsider).get(attachment.get_absolute_url()).status_code == 404


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("report.pdf", b"MZ\x90\x00 this is an executable", "does not match its name"),
        ("notes.txt", b"<html><script>alert(1)</script></html>", "does not match its name"),
        ("page.svg", b"<svg></svg>", "cannot be sent"),
        ("empty.pdf", b"", "is empty"),
    ],
)
def test_fake_types_and_empty_files_are_refused(private, alice, client_for, name, content, expected):
    response = _post(client_for(alice), private, SimpleUploadedFile(name, content))
    body = response.content.decode()
    assert response.status_code == 400
    assert expected in body or (expected == "is empty" and "empty" in body)
    assert not Attachment.objects.exists() and private.messages.count() == 1


def test_oversized_file_is_refused(settings, private, alice, client_for):
    settings.CONVERSATIONS_MAX_ATTACHMENT_SIZE = 1024
    big = SimpleUploadedFile("big.txt", b"a" * 2048, content_type="text/plain")
    response = _post(client_for(alice), private, big)
    assert response.status_code == 400 and "larger than" in response.content.decode()
    assert not Attachment.objects.exists()


def test_unknown_attachment_is_404(alice, client_for):
    assert client_for(alice).get("/messages/files/999999/").status_code == 404


def test_member_added_later_cannot_open_earlier_files(private, alice, dave, client_for, commit):
    from conversations import services

    from .conftest import actor

    _post(client_for(alice), private, SimpleUploadedFile("map.png", PNG, content_type="image/png"))
    attachment = Attachment.objects.get()
    commit(services.participant_add, actor=actor(alice), conversation=private, user=dave)
    assert client_for(dave).get(attachment.get_absolute_url()).status_code == 404
    assert client_for(alice).get(attachment.get_absolute_url()).status_code == 200
