"""Writes in the membership domain. Each function is the one place its change
happens, with its audit event and its emails."""

import secrets

from django.conf import settings
from django.contrib.auth.models import Group
from django.contrib.sessions.models import Session
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.dispatch import Signal
from django.urls import reverse
from django.utils import timezone

from . import mail, permissions
from .audit import audit_record
from .live import access_changed
from .mail import absolute_url
from .models import (
    Invitation,
    MemberProfile,
    MembershipRequest,
    Role,
    User,
    WelcomeProgress,
    display_name_conflict,
)
from .privacy_guard import privacy_check
from .tasks import message_key


class InvitationError(Exception):
    """An invitation link that cannot be used; ``code`` is stable, ``message`` is for people."""

    MESSAGES = {
        "unknown": "This invitation link is not valid. Check that you copied the whole link "
        "from the email, or ask the moderators for a new one.",
        "expired": "This invitation link has expired. Ask the moderators to send you a new one.",
        "used": "This invitation link has already been used. Sign in with the account you created.",
        "revoked": "This invitation has been withdrawn.",
    }

    def __init__(self, code):
        self.code = code
        self.message = self.MESSAGES[code]
        super().__init__(self.message)


def _send(template, *, to, context, key=None):
    """Queue the email in the caller's transaction: the decision and the
    message owed for it commit together, and the moderator never waits on
    (or sees an error from) the mail server."""
    mail.mail_deliver(
        mail.mail_compose(to=to, template=template, context=context),
        key=message_key(template, to, key) if key is not None else None,
    )


# Sent inside the transaction that stores a membership request, with
# ``membership_request`` and ``review_url`` (the admin page where it waits), so
# the floors above tell moderators without this module knowing them.
membership_requested = Signal()


def membership_request_review_url(membership_request):
    from .wagtail_hooks import membership_request_viewset

    return reverse(membership_request_viewset.get_url_name("inspect"), args=[membership_request.pk])


def membership_request_create(*, data, origin=None):
    """Store a request to join and acknowledge it to the applicant by email.

    A second pending request for the same address is stored too, and the
    visitor sees the same confirmation either way: telling a stranger that
    an address already has a request waiting would reveal who applied. The
    reviewer sees the duplicate on the request's page; the address's owner
    is acknowledged once."""
    email = data["email"].strip().lower()
    task_force = data["task_force"]
    if not task_force.is_active:
        raise ValidationError("Choose a task force from the list.", code="unknown_task_force")
    with transaction.atomic():
        duplicate = MembershipRequest.objects.filter(
            email__iexact=email, status=MembershipRequest.Status.PENDING
        ).exists()
        req = MembershipRequest.objects.create(
            **{**data, "email": email},
            # The one trusted-proxy rule: behind nginx REMOTE_ADDR is the proxy's address.
            ip_address=origin.ip_address if origin else None,
        )
        audit_record(
            action="membership.requested", origin=origin, target=req, detail={"duplicate": duplicate}
        )
        if not duplicate:
            _send("request_received", to=email, context={"request": req}, key=str(req.pk))
        membership_requested.send(
            sender=MembershipRequest, membership_request=req, review_url=membership_request_review_url(req)
        )
    return req


def membership_request_approve(*, membership_request, reviewer, origin=None):
    """Approve a pending request and email a single-use invitation link."""
    with transaction.atomic():
        req = MembershipRequest.objects.select_for_update().get(pk=membership_request.pk)
        if req.status != MembershipRequest.Status.PENDING:
            raise ValidationError("Only pending requests can be approved.", code="not_pending")
        if User.objects.filter(email__iexact=req.email).exists():
            raise ValidationError(
                "An account with this email already exists; approve nothing new.",
                code="existing_account",
            )
        req.status = MembershipRequest.Status.APPROVED
        req.reviewed_by = reviewer
        req.reviewed_at = timezone.now()
        req.save(update_fields=["status", "reviewed_by", "reviewed_at"])
        token = invitation_create(membership_request=req)
        audit_record(action="membership.approved", origin=origin, actor=reviewer, target=req)
        url = absolute_url(reverse("connect:invitation_accept", kwargs={"token": token}))
        _send(
            "invitation",
            to=req.email,
            context={
                "request": req,
                "url": url,
                "expires_days": settings.CONNECT_INVITATION_TTL.days,
            },
            key=Invitation.hash_token(token),
        )
    return token


def membership_request_reinvite(*, membership_request, reviewer, origin=None):
    """Send an approved applicant who has not joined a fresh invitation (the
    first expired or got lost); earlier links stop working."""
    with transaction.atomic():
        req = MembershipRequest.objects.select_for_update().get(pk=membership_request.pk)
        if req.status != MembershipRequest.Status.APPROVED:
            raise ValidationError(
                "Only approved requests whose applicant has not joined yet can be sent a new invitation.",
                code="not_approved",
            )
        token = invitation_create(membership_request=req)
        audit_record(action="membership.reinvited", origin=origin, actor=reviewer, target=req)
        url = absolute_url(reverse("connect:invitation_accept", kwargs={"token": token}))
        _send(
            "invitation",
            to=req.email,
            context={"request": req, "url": url, "expires_days": settings.CONNECT_INVITATION_TTL.days},
            key=Invitation.hash_token(token),
        )
    return token


