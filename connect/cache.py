"""A Redis cache that fails open.

Nothing in the cache is the only copy of anything (sessions, lockouts and
content are in the database), so when Redis is stopped or stops answering a
page should carry on without it rather than wait or fail. Every operation
here waits at most ``CONNECT_CACHE_SOCKET_TIMEOUT`` for Redis; when Redis does
not answer, the operation is served from the process's own memory instead and
Redis is left alone for ``CONNECT_CACHE_RETRY_AFTER`` seconds, so one stalled
request (not every request) pays the timeout.

Rate limits (allauth's and connect.ratelimit's) keep counting in that memory:
while Redis is down they hold per daphne process instead of across all of
them, which bounds guessing at the limit times the number of processes. The
per-account sign-in lockout lives in the database and is unaffected.
"""

import logging
import threading
import time

from django.conf import settings
from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

OUTAGE_ERRORS = (RedisConnectionError, RedisTimeoutError, OSError)

# Per process, shared by every thread's cache object for the same servers.
_down_until = {}
_lock = threading.Lock()


class ResilientRedisCache(RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._outage_key = tuple(self._servers)
        self._fallback = LocMemCache(
            f"connect-redis-fallback-{'|'.join(self._servers)}",
            {"TIMEOUT": params.get("TIMEOUT", 300), "OPTIONS": {"MAX_ENTRIES": 5000}},
        )

    # Outage bookkeeping --------------------------------------------------

    def is_degraded(self):
        """True while Redis is being left alone after a failure."""
        return _down_until.get(self._outage_key, 0) > time.monotonic()

    def _trip(self, exc):
        retry_after = getattr(settings, "CONNECT_CACHE_RETRY_AFTER", 10)
        with _lock:
            first = not self.is_degraded()
            _down_until[self._outage_key] = time.monotonic() + retry_after
        if first:
            logger.warning(
                "Cache server unavailable (%s: %s); using process memory for %s s",
                type(exc).__name__,
                exc,
                retry_after,
            )

    def ping(self):
        """Ask Redis directly (for /healthz); False, and degraded, if it does not answer."""
        try:
            self._cache.get_client(write=True).ping()
        except OUTAGE_ERRORS as exc:
            self._trip(exc)
            return False
        with _lock:
            _down_until.pop(self._outage_key, None)
        return True


def _fail_open(name):
    def method(self, *args, **kwargs):
        if not self.is_degraded():
            try:
                return getattr(RedisCache, name)(self, *args, **kwargs)
            except OUTAGE_ERRORS as exc:
                self._trip(exc)
        return getattr(self._fallback, name)(*args, **kwargs)

    method.__name__ = name
    method.__doc__ = f"RedisCache.{name}, or the in-memory fallback while Redis is unavailable."
    return method


for _name in (
    "add",
    "get",
    "set",
    "touch",
    "delete",
    "get_many",
    "has_key",
    "incr",
    "set_many",
    "delete_many",
    "clear",
):
    setattr(ResilientRedisCache, _name, _fail_open(_name))
