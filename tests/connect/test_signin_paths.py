"""Every way into an account goes through allauth: MFA, lockout, rate limits
and the audit log. Other packages mount their own login and password views
(Wagtail's front end and admin, the Django admin); none of them may sign
anyone in, and a new package that mounts one fails the URL walker here."""

import inspect
import re

import pytest
from django.contrib.auth import views as auth_views
from django.core import mail
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from connect import lockout
from connect.models import AuditEvent, Role
from tests.factories import TEST_PASSWORD, TEST_TOTP_SECRET, make_member

from .helpers import path_of, totp_code
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
MFA_REAUTH_PATH = "/accounts/2fa/reauthenticate/"


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


# --- Lockout ---------------------------------------------------------------------


def _lock(email, address="203.0.113.5", times=5):
    attacker = Client(REMOTE_ADDR=address)
    for _ in range(times):
        _login(attacker, email, "wrong-password-123")
    return attacker


def test_locked_account_is_not_signed_in_by_any_route(administrator, member):
    attacker = _lock(administrator.email)
    response = _login(attacker, administrator.email)
    assert response.status_code == 200
    assert "locked" in response.content.decode()
    # Not even half-way: the second-factor step was never reached.
    assert attacker.get("/accounts/2fa/authenticate/").status_code == 302
    # Nor through another package's login, by a member signed in from the
    # same address.
    attacker.force_login(member)
    for path in FORMER_LOGIN_URLS:
        attacker.post(path, _credentials(administrator))
        assert _session_user_id(attacker) == str(member.pk), path


def test_lockout_by_account_and_address_leaves_the_owner_in_from_elsewhere(member):
    attacker = _lock(member.email, times=11)  # beyond allauth's own per-login limit
    assert lockout.is_locked(member.email, "203.0.113.5")
    owner = Client(REMOTE_ADDR="198.51.100.7")
    response = _login(owner, member.email)
    assert response.status_code == 302
    assert response["Location"] == "/accounts/2fa/authenticate/"
    owner.post("/accounts/2fa/authenticate/", {"code": totp_code(TEST_TOTP_SECRET)})
    assert _session_user_id(owner) == str(member.pk)
    assert "locked" in _login(attacker, member.email).content.decode()


def test_lockout_reads_the_address_through_the_trusted_proxy_rule(settings, member):
    settings.CONNECT_TRUSTED_PROXY_COUNT = 1
    # Behind one proxy every client shares its socket address; the proxy's
    # X-Forwarded-For entry tells them apart, a forged one further left does not.
    for forged in ["10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4", "10.0.0.5"]:
        attacker = Client(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR=f"{forged}, 203.0.113.5")
        _login(attacker, member.email, "wrong-password-123")
    assert lockout.is_locked(member.email, "203.0.113.5")
    owner = Client(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.7")
    assert _login(owner, member.email)["Location"] == "/accounts/2fa/authenticate/"


def _unlock_link(email):
    unlock_mails = [m for m in mail.outbox if m.to == [email] and "/sign-in/unlock/" in m.body]
    assert len(unlock_mails) == 1
    return path_of(re.search(r"https?://\S+/sign-in/unlock/\S+/", unlock_mails[0].body).group(0))


def test_owner_unlocks_with_the_emailed_link_once(member, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        locked_out = _lock(member.email)
    link = _unlock_link(member.email)
    assert "wrong-password" not in mail.outbox[-1].body
    visitor = Client(REMOTE_ADDR="203.0.113.5")
    # Opening the link (as a mail scanner would) unlocks nothing.
    assert visitor.get(link).status_code == 200
    assert lockout.is_locked(member.email, "203.0.113.5")
    response = visitor.post(link)
    assert response.status_code == 302
    assert not lockout.is_locked(member.email, "203.0.113.5")
    assert _login(locked_out, member.email)["Location"] == "/accounts/2fa/authenticate/"
    # A second use is refused with a message, not a stack trace.
    response = visitor.post(link)
    assert response.status_code == 400
    assert "already used" in response.content.decode()


def test_unlock_link_works_only_for_its_owner(member, other_member, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        _lock(member.email)
    link = _unlock_link(member.email)
    someone_else = Client()
    someone_else.force_login(other_member)
    response = someone_else.post(link)
    assert response.status_code == 400
    assert "another account" in response.content.decode()
    assert lockout.is_locked(member.email, "203.0.113.5")
    # Nor can the token be pointed at another account.
    tampered = link.replace("/sign-in/unlock/", "/sign-in/unlock/x")
    response = Client().post(tampered)
    assert response.status_code == 400
    assert "not valid" in response.content.decode()
    assert lockout.is_locked(member.email, "203.0.113.5")


def test_administrators_are_alerted_once_when_an_account_is_under_attack(
    member, administrator, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _lock(member.email, "203.0.113.5")
        _lock(member.email, "203.0.113.6")
    alerts = [m for m in mail.outbox if m.to == [administrator.email]]
    assert len(alerts) == 1
    assert alerts[0].subject == "[Task Force Connect] Security alert: repeated failed sign-ins"
    assert member.email not in alerts[0].subject
    assert "wrong-password" not in alerts[0].body
    assert "/admin/connect/lockouts/" in alerts[0].body
    # The owner's inbox is not flooded either: one unlock link per window.
    assert len([m for m in mail.outbox if m.to == [member.email]]) == 1


def test_unknown_email_locks_without_sending_anything(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        attacker = _lock("nobody@tf.test.example")
    assert "locked" in _login(attacker, "nobody@tf.test.example").content.decode()
    assert mail.outbox == []


# --- Reauthentication ----------------------------------------------------------


def test_reauthentication_asks_a_member_with_totp_for_the_code(administrator, member):
    client = Client()
    client.force_login(administrator)
    change = {"action": "role", "role": Role.ADMINISTRATOR}
    response = client.post(f"/admin/connect/members/{member.pk}/", change)
    assert response["Location"].startswith(MFA_REAUTH_PATH)

    # The password alone is not accepted any more...
    response = client.post("/accounts/reauthenticate/", {"password": TEST_PASSWORD})
    assert response.status_code == 302
    assert response["Location"].startswith(MFA_REAUTH_PATH)
    # ...nor a wrong code, nor none.
    assert client.post(MFA_REAUTH_PATH, {"code": "000000"}).status_code == 200
    assert client.post(MFA_REAUTH_PATH, {}).status_code == 200
    response = client.post(f"/admin/connect/members/{member.pk}/", change)
    assert response["Location"].startswith(MFA_REAUTH_PATH)
    assert not member.groups.filter(name=Role.ADMINISTRATOR).exists()

    client.post(MFA_REAUTH_PATH, {"code": totp_code(TEST_TOTP_SECRET)})
    client.post(f"/admin/connect/members/{member.pk}/", change)
    assert member.groups.filter(name=Role.ADMINISTRATOR).exists()


def test_reauthentication_without_a_second_factor_still_takes_the_password(task_force):
    newcomer = make_member(task_force=task_force, mfa=False)
    client = Client()
    client.force_login(newcomer)
    response = client.get("/accounts/2fa/totp/activate/")
    assert response["Location"].startswith("/accounts/reauthenticate/")
    response = client.post(response["Location"], {"password": TEST_PASSWORD})
    assert response["Location"] == "/accounts/2fa/totp/activate/"
