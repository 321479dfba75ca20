"""Access rules applied to every request.

Deny by default: a view is reachable without membership only if it is marked
with `connect.decorators.public` or is one of the sign-in steps listed here.
A new view therefore starts members-only, and tests/connect/test_access.py
walks every URL pattern to prove it.
"""

import time
from urllib.parse import quote

from csp.middleware import CSPMiddleware
from csp.utils import default_config
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import Http404, HttpResponseBadRequest, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse

from . import permissions

# Sign-in steps anyone may reach. Signup is listed because the adapter only
# opens it to someone holding a valid invitation.
PUBLIC_URL_NAMES = frozenset(
    {
        "account_login",
        "account_logout",
        "account_signup",
        "account_inactive",
        "account_email_verification_sent",
        "account_confirm_email",
        "account_reset_password",
        "account_reset_password_done",
        "account_reset_password_from_key",
        "account_reset_password_from_key_done",
        "mfa_authenticate",
        "mfa_trust",
    }
)
# Reachable by a signed-in member who still has to set up MFA.
MFA_SETUP_URL_NAMES = frozenset(
    {
        "mfa_index",
        "mfa_activate_totp",
        "mfa_add_webauthn",
        "mfa_generate_recovery_codes",
        "mfa_view_recovery_codes",
        "mfa_download_recovery_codes",
        "mfa_reauthenticate",
        "account_reauthenticate",
        "account_logout",
    }
)
# The site root doubles as the public landing page (connect.models.HomePage.serve).
PUBLIC_PATHS = frozenset({"/"})


class MembersOnlyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        match = request.resolver_match
        url_name = match.url_name if match else None
        if getattr(view_func, "connect_public", False) or url_name in PUBLIC_URL_NAMES:
            return None

        state = permissions.membership_state(request.user)
        if state == permissions.ACTIVE:
            return self._staff_areas(request)
        if request.path_info in PUBLIC_PATHS and state in (permissions.ANONYMOUS, permissions.NOT_MEMBER):
            # The landing page: visitors and people whose membership is not
            # active see what the community is and how to join.
            return None
        if state == permissions.ANONYMOUS:
            login = reverse("account_login")
            return HttpResponseRedirect(f"{login}?next={quote(request.get_full_path())}")
        if state in (permissions.INACTIVE, permissions.UNVERIFIED):
            # Deactivated accounts lose their session here even if the
            # session row survived; unverified ones sign in again to be sent
            # a fresh verification email.
            logout(request)
            return HttpResponseRedirect(reverse("account_login"))
        if state == permissions.NEEDS_MFA:
            if url_name in MFA_SETUP_URL_NAMES:
                return None
            messages.info(
                request,
                "Task Force Connect requires two-factor authentication. "
                "Set up an authenticator app to continue.",
            )
            return HttpResponseRedirect(reverse("mfa_activate_totp"))
        # Signed in, but not (or no longer) a member of the community.
        if url_name == "account_logout":
            return None
        return render(request, "connect/not_member.html", status=403)

    @staticmethod
    def _staff_areas(request):
        """The Wagtail admin is for moderators and administrators, and the parts
        of it apps open to others (`register_admin_access`); the Django admin
        is for administrators. To everyone else they do not exist."""
        path = request.path_info
        if path.startswith(reverse("wagtailadmin_home")):
            match = request.resolver_match
            if not permissions.can_open_admin_view(request.user, match.view_name if match else ""):
                raise Http404
        if path.startswith(reverse("admin:index")) and not (
            permissions.is_administrator(request.user) and request.user.is_staff
        ):
            raise Http404
        return None


class SessionTimeoutMiddleware:
    """Sign members out after 30 minutes idle or 12 hours in all.

    The last-seen time is written at most once a minute so that browsing does
    not turn every page view into a session write.
    """

    TOUCH_EVERY = 60

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            now = time.time()
            session = request.session
            started = session.get("connect_started")
            last_seen = session.get("connect_last_seen")
            if started is None:
                session["connect_started"] = started = now
            if last_seen is None:
                session["connect_last_seen"] = last_seen = now
            idle = now - last_seen > settings.CONNECT_SESSION_IDLE_TIMEOUT.total_seconds()
            too_old = now - started > settings.CONNECT_SESSION_MAX_AGE.total_seconds()
            if idle or too_old:
                logout(request)
                messages.info(
                    request,
                    "You were signed out after 30 minutes without activity. Please sign in again."
                    if idle
                    else "Sessions last at most 12 hours. Please sign in again.",
                )
                return HttpResponseRedirect(
                    f"{reverse('account_login')}?next={quote(request.get_full_path())}"
                )
            if now - last_seen > self.TOUCH_EVERY:
                session["connect_last_seen"] = now
        return self.get_response(request)


