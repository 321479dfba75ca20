"""Redis stopped or paused: pages and forms answer within about a second,
sign-in keeps its limits, and /healthz says what is degraded."""

import time

import pytest
from django.test import Client
from django.urls import reverse

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


LAYERS = {
    "core": "channels_redis.core.RedisChannelLayer",
    "pubsub": "channels_redis.pubsub.RedisPubSubChannelLayer",
}


@pytest.fixture(params=sorted(LAYERS))
def redis_layer(request, redis_server, settings):
    """The test's Redis as the channel layer too, configured as production's
    (either of channels-redis's layers: CONNECT_CHANNEL_LAYER)."""
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": LAYERS[request.param],
            "CONFIG": {
                "hosts": [{"address": redis_server.url, "socket_connect_timeout": 1, "socket_timeout": 10}],
                "prefix": "connect-test",
            },
        }
    }
    settings.FORUM_LIVE_RECHECK_SECONDS = 3600
    return redis_server


async def _caught_up_posts(user, thread_id, since):
    """The post ids a thread page reconnecting with ``?since=`` receives."""
    import json

    from channels.db import database_sync_to_async
    from channels.testing import WebsocketCommunicator

    from connect.asgi import application

    def session_key():
        client = Client()
        client.force_login(user)
        return client.cookies["sessionid"].value

    key = await database_sync_to_async(session_key)()
    headers = [
        (b"origin", b"http://testserver"),
        (b"host", b"testserver"),
        (b"cookie", f"sessionid={key}".encode()),
    ]
    communicator = WebsocketCommunicator(
        application, f"/ws/threads/{thread_id}/?since={since}", headers=headers
    )
    connected, _ = await communicator.connect(timeout=3)
    assert connected
    posts = []
    try:
        for _ in range(50):  # bounded: a handful of events, then silence
            if await communicator.receive_nothing(0.5):
                break
            output = await communicator.receive_output()
            assert output["type"] != "websocket.close"
            message = json.loads(output["text"])
            if message["type"] == "post.created":
                posts.extend(int(pk) for pk in message["posts"])
    finally:
        await communicator.disconnect()
    return posts


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("fault", ["stopped", "paused"])
def test_reply_with_redis_down_as_cache_and_channel_layer_is_saved_and_caught_up_after(redis_layer, fault):
    from asgiref.sync import async_to_sync

    from forum.models import Post, Thread
    from tests.factories import make_member
    from tests.forum.factories import make_category, make_thread

    author, reader = make_member(), make_member()
    thread = make_thread(author=author, category=make_category())
    client = Client()
    client.force_login(author)
    assert client.get(thread.get_absolute_url()).status_code == 200  # warm, with Redis up
    before = Thread.objects.get(pk=thread.pk).event_seq

    redis_layer.stop() if fault == "stopped" else redis_layer.pause()
    try:
        for n in range(2):
            response, seconds = _timed(
                lambda n=n: client.post(
                    reverse("forum:reply", args=[thread.pk]),
                    {"body": f"Reply {n} while Redis is {fault}.", "submission_token": f"{fault}-{n}"},
                )
            )
            assert response.status_code == 302, response.status_code
            assert seconds < 2, seconds
        response, seconds = _timed(lambda: client.get(thread.get_absolute_url()))
        assert response.status_code == 200
        assert seconds < 2, seconds
    finally:
        redis_layer.start() if fault == "stopped" else redis_layer.resume()

    saved = list(
        Post.objects.filter(thread=thread, submission_token__startswith=fault)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    assert len(saved) == 2
    assert async_to_sync(_caught_up_posts)(reader, thread.pk, before) == saved