def invitation_create(*, membership_request):
    """A fresh invitation; earlier unused ones for the same request are revoked."""
    now = timezone.now()
    Invitation.objects.filter(
        request=membership_request, used_at__isnull=True, revoked_at__isnull=True
    ).update(revoked_at=now)
    token = secrets.token_urlsafe(32)
    Invitation.objects.create(
        request=membership_request,
        email=membership_request.email,
        token_hash=Invitation.hash_token(token),
        expires_at=now + settings.CONNECT_INVITATION_TTL,
    )
    return token


def membership_request_deny(*, membership_request, reviewer, reason, origin=None):
    """Deny a pending request and tell the applicant why."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("Give the applicant a reason for the denial.", code="reason_required")
    with transaction.atomic():
        req = MembershipRequest.objects.select_for_update().get(pk=membership_request.pk)
        if req.status != MembershipRequest.Status.PENDING:
            raise ValidationError("Only pending requests can be denied.", code="not_pending")
        req.status = MembershipRequest.Status.DENIED
        req.reviewed_by = reviewer
        req.reviewed_at = timezone.now()
        req.denial_reason = reason
        req.save(update_fields=["status", "reviewed_by", "reviewed_at", "denial_reason"])
        audit_record(
            action="membership.denied",
            origin=origin,
            actor=reviewer,
            target=req,
            detail={"reason": reason},
        )
        _send("denial", to=req.email, context={"request": req, "reason": reason}, key=req.pk)
    return req


def invitation_resolve(token):
    """The usable invitation for ``token``, or InvitationError saying why not."""
    if not token or len(token) > 100:
        raise InvitationError("unknown")
    invitation = (
        Invitation.objects.select_related("request", "request__task_force")
        .filter(token_hash=Invitation.hash_token(token))
        .first()
    )
    if invitation is None:
        raise InvitationError("unknown")
    if invitation.used_at:
        raise InvitationError("used")
    if invitation.revoked_at:
        raise InvitationError("revoked")
    if invitation.expires_at <= timezone.now():
        raise InvitationError("expired")
    return invitation


def member_join(*, user, invitation, origin=None):
    """Turn a freshly signed-up account into a member, using the invitation once."""
    with transaction.atomic():
        inv = Invitation.objects.select_for_update().get(pk=invitation.pk)
        if not inv.is_usable:
            raise InvitationError("used" if inv.used_at else "expired")
        inv.used_at = timezone.now()
        inv.save(update_fields=["used_at"])
        req = inv.request
        user.first_name = req.first_name
        user.last_name = req.last_name
        user.save(update_fields=["first_name", "last_name"])
        MemberProfile.objects.create(
            user=user,
            display_name=display_name_for_newcomer(
                full_name=req.full_name, task_force=req.task_force, user=user
            ),
            task_force=req.task_force,
            discipline=req.discipline,
            title=req.title,
            agency=req.agency,
        )
        user.groups.add(Group.objects.get(name=Role.MEMBER))
        req.status = MembershipRequest.Status.JOINED
        req.save(update_fields=["status"])
        audit_record(action="membership.joined", origin=origin, actor=user, target=user)
    return user


def display_name_for_newcomer(*, full_name, task_force, user):
    """A newcomer is shown by their legal name unless another member already
    goes by it; then their task force tells the two apart (and a number, in
    the unlikely case that is taken too)."""
    candidates = [full_name, f"{full_name} ({task_force.name})"]
    candidates += [f"{full_name} ({task_force.name}) {n}" for n in range(2, 100)]
    for name in candidates:
        if display_name_conflict(name[:120], user=user) is None:
            return name[:120]
    return f"{full_name} ({task_force.name}) {secrets.token_hex(3)}"[:120]


def member_deactivate(*, user, by, origin=None, reason=""):
    """Deactivate an account and end every session it has."""
    with transaction.atomic():
        user.is_active = False
        user._sessions_ended_by_service = True  # counted here, for the audit event
        user.save(update_fields=["is_active"])
        ended = sessions_end_all(user=user)
        audit_record(
            action="member.deactivated",
            origin=origin,
            actor=by,
            target=user,
            detail={"reason": reason, "sessions_ended": ended},
        )
    return user


def member_reactivate(*, user, by, origin=None):
    user.is_active = True
    user.save(update_fields=["is_active"])
    audit_record(action="member.reactivated", origin=origin, actor=by, target=user)
    return user


def sessions_end_all(*, user, keep_session_key=None):
    """Delete every stored session of ``user`` (but ``keep_session_key``);
    returns how many ended.

    allauth's user-sessions table knows which sessions belong to whom; the
    scan of the session table covers sessions created before tracking.
    """
    from allauth.usersessions.models import UserSession

    ended = 0
    for user_session in UserSession.objects.filter(user=user).exclude(session_key=keep_session_key or ""):
        user_session.end()
        ended += 1
    user_pk = str(user.pk)
    stale = [
        s.session_key
        for s in Session.objects.filter(expire_date__gt=timezone.now()).iterator()
        if s.get_decoded().get("_auth_user_id") == user_pk and s.session_key != keep_session_key
    ]
    if stale:
        Session.objects.filter(session_key__in=stale).delete()
    # Open sockets of those sessions close now rather than at their next re-check.
    access_changed(user.pk)
    return ended + len(stale)


def member_set_role(*, user, role, by, origin=None):
    """Give ``user`` exactly one role (member, moderator or administrator)."""
    role = Role(role)
    with transaction.atomic():
        role_groups = Group.objects.filter(name__in=[r.value for r in Role])
        previous = sorted(user.groups.filter(pk__in=role_groups).values_list("name", flat=True))
        user.groups.remove(*role_groups)
        user.groups.add(Group.objects.get(name=role))
        # The Wagtail admin is for moderators and administrators; is_staff
        # only gates the Django admin, which is for administrators.
        user.is_staff = role == Role.ADMINISTRATOR
        user.save(update_fields=["is_staff"])
        # The object may be the one this request checks permissions on.
        permissions.forget_membership_state(user)
        audit_record(
            action="member.role_changed",
            origin=origin,
            actor=by,
            target=user,
            detail={"from": previous, "to": role.value},
        )
    return user


# What a member writes about themselves that other members read; the work
# phone is a contact detail with its own visibility.
PROFILE_TEXT_FIELDS = ("display_name", "title", "agency", "bio", "expertise", "languages")


def profile_update(*, profile, form, origin=None, confirm_privacy=False):
    """Save a member's own profile form, after the privacy guard.

    With findings the member must remove them or confirm
    (:class:`connect.privacy_guard.PrivacyCheckRequired`); a confirmed
    profile is saved *held* (``privacy_findings``): only the member and
    moderators see it until a moderator releases it.
    """
    texts = []
    for name in PROFILE_TEXT_FIELDS:
        value = form.cleaned_data.get(name) or ""
        texts.append(", ".join(map(str, value)) if isinstance(value, list | tuple) else str(value))
    findings = privacy_check(
        *texts, author=profile.user, confirm_privacy=confirm_privacy, field="bio", handles=()
    )
    form.instance.privacy_findings = findings
    profile = form.save()
    audit_record(
        action="profile.updated", origin=origin, target=profile.user, detail={"held": bool(findings)}
    )
    return profile


def profile_release(*, moderator, profile, origin=None):
    """A moderator has read a held profile and lets other members see it again."""
    if not permissions.can_release_profile(moderator, profile):
        raise PermissionDenied
    profile.privacy_findings = []
    profile.save(update_fields=["privacy_findings"])
    audit_record(action="profile.released", origin=origin, actor=moderator, target=profile.user)
    return profile


# --- Lockout emails ---------------------------------------------------------------
# Called by connect.lockout after the lock is committed. Neither email says
# more than the owner or an administrator needs to act: no password tried,
# no address beyond a count.


def lockout_unlock_link_send(*, user, token):
    """Email the owner of a locked account a single-use link to unlock it."""
    _send(
        "unlock",
        to=user.email,
        context={
            "user": user,
            "unlock_url": absolute_url(reverse("connect:login_unlock", kwargs={"token": token})),
            "window_minutes": int(settings.CONNECT_LOCKOUT_WINDOW.total_seconds() // 60),
        },
    )


def lockout_alert_send(*, user, failures, addresses):
    """Tell every administrator that an account is being guessed at."""
    from django.db.models import Q

    recipients = (
        User.objects.filter(Q(groups__name=Role.ADMINISTRATOR) | Q(is_superuser=True), is_active=True)
        .distinct()
        .values_list("email", flat=True)
    )
    context = {
        "account": user,
        "failures": failures,
        "addresses": addresses,
        "lockouts_url": absolute_url(reverse("connect_admin:lockouts")),
        "window_minutes": int(settings.CONNECT_LOCKOUT_WINDOW.total_seconds() // 60),
    }
    for email in recipients:
        _send("attack_alert", to=email, context=context)


def welcome_guidelines_read(*, user):
    """Record that a member opened the community guidelines (the first time
    only: later visits write nothing)."""
    if WelcomeProgress.objects.filter(user=user, guidelines_read_at__isnull=False).exists():
        return
    with transaction.atomic():
        progress, _ = WelcomeProgress.objects.select_for_update().get_or_create(user=user)
        if progress.guidelines_read_at is None:
            progress.guidelines_read_at = timezone.now()
            progress.save(update_fields=["guidelines_read_at"])


def welcome_dismiss(*, user):
    """Put the home page's welcome away for good, whatever is left of it."""
    with transaction.atomic():
        progress, _ = WelcomeProgress.objects.select_for_update().get_or_create(user=user)
        if progress.dismissed_at is None:
            progress.dismissed_at = timezone.now()
            progress.save(update_fields=["dismissed_at"])
