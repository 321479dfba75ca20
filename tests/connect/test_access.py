"""Deny by default: every URL the resolver knows, and every page in the tree,
is requested by people who are not active members. Nothing may answer with
content except the public allowlist below, so a new view that forgets the
access rules fails here without anyone adding a test for it."""

import itertools
import re
import uuid

import pytest
from channels.testing import WebsocketCommunicator
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.urls.exceptions import Resolver404
from django.urls.resolvers import RegexPattern, RoutePattern
from wagtail.models import Page

from connect.models import Role
from tests.factories import make_member

pytestmark = pytest.mark.django_db

# Views anyone may reach: connect's public pages, allauth's sign-in steps, and
# the token-protected views (each token is a secret of its own: a signed
# single-use unlock link, a per-member calendar token, a signed unsubscribe
# token).
PUBLIC_VIEWS = {
    "connect:membership_request",
    "connect:membership_request_done",
    "connect:invitation_accept",
    "connect:login_unlock",
    "connect:privacy",
    "connect:terms",
    "connect:accessibility",
    "connect:health",
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
    "resources:calendar_feed",
    "notifications:email_unsubscribe",
    "notifications:moved_unsubscribe",
}
# A signed-in member who still has to set up MFA may reach these.
MFA_SETUP_VIEWS = {
    "mfa_index",
    "mfa_activate_totp",
    "mfa_add_webauthn",
    "mfa_generate_recovery_codes",
    "mfa_view_recovery_codes",
    "mfa_download_recovery_codes",
    "mfa_reauthenticate",
    "account_reauthenticate",
}
LOGIN_PATH = "/accounts/login/"
MFA_SETUP_PATH = "/accounts/2fa/totp/activate/"

CONVERTER_SAMPLES = {
    "int": "1",
    "slug": "no-such-thing",
    "str": "no-such-thing",
    "path": "no/such/thing",
    "uuid": str(uuid.UUID(int=1)),
}
REGEX_GROUP_SAMPLES = ["1", "no-such-thing", "x/", "1/no-such-thing"]
GROUP = re.compile(r"\((?:\?P<\w+>|\?:)?((?:[^()]|\([^()]*\))*)\)([*+?]?)")


def _route_sample(pattern):
    route = str(pattern)

    def sample(match):
        converter = match.group(1) or "str"
        return CONVERTER_SAMPLES.get(converter, "1")

    return [re.sub(r"<(?:(\w+):)?\w+>", sample, route)]


def _regex_samples(pattern):
    """A few strings matching a regex URL pattern: groups are filled with
    sample values (or the first literal alternative), then the samples that
    really match are kept."""
    source = pattern.regex.pattern.lstrip("^").rstrip("$").replace(r"\Z", "")
    groups = GROUP.findall(source)
    options = []
    for body, _quantifier in groups:
        candidates = list(REGEX_GROUP_SAMPLES)
        first_alternative = body.split("|")[0]
        if re.fullmatch(r"[\w\-]+", first_alternative):
            candidates.insert(0, first_alternative)
        options.append(candidates)
    samples = []
    for combo in itertools.product(*options) if options else [()]:
        values = iter(combo)
        text = GROUP.sub(lambda _m, values=values: next(values), source)
        text = text.replace(r"\d+", "1").replace(".*", "x").replace(".+", "x").replace("\\", "")
        if pattern.regex.search(text):
            samples.append(text)
        if len(samples) >= 1:
            break
    return samples


def _samples(pattern):
    if isinstance(pattern, RoutePattern):
        return _route_sample(pattern)
    if isinstance(pattern, RegexPattern):
        return _regex_samples(pattern)
    return []


