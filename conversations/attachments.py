"""Files sent with messages: the site's one rule for files, with this app's limits.

What may be attached, and how a file's content is checked against its name,
is :mod:`connect.files`, so members meet one rule wherever they hand over a
file. Here: at most :data:`MAX_ATTACHMENTS` files per message, each at most
``CONVERSATIONS_MAX_ATTACHMENT_SIZE`` (10 MB by default); the messages name
the file, as a message takes several. Files get random names on disk and are
served only through a view that asks ``permissions.can_see_message``.
"""

from __future__ import annotations

from django.conf import settings

from connect.files import ALLOWED, check_file

__all__ = ["ALLOWED", "MAX_ATTACHMENTS", "check_attachment", "max_size"]

MAX_ATTACHMENTS = 5


def max_size():
    return getattr(settings, "CONVERSATIONS_MAX_ATTACHMENT_SIZE", 10 * 1024 * 1024)


def check_attachment(upload):
    """``(storage name, content type, original name)`` or a ValidationError for the sender."""
    checked = check_file(
        upload,
        max_size=max_size(),
        verb="sent",
        instead="Attach",
        too_large_hint="Share a smaller file.",
        name_in_messages=True,
    )
    return checked.storage_name(), checked.content_type, checked.name
