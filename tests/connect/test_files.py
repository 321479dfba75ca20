"""The one rule for files: the library and private messages refuse the same files for the same reasons."""

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from conversations.attachments import check_attachment
from resources.uploads import check_upload

CASES = [
    ("report.pdf", b"MZ\x90\x00 an executable", "mismatch"),
    ("notes.txt", b"<!DOCTYPE html><html><script>alert(1)</script>", "mismatch"),
    ("logo.svg", b"<svg xmlns='http://www.w3.org/2000/svg'></svg>", "type"),
    ("run.exe", b"MZ\x90\x00", "type"),
    ("empty.pdf", b"", "empty"),
]


@pytest.mark.parametrize(("name", "content", "code"), CASES, ids=[c[0] for c in CASES])
def test_check_file_refuses_the_same_files_in_the_library_and_in_messages(name, content, code):
    for check in (check_upload, check_attachment):
        with pytest.raises(ValidationError) as refused:
            check(SimpleUploadedFile(name, content))
        assert refused.value.code == code


def test_check_file_names_the_file_only_where_a_form_takes_several():
    upload = SimpleUploadedFile("intake.pdf", b"")
    with pytest.raises(ValidationError) as library:
        check_upload(upload)
    with pytest.raises(ValidationError) as message:
        check_attachment(upload)
    assert library.value.messages == ["The file is empty (0 bytes). Choose the file again."]
    assert message.value.messages == ["intake.pdf is empty (0 bytes). Choose the file again."]


def test_check_file_stores_under_a_random_name_whatever_the_member_called_it():
    text = SimpleUploadedFile("../../Maria's intake.txt", b"Agenda for the quarterly meeting.\n")
    stored, content_type, name = check_attachment(text)
    assert name == "Maria's intake.txt" and content_type == "text/plain"
    assert "Maria" not in stored and stored.endswith(".txt") and len(stored) == 36
    assert check_upload(text).storage_name() != check_upload(text).storage_name()
