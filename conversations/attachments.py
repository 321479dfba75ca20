"""Files sent with messages, checked by their content and capped in size.

The allowlist is the library's (PDF, Word, Excel, PowerPoint, plain text and
PNG/JPEG/GIF/WebP images), so members meet one rule wherever they share a
file; it is repeated here because this app does not import the library.
A file whose content does not match its name, an empty file and one over
``CONVERSATIONS_MAX_ATTACHMENT_SIZE`` (10 MB by default) are refused with a
message saying why, and nothing is stored. Files get random names on disk
and are served only through a view that asks ``permissions.can_see_message``.
"""

from __future__ import annotations

import secrets
from pathlib import PurePath

import filetype
from django.conf import settings
from django.core.exceptions import ValidationError

MAX_ATTACHMENTS = 5

# extension -> (content type, kinds filetype may detect for it)
ALLOWED = {
    ".pdf": ("application/pdf", {"pdf"}),
    ".docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", {"docx"}),
    ".xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", {"xlsx"}),
    ".pptx": ("application/vnd.openxmlformats-officedocument.presentationml.presentation", {"pptx"}),
    ".txt": ("text/plain", {"txt"}),
    ".png": ("image/png", {"png"}),
    ".jpg": ("image/jpeg", {"jpg"}),
    ".jpeg": ("image/jpeg", {"jpg"}),
    ".gif": ("image/gif", {"gif"}),
    ".webp": ("image/webp", {"webp"}),
}
ALLOWED_LABEL = (
    "PDF, Word (.docx), Excel (.xlsx), PowerPoint (.pptx), plain text (.txt) "
    "or an image (PNG, JPEG, GIF, WebP)"
)
MARKUP_SIGNS = (b"<html", b"<!doctype", b"<script", b"<svg", b"<?xml", b"<body", b"<iframe", b"<head")


def max_size():
    return getattr(settings, "CONVERSATIONS_MAX_ATTACHMENT_SIZE", 10 * 1024 * 1024)


def _looks_like_text(head):
    if b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as error:
        if error.start < len(head) - 4:  # a character cut at the end of the sample is fine
            return False
    lowered = head.lower()
    return not any(sign in lowered for sign in MARKUP_SIGNS)


def check_attachment(upload):
    """``(storage name, content type, original name)`` or a ValidationError for the sender."""
    name = PurePath(upload.name or "").name[:200]
    extension = PurePath(name).suffix.lower()
    if not upload.size:
        raise ValidationError(
            f"{name or 'The file'} is empty (0 bytes). Choose the file again.", code="empty"
        )
    if upload.size > max_size():
        raise ValidationError(
            f"{name} is larger than {max_size() // (1024 * 1024)} MB. Share a smaller file.", code="too_large"
        )
    if extension not in ALLOWED:
        raise ValidationError(
            f"Files of this type ({extension or 'no extension'}) cannot be sent. Attach {ALLOWED_LABEL}.",
            code="type",
        )
    content_type, kinds = ALLOWED[extension]
    upload.seek(0)
    head = upload.read(8192)
    upload.seek(0)
    if "txt" in kinds:
        ok = filetype.guess(head) is None and _looks_like_text(head)
    else:
        kind = filetype.guess(head)
        ok = kind is not None and kind.extension in kinds
    if not ok:
        raise ValidationError(
            f"The content of {name} does not match its name. Attach {ALLOWED_LABEL}.", code="mismatch"
        )
    stored = f"{secrets.token_hex(16)}{'.jpg' if extension == '.jpeg' else extension}"
    return stored, content_type, name
