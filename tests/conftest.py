import os

import pytest
from django.core.cache import cache

from connect.models import Discipline, Role

# Browser fixtures (one daphne server, one Chromium) registered for every directory.
from .browser import browser, live_server_url, page  # noqa: F401
from .factories import TEST_PASSWORD, TEST_TOTP_SECRET, TaskForceFactory, make_member
from .sites import migrated_site  # noqa: F401


def pytest_collection_modifyitems(config, items):
    """With ``CONNECT_TESTS_SKIP_OWN_SITES=1``, leave out the tests that start
    a site of their own (a migrated SQLite copy from ``migrated_site``, or
    marked ``own_site``): they read neither DATABASE_URL nor REDIS_URL, so a
    second pass of the suite against PostgreSQL and Redis would run them
    exactly as the first pass did. `.ci/run` sets it for that second pass."""
    if os.environ.get("CONNECT_TESTS_SKIP_OWN_SITES") != "1":
        return
    skip = pytest.mark.skip(reason="starts its own SQLite site; it ran in the SQLite pass of .ci/run")
    for item in items:
        if "migrated_site" in item.fixturenames or item.get_closest_marker("own_site"):
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _clear_cache():
    # Rate limits and used TOTP codes live in the cache; tests must not share them.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _fresh_search_index(settings, tmp_path):
    # The database is rolled back after each test but an on-disk index is not;
    # each test gets its own so a reused id can never add a stale hit.
    if settings.WAGTAILSEARCH_BACKENDS["default"]["BACKEND"] != "search.backends.whoosh":
        return  # the database backend's index rolls back with the test
    settings.WAGTAILSEARCH_BACKENDS = {
        "default": {"BACKEND": "search.backends.whoosh", "PATH": str(tmp_path / "search-index")}
    }


@pytest.fixture
def task_force(db):
    return TaskForceFactory()


@pytest.fixture
def make_member_fixture(db):
    return make_member


@pytest.fixture
def member(db, task_force):
    return make_member(task_force=task_force)


@pytest.fixture
def other_member(db, task_force):
    return make_member(task_force=task_force, discipline=Discipline.VICTIM_SERVICES)


@pytest.fixture
def moderator(db):
    return make_member(role=Role.MODERATOR, discipline=Discipline.COORDINATION)


@pytest.fixture
def administrator(db):
    return make_member(role=Role.ADMINISTRATOR, discipline=Discipline.COORDINATION)


def _client_for(client_class, user):
    client = client_class()
    client.force_login(user)
    return client


@pytest.fixture
def member_client(client, member):
    client.force_login(member)
    return client


@pytest.fixture
def moderator_client(db, moderator):
    from django.test import Client

    return _client_for(Client, moderator)


@pytest.fixture
def administrator_client(db, administrator):
    """An administrator who has just confirmed their password, as the
    role, deactivation and unlock screens require."""
    from django.test import Client

    client = _client_for(Client, administrator)
    reauthenticate(client)
    return client


def reauthenticate(client, password=TEST_PASSWORD, secret=TEST_TOTP_SECRET):
    """Confirm the signed-in person again: with their authenticator code when
    they have one (the password alone is refused then), else the password."""
    from tests.connect.helpers import totp_code

    response = client.get("/accounts/reauthenticate/")
    if response.status_code == 302 and response["Location"].startswith(MFA_REAUTH_PATH):
        response = client.post(MFA_REAUTH_PATH, {"code": totp_code(secret)})
    else:
        response = client.post("/accounts/reauthenticate/", {"password": password})
    assert response.status_code == 302, "reauthentication failed"
    return client


MFA_REAUTH_PATH = "/accounts/2fa/reauthenticate/"


@pytest.fixture
def commit(django_capture_on_commit_callbacks):
    """Run ``fn`` and then its on-commit side effects (tasks, broadcasts,
    notifications, emails), as a committed request would."""

    def run(fn, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return fn(*args, **kwargs)

    return run
