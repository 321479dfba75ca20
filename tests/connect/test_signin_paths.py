"""Every way into an account goes through allauth: MFA, lockout, rate limits
and the audit log. Other packages mount their own login and password views
(Wagtail's front end and admin, the Django admin); none of them may sign
anyone in, and a new package that mounts one fails the URL walker here."""

import inspect
import re

import pytest
from django.contrib.auth import views as auth_views
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from connect.models import AuditEvent
from tests.factories import TEST_PASSWORD

from .test_access import _is_public, all_paths

pytestmark = pytest.mark.django_db

# The URLs where Wagtail and the Django admin used to accept a password.
FORMER_LOGIN_URLS = ["/_util/login/", "/admin/login/", "/django-admin/login/"]
AUTH_VIEW_CLASSES = (
    auth_views.LoginView,
    auth_views.PasswordChangeView,
    auth_views.PasswordResetView,
    auth_views.PasswordResetConfirmView,
)
# Bound admin methods and function views that check a password themselves.
AUTH_FUNCTION_NAMES = {
    "AdminSite.login",
    "AdminSite.password_change",
    "authenticate_with_password",
    "user_change_password",
}


def _credentials(user):
    """Every field name a login form might read."""
    return {
        "username": user.email,
        "login": user.email,
        "email": user.email,
        "password": TEST_PASSWORD,
        "old_password": TEST_PASSWORD,
        "new_password1": "another-long-passphrase-91",
        "new_password2": "another-long-passphrase-91",
    }


def _session_user_id(client):
    return client.session.get("_auth_user_id")


def _login(client, email, password=TEST_PASSWORD, **extra):
    return client.post("/accounts/login/", {"login": email, "password": password}, **extra)


def _views_of(callback):
    """The callback and everything it wraps (decorators, as_view())."""
    seen = set()
    func = callback
    while func is not None and id(func) not in seen:
        seen.add(id(func))
        yield func
        view_class = getattr(func, "view_class", None)
        if view_class is not None:
            yield view_class
        func = getattr(func, "__wrapped__", None)


def _mounts_a_password_view(callback):
    for view in _views_of(callback):
        module = getattr(view, "__module__", "") or ""
        if module.startswith("allauth."):
            return False
        if inspect.isclass(view) and issubclass(view, AUTH_VIEW_CLASSES):
            return True
        function = getattr(view, "__func__", view)
        qualname = getattr(function, "__qualname__", "")
        if qualname in AUTH_FUNCTION_NAMES or qualname.split(".")[-1] in AUTH_FUNCTION_NAMES:
            return True
    return False


