"""Redis stopped or paused: pages and forms answer within about a second,
sign-in keeps its limits, and /healthz says what is degraded."""

import time

import pytest
from django.test import Client

from connect.models import MembershipRequest
from tests.connect.helpers import REQUEST_DATA

pytestmark = pytest.mark.django_db

BUDGET = 1.5  # seconds; the cache's socket timeout is 0.25 s


def _timed(call):
    started = time.monotonic()
    response = call()
    return response, time.monotonic() - started


def _pages_work_without_redis(member_client, task_force):
    for path in ["/", "/resources/", "/events/", "/spotlights/", "/search/?q=protocol"]:
        response, seconds = _timed(lambda path=path: member_client.get(path))
        assert response.status_code == 200, path
        assert seconds < BUDGET, (path, seconds)

    visitor = Client()
    response, seconds = _timed(lambda: visitor.get("/accounts/login/"))
    assert response.status_code == 200
    assert seconds < BUDGET

    data = {**REQUEST_DATA, "task_force": task_force.pk}
    response, seconds = _timed(lambda: visitor.post("/join/request/", data))
    assert response.status_code == 302
    assert seconds < BUDGET
    assert MembershipRequest.objects.filter(email=REQUEST_DATA["email"]).exists()


def test_pages_and_forms_answer_with_redis_stopped(redis_server, member_client, task_force):
    assert member_client.get("/").status_code == 200  # warm, with Redis up
    redis_server.stop()
    _pages_work_without_redis(member_client, task_force)


def test_pages_and_forms_answer_with_redis_paused(redis_server, member_client, task_force):
    assert member_client.get("/").status_code == 200
    redis_server.pause()
    try:
        _pages_work_without_redis(member_client, task_force)
    finally:
        redis_server.resume()


def test_sign_in_keeps_rate_limiting_with_redis_stopped(redis_server, member, settings):
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "login_failed": "3/m/ip"}
    redis_server.stop()
    visitor = Client()
    pages = []
    for _ in range(5):
        response, seconds = _timed(
            lambda: visitor.post("/accounts/login/", {"login": member.email, "password": "wrong password 1"})
        )
        assert seconds < BUDGET
        assert response.status_code in (200, 429)
        pages.append(response.content.decode())
    # Guessing stops: the limit is counted in the process's memory meanwhile.
    assert "Too many failed login attempts" not in pages[0]
    assert "Too many failed login attempts" in pages[-1]


def test_health_reports_cache_degraded_with_redis_stopped(redis_server, client):
    assert client.get("/healthz").json()["checks"]["cache"] == "ok"
    redis_server.stop()
    response, seconds = _timed(lambda: client.get("/healthz"))
    assert response.status_code == 200
    assert seconds < BUDGET
    body = response.json()
    assert body["status"] == "degraded"
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["cache"] == "degraded"


def test_cache_recovers_when_redis_returns(redis_server, settings):
    from django.core.cache import cache

    settings.CONNECT_CACHE_RETRY_AFTER = 0
    redis_server.stop()
    cache.set("k", 1)  # served from memory, not raised
    assert cache.get("k") == 1
    redis_server.start()
    cache.set("k", 2)
    assert cache.get("k") == 2
    assert cache.ping()
