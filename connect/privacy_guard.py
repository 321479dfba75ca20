"""The privacy guard's one flow, for everything a member writes that others read.

Every app that takes member text (discussions, shared resources, profiles,
flags) asks :func:`privacy_check` before it saves. When the guard finds
something, the member is shown exactly what was found and either removes it
or confirms ("post for review"); a confirmed item is held for a moderator.

What the guard allows must never tell the writer anything about other
members: only the writer's own legal name and own email address are
allowed, so "is this address a member's?" or "is this a member's name?"
gets the same answer, a finding, whoever it belongs to.
"""

from __future__ import annotations

from collections.abc import Iterable

from . import privacy
from .actors import ServiceError


class PrivacyCheckRequired(ServiceError):
    """The text may identify a victim; the writer must remove it or confirm.

    ``findings`` are :func:`connect.privacy.summarize` dicts to show the
    writer; ``field`` names the form field to point them to.
    """

    default_code = "privacy_check_required"

    def __init__(self, findings, *, field=None, message="This may identify a victim."):
        super().__init__(message)
        self.findings = findings
        self.field = field


def privacy_findings(
    text: str, *, author, handles: Iterable[str] = (), mentions: bool = False
) -> list[dict[str, str]]:
    """What the guard finds in ``text`` written by ``author``.

    ``handles`` are members' forum @handles mentioned in the text (links to
    profiles, not social-media accounts). Names are allowed by the legal name
    moderators verified when the author joined, never by a display name a
    member can set to anything, including a victim's name. ``mentions``
    says ``@word`` is mention syntax in this text (discussions).
    """
    own_email = (getattr(author, "email", "") or "").casefold()
    names = [author.get_full_name()] if author is not None else []
    return privacy.summarize(
        privacy.scan(
            text or "",
            allowed_emails=lambda address: bool(own_email) and address.casefold() == own_email,
            allowed_names=names,
            allowed_handles=handles,
            mentions=mentions,
        )
    )


def privacy_check(*texts: str, author, confirm_privacy: bool, field=None, handles: Iterable[str] = ()):
    """Scan ``texts`` together (a title beside its body reads as one text).

    Returns the findings (empty when there are none, or when the writer
    confirmed them: then the caller holds the item for a moderator). Raises
    :class:`PrivacyCheckRequired` when there are findings and the writer has
    not confirmed.
    """
    text = "\n\n".join(t for t in texts if t)
    findings = privacy_findings(text, author=author, handles=handles)
    if findings and not confirm_privacy:
        raise PrivacyCheckRequired(findings, field=field)
    return findings
