"""The one rule for files members hand to the site, checked by their content.

Members share files in the library and attach them to private messages; both
meet the same allowlist (PDF, Word, Excel, PowerPoint, plain text and
PNG/JPEG/GIF/WebP images) and the same checks, so a file refused in one place
is refused in the other for the same reason:

* an empty file, and one over the caller's size limit, are refused before
  anything is read;
* the extension must be on the allowlist: SVG, HTML and executables never
  are, as a browser could run them;
* the first 8 KB must match the extension (``filetype``'s signatures), and a
  "text" file must be UTF-8 without markup a browser could run if it ever
  rendered the file as HTML.

The messages are written for the member, and name the file when a form takes
several. Files are stored under random names (:meth:`CheckedFile.storage_name`)
so nothing of the member's file name reaches the disk. Where each app keeps
its files, and who may download them, stay with that app.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import PurePath

import filetype
from django.core.exceptions import ValidationError

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
# Markup that a browser could run if it ever rendered a "text" file.
MARKUP_SIGNS = (b"<html", b"<!doctype", b"<script", b"<svg", b"<?xml", b"<body", b"<iframe", b"<head")
_SNIFF_BYTES = 8192
MAX_NAME_CHARS = 200


@dataclass(frozen=True)
class CheckedFile:
    """A file that passed :func:`check_file`: its member-facing name and what it is."""

    name: str
    extension: str
    content_type: str

    def storage_name(self):
        # Random names: nothing about the member's file name reaches the disk.
        return f"{secrets.token_hex(16)}{self.extension}"


def _looks_like_text(head):
    if b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as error:
        # A multi-byte character cut at the end of the sample is fine.
        if error.start < len(head) - 4:
            return False
    lowered = head.lower()
    return not any(sign in lowered for sign in MARKUP_SIGNS)


def _matches(head, kinds):
    if "txt" in kinds:
        return filetype.guess(head) is None and _looks_like_text(head)
    kind = filetype.guess(head)
    return kind is not None and kind.extension in kinds


def check_file(upload, *, max_size, verb, instead, too_large_hint, name_in_messages=False):
    """Return a :class:`CheckedFile` for ``upload``, or raise ``ValidationError`` saying why not.

    ``verb`` completes "Files of this type cannot be …" ("shared", "sent"),
    ``instead`` opens the advice ("Upload", "Attach"), ``too_large_hint``
    follows the size message. With ``name_in_messages`` every message names
    the file, for forms that take several. Codes: ``empty``, ``too_large``,
    ``type``, ``mismatch``.
    """
    name = PurePath(upload.name or "").name[:MAX_NAME_CHARS]
    extension = PurePath(name).suffix.lower()
    label = (name or "The file") if name_in_messages else "The file"
    if not upload.size:
        raise ValidationError(f"{label} is empty (0 bytes). Choose the file again.", code="empty")
    if upload.size > max_size:
        raise ValidationError(
            f"{label} is larger than {max_size // (1024 * 1024)} MB. {too_large_hint}", code="too_large"
        )
    if extension not in ALLOWED:
        raise ValidationError(
            f"Files of this type ({extension or 'no extension'}) cannot be {verb}. "
            f"{instead} {ALLOWED_LABEL}.",
            code="type",
        )
    content_type, kinds = ALLOWED[extension]
    upload.seek(0)
    head = upload.read(_SNIFF_BYTES)
    upload.seek(0)
    if not _matches(head, kinds):
        raise ValidationError(
            f"The content of {name} does not match its name. {instead} {ALLOWED_LABEL}.", code="mismatch"
        )
    return CheckedFile(
        name=name, extension=".jpg" if extension == ".jpeg" else extension, content_type=content_type
    )
