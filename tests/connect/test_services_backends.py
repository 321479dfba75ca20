"""The real services behind the settings: the shared cache and the channel
layer. Against Redis when REDIS_URL is set (as in `.ci/run`); under CI with
CONNECT_REQUIRE_SERVICES=1 a missing service fails instead of skipping."""

import os

import pytest
from channels.layers import get_channel_layer
from django.conf import settings
from django.core.cache import cache
from django.db import connection

REQUIRE = os.environ.get("CONNECT_REQUIRE_SERVICES") == "1"


def test_required_services_are_configured():
    if not REQUIRE:
        pytest.skip("CONNECT_REQUIRE_SERVICES is not set")
    assert settings.REDIS_URL, "CI expects REDIS_URL"
    assert connection.vendor == "postgresql", "CI expects DATABASE_URL to point at PostgreSQL"


def test_cache_round_trip():
    cache.set("connect:test:key", {"n": 1}, 30)
    assert cache.get("connect:test:key") == {"n": 1}
    if settings.REDIS_URL:
        assert settings.CACHES["default"]["BACKEND"].endswith("RedisCache")


async def test_channel_layer_round_trip():
    layer = get_channel_layer()
    channel = await layer.new_channel()
    await layer.group_add("connect-test", channel)
    await layer.group_send("connect-test", {"type": "post.created", "id": 7})
    assert await layer.receive(channel) == {"type": "post.created", "id": 7}
    await layer.group_discard("connect-test", channel)
    if settings.REDIS_URL:
        expected = {"pubsub": "RedisPubSubChannelLayer", "core": "RedisChannelLayer"}
        assert type(layer).__name__ == expected[settings.CONNECT_CHANNEL_LAYER]


@pytest.mark.django_db
def test_rate_limit_counts_are_shared_through_the_cache():
    from connect import ratelimit

    results = [ratelimit.consume("test", "203.0.113.9", limit=3, period=60) for _ in range(4)]
    assert results == [True, True, True, False]
    # The counter lives in the cache (Redis in production), so every daphne
    # process sees it; clearing the cache resets it.
    cache.clear()
    assert ratelimit.consume("test", "203.0.113.9", limit=3, period=60)
