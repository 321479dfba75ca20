"""Per-member fragments through a Redis outage: no entry outlives a change
that was made while Redis did not answer."""

import pytest

from connect import fragments

pytestmark = pytest.mark.django_db


def test_a_change_made_while_redis_stalls_is_not_undone_when_it_answers_again(redis_server, settings):
    settings.CONNECT_CACHE_RETRY_AFTER = 0.3
    shown = {"value": "before the change"}

    def read():
        return fragments.get_or_build(
            "probe", user_id=7, depends=["probe.scope"], build=lambda: shown["value"]
        )

    assert read() == "before the change"
    shown["value"] = "after the change"
    assert read() == "before the change"  # cached, as it should be

    redis_server.pause()
    try:
        fragments.bump("probe.scope")  # times out: the move reaches process memory only
        assert read() == "after the change"  # built afresh while Redis is away
    finally:
        redis_server.resume()

    import time

    time.sleep(0.4)  # past the retry interval: Redis is asked again
    assert read() == "after the change"
    shown["value"] = "later still"
    assert read() == "after the change"  # cached again under the new generation
