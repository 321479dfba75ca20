"""Account lockout: 5 failed sign-ins for one email from one client address
within 15 minutes lock that email for that address until the window passes,
the owner follows the unlock link emailed to them, or an administrator
unlocks it.

Locking per email *and* address slows a password guesser without handing
anyone a denial of service: an attacker who locks an account from their own
address (or a hundred of them) does not lock its owner out from theirs.
When a lock happens the owner is emailed a single-use unlock link and the
administrators an alert, each at most once per window and account, so the
attack cannot flood their inboxes either.

Kept in the database (through the append-only audit log) rather than a cache,
so every server process agrees and an administrator can see and lift it.
Keyed by the email that was tried, not the account, so the lockout message
reveals nothing about whether an account exists. The client address comes
from connect.audit.client_ip, the one trusted-proxy rule.
"""

import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from .audit import audit_record, client_ip
from .models import AuditEvent

FAILED = "login.failed"
LOCKED = "login.locked"
UNLOCKED = "login.unlocked"
UNLOCK_SENT = "login.unlock_link_sent"
ATTACK_ALERT = "login.attack_alert_sent"

UNLOCK_SALT = "connect.lockout.unlock"
# The link outlives the lock itself so an owner reading email late can still
# clear a lock that was renewed by further attempts.
UNLOCK_LINK_MAX_AGE = 24 * 3600


class UnlockError(Exception):
    """An unlock link that cannot be used, with a message for its visitor."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


def _normalise(email):
    return (email or "").strip().lower()[:254]


def _window_start(email):
    start = timezone.now() - settings.CONNECT_LOCKOUT_WINDOW
    last_unlock = AuditEvent.objects.filter(action=UNLOCKED, target_repr=email).aggregate(
        at=Max("created_at")
    )["at"]
    return max(start, last_unlock) if last_unlock else start


def recent_failures(email, address):
    email = _normalise(email)
    return AuditEvent.objects.filter(
        action=FAILED, target_repr=email, ip_address=address, created_at__gt=_window_start(email)
    ).count()


def is_locked(email, address):
    """Whether sign-in with ``email`` is locked for the client ``address``."""
    return recent_failures(email, address) >= settings.CONNECT_LOCKOUT_FAILURES


def is_locked_for(request, email):
    return is_locked(email, client_ip(request))


def lockout_record_failure(*, request, email):
    """Record a failed sign-in; lock the email for this address when it
    reaches the limit, and tell the owner and the administrators."""
    email = _normalise(email)
    address = client_ip(request)
    audit_record(action=FAILED, request=request, target_repr=email, outcome=AuditEvent.Outcome.FAILURE)
    if recent_failures(email, address) != settings.CONNECT_LOCKOUT_FAILURES:
        return
    audit_record(action=LOCKED, request=request, target_repr=email, outcome=AuditEvent.Outcome.DENIED)
    user = get_user_model()._default_manager.filter(email__iexact=email, is_active=True).first()
    if user is None:
        return
    since = timezone.now() - settings.CONNECT_LOCKOUT_WINDOW
    sent = AuditEvent.objects.filter(target_repr=email, created_at__gt=since)
    from .services import lockout_alert_send, lockout_unlock_link_send

    if not sent.filter(action=UNLOCK_SENT).exists():
        audit_record(action=UNLOCK_SENT, request=request, target=user, target_repr=email)
        token = unlock_token(user)
        transaction.on_commit(lambda: lockout_unlock_link_send(user=user, token=token))
    if not sent.filter(action=ATTACK_ALERT).exists():
        failures = AuditEvent.objects.filter(action=FAILED, target_repr=email, created_at__gt=since)
        summary = {
            "failures": failures.count(),
            "addresses": failures.values("ip_address").distinct().count(),
        }
        audit_record(action=ATTACK_ALERT, request=request, target=user, target_repr=email, detail=summary)
        transaction.on_commit(lambda: lockout_alert_send(user=user, **summary))


def lockout_clear(*, email, by, request=None):
    """An administrator lifts every lock on an email, from every address."""
    audit_record(action=UNLOCKED, request=request, actor=by, target_repr=_normalise(email))


def unlock_token(user):
    """A signed, single-use token naming the account and its email; a link
    carrying it unlocks that account and no other."""
    return signing.dumps(
        {"u": user.pk, "e": _normalise(user.email), "n": secrets.token_urlsafe(12)}, salt=UNLOCK_SALT
    )


def lockout_unlock_by_owner(*, token, request):
    """The owner followed the emailed link: lift every lock on their account.

    The token is refused once used, after a day, for an account whose email
    changed or that was deactivated, and for anyone signed in as someone else.
    """
    try:
        data = signing.loads(token, salt=UNLOCK_SALT, max_age=UNLOCK_LINK_MAX_AGE)
    except signing.SignatureExpired as exc:
        raise UnlockError("This unlock link has expired. Sign in again to be sent a new one.") from exc
    except signing.BadSignature as exc:
        raise UnlockError("This unlock link is not valid. Copy the whole link from the email.") from exc
    if not isinstance(data, dict) or not {"u", "e", "n"} <= data.keys():
        raise UnlockError("This unlock link is not valid. Copy the whole link from the email.")
    User = get_user_model()
    with transaction.atomic():
        user = User._default_manager.select_for_update().filter(pk=data["u"], is_active=True).first()
        if user is None or _normalise(user.email) != data["e"]:
            raise UnlockError("This unlock link is not valid. Copy the whole link from the email.")
        signed_in = getattr(request, "user", None)
        if signed_in is not None and signed_in.is_authenticated and signed_in.pk != user.pk:
            raise UnlockError("This unlock link belongs to another account. Sign out first.")
        used = AuditEvent.objects.filter(action=UNLOCKED, target_repr=data["e"], detail__nonce=data["n"])
        if used.exists():
            raise UnlockError("This unlock link was already used. Sign in again to be sent a new one.")
        audit_record(
            action=UNLOCKED,
            request=request,
            actor=user,
            target=user,
            target_repr=data["e"],
            detail={"by": "owner", "nonce": data["n"]},
        )
    return user


def locked_emails():
    """Emails locked right now from at least one address, newest lock first
    (for the admin screen)."""
    since = timezone.now() - settings.CONNECT_LOCKOUT_WINDOW
    candidates = (
        AuditEvent.objects.filter(action=LOCKED, created_at__gt=since)
        .values_list("target_repr", "ip_address")
        .distinct()
    )
    locked = []
    for email, address in candidates:
        if email not in locked and is_locked(email, address):
            locked.append(email)
    return locked