def walk_urlpatterns(patterns=None, prefix="", namespace=""):
    """Yield (qualified name, sample path) for every URL pattern, descending
    into every include(). Patterns no sample could be made for are yielded
    with a None path so the test fails and says which."""
    if patterns is None:
        patterns = get_resolver().url_patterns
    for entry in patterns:
        samples = _samples(entry.pattern)
        if isinstance(entry, URLResolver):
            inner_namespace = namespace
            if entry.namespace:
                inner_namespace = f"{namespace}{entry.namespace}:"
            for sample in samples or [None]:
                if sample is None:
                    yield f"{inner_namespace}<include {entry.pattern}>", None
                    continue
                yield from walk_urlpatterns(entry.url_patterns, prefix + sample, inner_namespace)
        elif isinstance(entry, URLPattern):
            name = f"{namespace}{entry.name}" if entry.name else f"{namespace}<{entry.lookup_str}>"
            if not samples:
                yield name, None
            for sample in samples:
                yield name, "/" + prefix + sample


def _qualified_name(path):
    try:
        match = resolve(path.split("?")[0])
    except Resolver404:
        return None
    return match.view_name


def all_paths():
    paths = dict()
    unwalkable = []
    for name, path in walk_urlpatterns():
        if path is None:
            unwalkable.append(name)
        else:
            paths.setdefault(path, name)
    # Every page in the tree, by its real URL.
    for page in Page.objects.live().specific():
        url = page.get_url()
        if url:
            paths.setdefault(url, "wagtail_serve")
    return paths, unwalkable


def _is_public(path):
    return _qualified_name(path) in PUBLIC_VIEWS


def _denied(response, *, allow_mfa_setup=False):
    """A response that shows nothing: a 404, the not-member 403, or a
    redirect to sign in (or, for a member without MFA, to set it up)."""
    if response.status_code == 404:
        return True
    if response.status_code == 403:
        return True
    if response.status_code in (301, 302, 303, 307, 308):
        location = response["Location"]
        if location.startswith(LOGIN_PATH):
            return True
        if allow_mfa_setup and location.startswith(MFA_SETUP_PATH):
            return True
    return False


@pytest.fixture
def personas(db, task_force):
    """Signed-in people who are not (yet) active members."""
    not_approved = make_member(role=None, task_force=task_force, email="waiting@tf.test.example")
    needs_mfa = make_member(task_force=task_force, mfa=False, email="nomfa@tf.test.example")
    unverified = make_member(task_force=task_force, verified=False, email="unverified@tf.test.example")
    clients = {"anonymous": Client()}
    for label, user in [("not approved", not_approved), ("needs MFA", needs_mfa), ("unverified", unverified)]:
        client = Client()
        client.force_login(user)
        clients[label] = client
    return clients


def test_walker_finds_every_kind_of_url():
    paths, unwalkable = all_paths()
    assert unwalkable == [], f"No sample path could be built for: {unwalkable}"
    names = set(paths.values())
    for expected in [
        "connect:member_directory",
        "connect:member_detail",
        "connect:taskforce_detail",
        "account_login",
        "mfa_index",
        "wagtailadmin_home",
        "wagtailadmin_pages:edit",
        "admin:index",
        "wagtaildocs_serve",
        "wagtail_serve",
        "site_search:search",
        "membership_requests:index",
        "connect_admin:member_manage",
        "assistance:request_detail",
        "assistance:queue",
        "assistance:report_export",
    ]:
        assert expected in names, expected
    assert len(paths) > 200


def test_every_url_denies_anonymous_visitors():
    client = Client()
    paths, _ = all_paths()
    leaks = []
    for path, name in sorted(paths.items()):
        if _is_public(path) or path == "/":
            continue
        for method in (client.get, client.post):
            response = method(path)
            if not _denied(response):
                leaks.append((method.__name__, path, name, response.status_code))
    assert leaks == []


@pytest.mark.parametrize("persona", ["not approved", "needs MFA", "unverified"])
def test_every_url_denies_signed_in_non_members(personas, persona):
    client = personas[persona]
    paths, _ = all_paths()
    leaks = []
    for path, name in sorted(paths.items()):
        if _is_public(path):
            continue
        if persona == "needs MFA" and _qualified_name(path) in MFA_SETUP_VIEWS:
            continue
        if persona == "not approved" and path == "/":
            continue
        response = client.get(path)
        if not _denied(response, allow_mfa_setup=persona == "needs MFA"):
            leaks.append((path, name, response.status_code))
        if persona == "unverified":
            # Unverified accounts are signed out on their first request.
            client = personas[persona] = _relogin(client, persona)
    assert leaks == []


