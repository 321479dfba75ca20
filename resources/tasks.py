"""The library's durable jobs (see connect.tasks)."""

from connect.tasks import retrying_task


@retrying_task(attempts=6, base_delay=60, max_delay=3600)
def document_text_update(document_id, force=False):
    """Read an uploaded or replaced document's text and re-index the pages
    that show it. A file that cannot be read is recorded, not retried; only
    a failure around it (the database, the storage) is tried again."""
    from .services import document_text_extract

    return document_text_extract(document_id=int(document_id), force=bool(force))
