"""Checking member uploads by their content, not only their name, and
making sure no stored file outlives the write that stored it.

Allowed: PDF, Word (DOCX), Excel (XLSX), PowerPoint (PPTX), plain text and
PNG/JPEG/GIF/WebP images, at most 25 MB. Everything else — SVG, HTML,
executables, a file whose content does not match its name — is refused and
nothing is stored.

A shared file is written to media inside the transaction that creates its
document row, so that the row never points at a missing file. When that
transaction rolls back the service deletes the file
(:func:`discard_stored_files`). A process killed between the two leaves a
file that no row names, and Django's temporary upload file (for uploads over
2.5 MB) behind in ``FILE_UPLOAD_TEMP_DIR``; :func:`remove_orphaned_files`,
run hourly by the worker's housekeeping task (``connect.tasks.housekeeping``) and
by ``manage.py remove_orphaned_uploads``, deletes both once they
are a day old, long after any upload still in progress has finished.
"""

import logging
import secrets
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path, PurePath

import filetype
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadhandler import FileUploadHandler, SkipFile

logger = logging.getLogger(__name__)

# Where Wagtail stores documents, relative to the media root.
DOCUMENTS_DIR = "documents"
ORPHAN_AGE = timedelta(days=1)
# Django names its temporary upload files "tmpXXXXXXXX.upload...".
_TEMP_UPLOAD_GLOB = "tmp*.upload*"

# extension -> (content type, detected kinds that may carry it)
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


def max_upload_size():
    return getattr(settings, "RESOURCES_MAX_UPLOAD_SIZE", 25 * 1024 * 1024)


def _size_label():
    return f"{max_upload_size() // (1024 * 1024)} MB"


@dataclass
class CheckedUpload:
    extension: str
    content_type: str

    def storage_name(self):
        # Random names: nothing about the uploader's file name reaches the disk.
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


def check_upload(upload):
    """Return a CheckedUpload or raise ValidationError with a message a member understands."""
    name = PurePath(upload.name or "").name
    extension = PurePath(name).suffix.lower()
    if upload.size == 0:
        raise ValidationError("The file is empty (0 bytes). Choose the file again.", code="empty")
    if upload.size > max_upload_size():
        raise ValidationError(
            f"The file is larger than {_size_label()}. Share a link to it instead, or a smaller file.",
            code="too_large",
        )
    if extension not in ALLOWED:
        raise ValidationError(
            f"Files of this type ({extension or 'no extension'}) cannot be shared. Upload {ALLOWED_LABEL}.",
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
            f"The file’s content does not match its name ({name}). Upload {ALLOWED_LABEL}.",
            code="mismatch",
        )
    return CheckedUpload(extension=".jpg" if extension == ".jpeg" else extension, content_type=content_type)


class SizeLimitUploadHandler(FileUploadHandler):
    """Stops reading an uploaded file once it passes the limit, so an oversized
    upload never fills the disk; the form then reports it clearly."""

    def __init__(self, request=None, limit=None):
        super().__init__(request)
        self.limit = limit or max_upload_size()
        self.received = 0

    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)
        self.received = 0

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.received > self.limit:
            self.request.upload_too_large = True
            raise SkipFile
        return raw_data

    def file_complete(self, file_size):
        return None


def discard_stored_files(documents):
    """Delete the files of documents whose rows were rolled back. Never raises."""
    for document in documents:
        name = getattr(document.file, "name", "")
        if not name:
            continue
        try:
            document.file.storage.delete(name)
        except OSError:
            logger.exception("Could not delete %s after a rolled-back share", name)


def _old(path, cutoff):
    try:
        return path.stat().st_mtime < cutoff
    except FileNotFoundError:
        return False


def remove_orphaned_files(*, older_than=ORPHAN_AGE, dry_run=False):
    """Delete stored documents no row names, and stale temporary upload files.

    Only files older than ``older_than`` are touched, so an upload whose
    transaction has not committed yet is never removed. Returns the paths
    removed (or that would be, with ``dry_run``).
    """
    from wagtail.documents import get_document_model

    cutoff = time.time() - older_than.total_seconds()
    removed = []
    known = set(get_document_model().objects.values_list("file", flat=True))
    root = Path(default_storage.location)
    documents = root / DOCUMENTS_DIR
    if documents.is_dir():
        for path in documents.rglob("*"):
            if not path.is_file() or not _old(path, cutoff):
                continue
            name = path.relative_to(root).as_posix()
            if name in known:
                continue
            removed.append(path)
            if not dry_run:
                path.unlink(missing_ok=True)
    temp_dir = getattr(settings, "FILE_UPLOAD_TEMP_DIR", None)
    if temp_dir:
        for path in Path(temp_dir).glob(_TEMP_UPLOAD_GLOB):
            if path.is_file() and _old(path, cutoff):
                removed.append(path)
                if not dry_run:
                    path.unlink(missing_ok=True)
    return removed