class UserSessionActivityMiddleware:
    """allauth's record of a member's sessions (the sessions page, and how
    `sessions_end_all` finds them), kept like allauth's own middleware but
    written when a session is first seen and then at most once a minute,
    rather than an UPDATE on every request.

    The session remembers which session key it last recorded and when, so a
    key cycled at sign-in is recorded at once.
    """

    TOUCH_EVERY = 60
    SESSION_KEY = "connect_activity"

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from allauth.usersessions import app_settings

        session = getattr(request, "session", None)
        user = getattr(request, "user", None)
        if (
            app_settings.TRACK_ACTIVITY
            and session is not None
            and session.session_key
            and user is not None
            and user.is_authenticated
        ):
            now = time.time()
            recorded = session.get(self.SESSION_KEY)
            if (
                not isinstance(recorded, list)
                or len(recorded) != 2
                or recorded[0] != session.session_key
                or not isinstance(recorded[1], int | float)
                or now - recorded[1] > self.TOUCH_EVERY
            ):
                from allauth.usersessions.models import UserSession

                UserSession.objects.create_from_request(request)
                session[self.SESSION_KEY] = [session.session_key, now]
        return self.get_response(request)


class RejectNulBytesMiddleware:
    """Refuse a NUL character anywhere in the address or the cookies with 400.

    No page has a use for one, and PostgreSQL refuses NUL in text, so such a
    request would otherwise reach a query and end in a 500. Answered in plain
    text without templates or the database, so it cannot fail in turn.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        query = request.META.get("QUERY_STRING", "")
        if (
            "\x00" in request.path_info
            or "\x00" in query
            or "%00" in query
            or "\x00" in request.META.get("HTTP_COOKIE", "")
        ):
            response = HttpResponseBadRequest(
                "Bad request: the address contains a character that is not allowed.\n",
                content_type="text/plain; charset=utf-8",
            )
            response["Cache-Control"] = "no-store"
            return response
        return self.get_response(request)


class NoStoreMiddleware:
    """Tell browsers and proxies to keep no copy of anything the site sends.

    Members read and download sensitive material, often on shared computers;
    a page left in the browser's cache can be read by the next person at the
    keyboard. It sits below WhiteNoise, so static files keep their long-lived
    caching; everything else (pages, fragments, downloads, feeds, public pages
    a member may see signed in) is `no-store`, replacing whatever a view set.
    """

    VALUE = "no-store, no-cache, must-revalidate, private"

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response["Cache-Control"] = self.VALUE
        # Old HTTP/1.0 caches ignore Cache-Control.
        response["Pragma"] = "no-cache"
        if "Expires" in response:
            del response["Expires"]
        return response


class PermissionsPolicyMiddleware:
    """Switch off browser features no page uses (camera, geolocation…), so a
    script that ever slipped in could not reach them either."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.value = ", ".join(
            f"{feature}=({' '.join(allow)})" for feature, allow in settings.CONNECT_PERMISSIONS_POLICY.items()
        )

    def __call__(self, request):
        response = self.get_response(request)
        response.setdefault("Permissions-Policy", self.value)
        return response


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """django-csp's middleware with one policy for the site and another for
    the Wagtail admin.

    The site's policy (`CONTENT_SECURITY_POLICY`) allows scripts and styles
    from our own static files only. The Wagtail admin still writes inline
    scripts and styles (date pickers, inline panels, its own preview frame)
    and has no nonce support, so under `CONNECT_CSP_ADMIN_PREFIXES` it gets
    `CONNECT_CSP_ADMIN_DIRECTIVES` instead: the same policy with those inline
    sources allowed and same-origin framing for its preview. Only moderators,
    administrators and those an app opened part of it to ever see those pages.
    """

    def get_policy_parts(self, request, response, report_only=False):
        parts = super().get_policy_parts(request, response, report_only=report_only)
        if (
            not report_only
            and parts.config is None
            and request.path_info.startswith(tuple(settings.CONNECT_CSP_ADMIN_PREFIXES))
        ):
            parts.config = default_config(settings.CONNECT_CSP_ADMIN_DIRECTIVES)
            # A nonce next to 'unsafe-inline' would switch 'unsafe-inline' off.
            parts.nonce = None
        return parts
