"""allauth adapter: invitation-only signup and the per-account lockout."""

from allauth.account.adapter import DefaultAccountAdapter
from django import forms

from . import lockout
from .services import InvitationError, invitation_resolve

INVITATION_SESSION_KEY = "connect_invitation_token"


def invitation_from_session(request):
    """The usable invitation the visitor opened, or None."""
    token = request.session.get(INVITATION_SESSION_KEY) if request is not None else None
    if not token:
        return None
    try:
        return invitation_resolve(token)
    except InvitationError:
        return None


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request):
        return invitation_from_session(request) is not None

    def pre_authenticate(self, request, **credentials):
        email = credentials.get("email", "")
        if lockout.is_locked(email):
            from .audit import audit_record

            audit_record(action="login.blocked", request=request, target_repr=email.lower(), outcome="denied")
            raise forms.ValidationError(
                "Too many failed sign-in attempts. This account is locked for 15 minutes; "
                "an administrator can unlock it sooner.",
                code="locked",
            )
        super().pre_authenticate(request, **credentials)

    def authentication_failed(self, request, **credentials):
        lockout.lockout_record_failure(request=request, email=credentials.get("email", ""))
        super().authentication_failed(request, **credentials)