def _patterns(patterns=None, prefix=""):
    for entry in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(entry, URLResolver):
            yield from _patterns(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry


def _reached_first(route):
    """Whether a request for ``route`` would get to its pattern, or is
    answered by an earlier one (the redirects in connect.urls)."""
    from django.urls import resolve

    sample = "/" + re.sub(r"<(?:\w+:)?\w+>", "1", route).lstrip("^").rstrip("$").replace("\\", "")
    sample = re.sub(r"\(\?P<\w+>[^)]*\)", "1", sample)
    try:
        return resolve(sample).func
    except Exception:  # noqa: BLE001 - unresolvable samples are checked by the POST walk
        return None


def password_views_outside_allauth():
    """Routes whose view (or anything it wraps) is a login or password view
    not from allauth, unless an earlier pattern answers the same URL."""
    offenders = []
    for route, entry in _patterns():
        if not _mounts_a_password_view(entry.callback):
            continue
        answered_by = _reached_first(route)
        if answered_by is not None and not _mounts_a_password_view(answered_by):
            continue  # shadowed by an earlier redirect or 404
        offenders.append(route)
    return offenders


def test_url_walker_finds_no_password_view_outside_allauth():
    offenders = password_views_outside_allauth()
    assert not offenders, "views outside allauth that accept a password:\n" + "\n".join(offenders)


def test_url_walker_catches_a_mounted_login_view(settings):
    settings.ROOT_URLCONF = "tests.connect.leaky_login_urls"
    from django.urls import clear_url_caches

    clear_url_caches()
    try:
        offenders = password_views_outside_allauth()
    finally:
        clear_url_caches()
    assert offenders == ["sneaky/login/", "sneaky/decorated/"]


def test_no_url_signs_in_with_a_password_alone(administrator, moderator):
    """POST valid credentials to every URL the resolver knows, anonymously and
    signed in as someone else: the session never becomes the target's. (At
    allauth's own login the password only starts the second-factor step.)"""
    paths, _unwalkable = all_paths()
    anonymous = Client(raise_request_exception=False)
    signed_in = Client(raise_request_exception=False)
    signed_in.force_login(moderator)
    data = _credentials(administrator)
    taken_over = []
    for path in paths:
        # Visitors reach only the public views (test_access proves the rest
        # stop at the middleware); a moderator reaches nearly everything.
        clients = [("anonymous", anonymous)] if _is_public(path) or path == "/" else []
        for label, client in [*clients, ("moderator", signed_in)]:
            client.post(path, data)
            if _session_user_id(client) == str(administrator.pk):
                taken_over.append(f"{path} ({label})")
                client.logout()
            if label == "moderator" and _session_user_id(client) != str(moderator.pk):
                client.force_login(moderator)
    assert not taken_over, "a password alone signed in at:\n" + "\n".join(taken_over)


@pytest.mark.parametrize("path", FORMER_LOGIN_URLS)
def test_former_login_urls_do_not_sign_in_a_member_as_someone_else(path, member, administrator):
    client = Client()
    client.force_login(member)
    response = client.post(path, {"username": administrator.email, "password": TEST_PASSWORD})
    assert _session_user_id(client) != str(administrator.pk)
    assert response.status_code in (302, 404)
    assert client.get("/django-admin/").status_code == 404
    assert client.get("/admin/").status_code == 404


@pytest.mark.parametrize(
    "path, persona",
    [("/_util/login/", "member"), ("/admin/login/", "moderator"), ("/django-admin/login/", "administrator")],
)
def test_former_login_urls_lead_to_allauth(path, persona, request):
    # Each asked by someone the area is open to (to others both admins are a 404).
    client = Client()
    client.force_login(request.getfixturevalue(persona))
    response = client.get(path + "?next=/members/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=%2Fmembers%2F"
    # An off-site next is dropped, not followed.
    response = client.get(path + "?next=https://evil.example/")
    assert response["Location"] == "/accounts/login/"


def test_moderator_cannot_sign_in_as_the_administrator_at_the_admin_login(moderator, administrator):
    client = Client()
    client.force_login(moderator)
    client.post("/admin/login/", {"username": administrator.email, "password": TEST_PASSWORD})
    assert _session_user_id(client) == str(moderator.pk)
    assert client.get("/django-admin/").status_code == 404


def test_wagtail_and_django_password_views_lead_to_allauth(administrator_client):
    cases = {
        "/admin/password_reset/": "/accounts/password/reset/",
        "/admin/password_reset/confirm/MQ/abc-123/": "/accounts/password/reset/",
        "/django-admin/password_change/": "/accounts/password/change/",
        "/django-admin/password_change/done/": "/accounts/password/change/",
        "/admin/account/": "/profile/",
    }
    for path, target in cases.items():
        for method in (administrator_client.get, administrator_client.post):
            response = method(path, {"old_password": TEST_PASSWORD, "new_password1": "x" * 20})
            assert response.status_code == 302, path
            assert response["Location"] == target, path


def test_shared_page_and_document_passwords_are_not_accepted(member_client):
    for path in ["/_util/authenticate_with_password/1/1/", "/documents/authenticate_with_password/1/"]:
        assert member_client.post(path, {"password": "anything", "return_url": "/"}).status_code == 404


def test_wagtail_sign_out_button_signs_out_through_allauth(moderator_client, moderator):
    response = moderator_client.post("/admin/logout/")
    assert response.status_code == 307
    assert response["Location"] == "/accounts/logout/"
    moderator_client.post(response["Location"])
    assert _session_user_id(moderator_client) is None
    assert AuditEvent.objects.filter(action="logout", actor=moderator).exists()