def _relogin(client, persona):
    from connect.models import User

    fresh = Client()
    fresh.force_login(User.objects.get(email="unverified@tf.test.example"))
    return fresh


def test_public_views_answer_without_errors_for_everyone(personas):
    paths, _ = all_paths()
    public = [path for path in paths if _is_public(path)]
    assert public, "the public allowlist resolves to no URL"
    for client in personas.values():
        for path in public:
            response = client.get(path)
            assert response.status_code < 500, path


def test_landing_page_is_public_but_shows_nothing_of_the_community(client, member):
    response = client.get("/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "Request an account" in body
    assert member.first_name not in body


def test_not_approved_user_sees_membership_not_active(personas):
    response = personas["not approved"].get("/members/")
    assert response.status_code == 403
    assert "Your membership is not active" in response.content.decode()


def test_member_without_mfa_is_sent_to_set_it_up_from_every_page(personas):
    client = personas["needs MFA"]
    for path in ["/", "/members/", "/task-forces/", "/search/", "/profile/", "/accounts/password/change/"]:
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"] == MFA_SETUP_PATH, path
    # The setup page itself is reachable (allauth first asks a session that
    # did not just sign in to confirm the password).
    response = client.get(MFA_SETUP_PATH)
    assert response.status_code == 200 or response["Location"].startswith("/accounts/reauthenticate/")


def test_member_gets_404_from_both_admins(member_client):
    assert member_client.get("/admin/").status_code == 404
    assert member_client.get("/admin/pages/").status_code == 404
    assert member_client.get("/django-admin/").status_code == 404
    assert member_client.get("/django-admin/auth/group/").status_code == 404


def test_moderator_reaches_wagtail_admin_but_not_django_admin(moderator_client):
    assert moderator_client.get("/admin/").status_code == 200
    assert moderator_client.get("/django-admin/").status_code == 404


def test_administrator_reaches_both_admins(administrator_client):
    assert administrator_client.get("/admin/").status_code == 200
    assert administrator_client.get("/django-admin/").status_code == 200


def test_admin_logins_go_through_allauth(client):
    for path in ["/admin/login/", "/django-admin/login/", "/admin/password_reset/"]:
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"].startswith(LOGIN_PATH), path


# --- WebSockets ---------------------------------------------------------------


def _ws_headers(client=None, origin=b"http://testserver"):
    headers = [(b"origin", origin), (b"host", b"testserver")]
    if client is not None:
        headers.append((b"cookie", f"sessionid={client.cookies['sessionid'].value}".encode()))
    return headers


async def _connect(headers, path="/ws/test-echo/"):
    from connect.asgi import application

    communicator = WebsocketCommunicator(application, path, headers=headers)
    connected, code = await communicator.connect(timeout=5)
    # A refused member socket is accepted and then closed, so the browser sees the code.
    if connected and not await communicator.receive_nothing(0.2):
        output = await communicator.receive_output()
        if output["type"] == "websocket.close":
            connected, code = False, output.get("code")
    await communicator.disconnect()
    return connected, code


@pytest.fixture(scope="module", autouse=True)
def _close_worker_thread_connections(django_db_blocker):
    """The ASGI application reaches the database from worker threads whose
    connections outlive the tests; on PostgreSQL they would keep the test
    database from being dropped."""
    yield
    from django.db import connection

    with django_db_blocker.unblock():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )


@pytest.fixture
def echo_route(settings):
    settings.CONNECT_WEBSOCKET_ROUTING = ["tests.connect.ws_routing"]


