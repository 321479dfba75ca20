"""How a discussion service says no: a stable ``code`` beside a message for the member.

A view shows ``message`` next to ``field``; a WebSocket consumer or a task sends or
logs ``code``, which does not change when the wording does."""

from __future__ import annotations

from connect.actors import ServiceError


class ForumError(ServiceError):
    """A write was refused; ``message`` is written for the member, ``field`` names the form field."""

    default_code = "invalid"

    def __init__(self, message, field=None, *, code=None):
        super().__init__(message, code=code)
        self.field = field


class NotAllowed(ForumError):
    """The member may not do this. Views answer with a 404."""

    default_code = "not_found"

    def __init__(self, message="Not found."):
        super().__init__(message)


class PrivacyCheckRequired(ForumError):
    """The text looks like it identifies a victim; the author must edit or confirm."""

    default_code = "privacy_check_required"

    def __init__(self, findings, field="body"):
        super().__init__("This post may identify a victim.", field=field)
        self.findings = findings
