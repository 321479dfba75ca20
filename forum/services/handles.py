"""Members' @handles: made when a profile is created or saved, never by a read."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils.text import slugify

from ..models import (
    MemberHandle,
)


def _handle_base(user):
    base = slugify(user.display_name or user.email.split("@")[0]).replace("-", ".")
    return (base or f"member{user.pk}")[:120]


def handle_for(user):
    """The member's @handle, created from their display name the first time it is needed."""
    existing = getattr(user, "forum_handle", None) if _has_cached_handle(user) else None
    if existing is None:
        existing = MemberHandle.objects.filter(user=user).first()
    if existing is not None:
        return existing.handle
    base = _handle_base(user)
    candidate = base
    for n in range(2, 50):
        try:
            with transaction.atomic():
                MemberHandle.objects.create(user=user, handle=candidate, handle_lower=candidate.lower())
            return candidate
        except IntegrityError:
            existing = MemberHandle.objects.filter(user=user).first()
            if existing is not None:
                return existing.handle
            candidate = f"{base}{n}"
    candidate = f"member{user.pk}"
    MemberHandle.objects.get_or_create(user=user, defaults={"handle": candidate, "handle_lower": candidate})
    return candidate


def _has_cached_handle(user):
    try:
        user.forum_handle  # noqa: B018 - raises when the relation is missing
    except MemberHandle.DoesNotExist:
        return False
    return True