@pytest.mark.django_db(transaction=True)
async def test_websocket_anonymous_is_closed(echo_route):
    connected, code = await _connect(_ws_headers())
    assert not connected
    assert code == 4401


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("state", [{"role": None}, {"mfa": False}, {"verified": False}, {"is_active": False}])
async def test_websocket_non_member_is_closed(echo_route, state):
    from channels.db import database_sync_to_async as sync_to_async

    def login():
        user = make_member(**state)
        client = Client()
        client.force_login(user)
        return client

    client = await sync_to_async(login)()
    connected, code = await _connect(_ws_headers(client))
    assert not connected
    # An account that is not active cannot be signed in at all: "sign in again".
    assert code == (4401 if state == {"is_active": False} else 4403)


@pytest.mark.django_db(transaction=True)
async def test_websocket_member_is_accepted(echo_route):
    from channels.db import database_sync_to_async as sync_to_async

    def login():
        client = Client()
        client.force_login(make_member())
        return client

    client = await sync_to_async(login)()
    connected, _code = await _connect(_ws_headers(client))
    assert connected


@pytest.mark.django_db(transaction=True)
async def test_websocket_foreign_origin_is_rejected(echo_route):
    from channels.db import database_sync_to_async as sync_to_async

    def login():
        client = Client()
        client.force_login(make_member())
        return client

    client = await sync_to_async(login)()
    connected, _code = await _connect(_ws_headers(client, origin=b"https://evil.example"))
    assert not connected


@pytest.mark.django_db(transaction=True)
async def test_websocket_without_routes_closes_member_connections(settings):
    from channels.db import database_sync_to_async as sync_to_async

    settings.CONNECT_WEBSOCKET_ROUTING = []

    def login():
        client = Client()
        client.force_login(make_member(role=Role.MEMBER))
        return client

    client = await sync_to_async(login)()
    connected, _code = await _connect(_ws_headers(client))
    assert not connected


def test_walker_catches_a_new_unprotected_view(settings):
    settings.ROOT_URLCONF = "tests.connect.leaky_urls"
    from django.urls import clear_url_caches

    clear_url_caches()
    try:
        client = Client()
        paths, _ = all_paths()
        assert "/leaky/1/" in paths
        leaks = [path for path in paths if not _is_public(path) and not _denied(client.get(path))]
        assert "/leaky/1/" in leaks
    finally:
        clear_url_caches()


@pytest.mark.django_db(transaction=True)
async def test_websocket_idle_session_is_closed(echo_route):
    import time

    from channels.db import database_sync_to_async as sync_to_async

    def login():
        client = Client()
        client.force_login(make_member())
        session = client.session
        session["connect_last_seen"] = time.time() - 31 * 60
        session.save()
        return client

    client = await sync_to_async(login)()
    connected, code = await _connect(_ws_headers(client))
    assert not connected
    assert code == 4401


def test_login_page_carries_the_use_notice(client):
    body = client.get("/accounts/login/").content.decode()
    assert "Authorized members only" in body
    assert 'href="/terms/"' in body and 'href="/privacy/"' in body
    assert 'href="/join/request/"' in body


def test_privacy_terms_and_health_are_public(client):
    assert "Terms of use" in client.get("/terms/").content.decode()
    assert client.get("/privacy/").status_code == 200
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert response.json()["checks"]["database"] == "ok"
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


def test_health_reports_database_down(client, monkeypatch):
    from django.db.backends.utils import CursorWrapper

    def broken(self, *args, **kwargs):
        raise RuntimeError("database is gone")

    monkeypatch.setattr(CursorWrapper, "execute", broken)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["status"] == "down"


def test_every_page_wears_the_program_identifier_not_the_federal_banner(client):
    """The site is run for the program by its TTA provider under a cooperative
    agreement, not by an agency: no "official website of the United States
    government" banner, and the funding statement, accessibility, privacy,
    terms and a help contact on every page."""
    body = client.get("/terms/").content.decode()
    assert "Official website of the United States government" not in body
    assert "usa-identifier" in body
    assert "do not necessarily represent the official position" in body
    for link in ('href="/accessibility/"', 'href="/privacy/"', 'href="/terms/"', 'href="mailto:'):
        assert link in body
    assert "Section 508" in client.get("/accessibility/").content.decode()
