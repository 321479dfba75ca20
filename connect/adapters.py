"""allauth adapter: invitation-only signup, the per-account-and-address
lockout, the client address from the one trusted-proxy rule, and
reauthentication with the second factor for members who have one. allauth's
own emails (verification, password reset) are delivered by `connect.mail`,
like every other email the site sends."""

from urllib.parse import quote

from allauth.account.adapter import DefaultAccountAdapter
from allauth.mfa.utils import is_mfa_enabled
from django import forms
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.template.loader import render_to_string
from django.urls import reverse

from . import lockout
from .audit import audit_record, client_ip
from .mail import AUTOMATED_HEADERS, absolute_url, base_url, mail_deliver
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

    def send_mail(self, template_prefix, email, context):
        # allauth renders (our templates/account/email and templates/mfa/email,
        # ACCOUNT_EMAIL_SUBJECT_PREFIX); the one delivery path of connect.mail
        # sends, so its retries apply here too. allauth's own context names the
        # site after the request's host; these emails name it and link to it
        # through the one base URL instead, like every other email.
        context = {
            "email": email,
            **context,
            "site_name": settings.WAGTAIL_SITE_NAME,
            "site_url": base_url(),
            "help_email": settings.CONNECT_HELP_EMAIL,
        }
        message = self.render_mail(template_prefix, email, context)
        message.extra_headers = {**AUTOMATED_HEADERS, **message.extra_headers}
        if not getattr(message, "alternatives", None):
            message.attach_alternative(
                render_to_string("email/base.html", {"text": message.body}), "text/html"
            )
        mail_deliver(message)

    def get_email_confirmation_url(self, request, emailconfirmation):
        return absolute_url(reverse("account_confirm_email", args=[emailconfirmation.key]))

    def get_reset_password_from_key_url(self, key):
        path = reverse("account_reset_password_from_key", kwargs={"uidb36": "UID", "key": "KEY"})
        return absolute_url(path.replace("UID-KEY", quote(key)))

    def get_client_ip(self, request):
        # allauth's rate limits read the address through the same rule as the
        # audit log and the lockout (CONNECT_TRUSTED_PROXY_COUNT); its own
        # default would count every client behind the proxy as one.
        ip = client_ip(request)
        if not ip:
            raise PermissionDenied("Unable to determine client IP address")
        return ip

    def _get_login_attempts_cache_key(self, request, **credentials):
        # allauth's per-login failure limit, counted per login *and* address:
        # counted per login alone, anyone could keep an account locked out.
        return f"{super()._get_login_attempts_cache_key(request, **credentials)}:{client_ip(request)}"

    def pre_authenticate(self, request, **credentials):
        email = credentials.get("email", "")
        if lockout.is_locked_for(request, email):
            audit_record(action="login.blocked", request=request, target_repr=email.lower(), outcome="denied")
            raise forms.ValidationError(
                "Too many failed sign-in attempts from this network. This account is locked "
                "for 15 minutes here. If it is yours, the link we emailed to its address "
                "unlocks it sooner.",
                code="locked",
            )
        super().pre_authenticate(request, **credentials)

    def authentication_failed(self, request, **credentials):
        lockout.lockout_record_failure(request=request, email=credentials.get("email", ""))
        super().authentication_failed(request, **credentials)

    def get_reauthentication_methods(self, user):
        """A member with a second factor confirms privileged actions with it:
        the password alone, the one thing a phished or guessed credential
        gives away, is not offered (allauth then redirects its password page
        to the first method left)."""
        methods = super().get_reauthentication_methods(user)
        if user.is_authenticated and is_mfa_enabled(user):
            methods = [m for m in methods if m["id"] != "reauthenticate"] or methods
        return methods
