"""Account lockout: 5 failed sign-ins for one email within 15 minutes lock it
until the window passes or an administrator unlocks it.

Kept in the database (through the append-only audit log) rather than a cache,
so every server process agrees and an administrator can see and lift it.
Keyed by the email that was tried, not the account, so the lockout message
reveals nothing about whether an account exists.
"""

from django.conf import settings
from django.db.models import Max
from django.utils import timezone

from .audit import audit_record
from .models import AuditEvent

FAILED = "login.failed"
LOCKED = "login.locked"
UNLOCKED = "login.unlocked"


def _normalise(email):
    return (email or "").strip().lower()[:254]


def _window_start(email):
    start = timezone.now() - settings.CONNECT_LOCKOUT_WINDOW
    last_unlock = AuditEvent.objects.filter(action=UNLOCKED, target_repr=email).aggregate(
        at=Max("created_at")
    )["at"]
    return max(start, last_unlock) if last_unlock else start


def recent_failures(email):
    email = _normalise(email)
    return AuditEvent.objects.filter(
        action=FAILED, target_repr=email, created_at__gt=_window_start(email)
    ).count()


def is_locked(email):
    return recent_failures(email) >= settings.CONNECT_LOCKOUT_FAILURES


def lockout_record_failure(*, request, email):
    """Record a failed sign-in; lock the email when it reaches the limit."""
    email = _normalise(email)
    audit_record(action=FAILED, request=request, target_repr=email, outcome=AuditEvent.Outcome.FAILURE)
    if recent_failures(email) == settings.CONNECT_LOCKOUT_FAILURES:
        audit_record(action=LOCKED, request=request, target_repr=email, outcome=AuditEvent.Outcome.DENIED)


def lockout_clear(*, email, by, request=None):
    """An administrator lifts a lockout."""
    audit_record(action=UNLOCKED, request=request, actor=by, target_repr=_normalise(email))


def locked_emails():
    """Emails locked right now, newest lock first (for the admin screen)."""
    since = timezone.now() - settings.CONNECT_LOCKOUT_WINDOW
    candidates = (
        AuditEvent.objects.filter(action=LOCKED, created_at__gt=since)
        .values_list("target_repr", flat=True)
        .distinct()
    )
    return [email for email in candidates if is_locked(email)]
