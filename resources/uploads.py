"""Checking member uploads by their content, not only their name, and
making sure no stored file outlives the write that stored it.

What may be shared is the site's one rule for files (:mod:`connect.files`:
PDF, Word, Excel, PowerPoint, plain text and PNG/JPEG/GIF/WebP images, checked
by their content), at most 25 MB here. Everything else — SVG, HTML,
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
import time
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.core.files.storage import default_storage
from django.core.files.uploadhandler import FileUploadHandler, SkipFile

from connect.files import check_file

logger = logging.getLogger(__name__)

# Where Wagtail stores documents, relative to the media root.
DOCUMENTS_DIR = "documents"
ORPHAN_AGE = timedelta(days=1)
# Django names its temporary upload files "tmpXXXXXXXX.upload...".
_TEMP_UPLOAD_GLOB = "tmp*.upload*"


def max_upload_size():
    return getattr(settings, "RESOURCES_MAX_UPLOAD_SIZE", 25 * 1024 * 1024)


def check_upload(upload):
    """Return a :class:`CheckedFile` or raise ValidationError with a message a member understands.

    The allowlist and the content checks are the site's one rule for files
    (:mod:`connect.files`); the library's limit is its own.
    """
    return check_file(
        upload,
        max_size=max_upload_size(),
        verb="shared",
        instead="Upload",
        too_large_hint="Share a link to it instead, or a smaller file.",
    )


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
