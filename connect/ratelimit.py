"""A small fixed-window rate limit kept in the default cache, which is Redis
(shared by every daphne process) once REDIS_URL is set. allauth's own limits
cover sign-in, signup and password reset; this covers connect's public forms."""

import time

from django.core.cache import cache

from .audit import client_ip


def client_key(request):
    return client_ip(request) or "unknown"


def consume(action, key, *, limit, period):
    """Count one attempt; False once ``limit`` attempts were made in the
    current ``period`` seconds."""
    window = int(time.time() // period)
    cache_key = f"connect:rl:{action}:{key}:{window}"
    cache.add(cache_key, 0, timeout=period + 5)
    try:
        count = cache.incr(cache_key)
    except ValueError:  # expired between add and incr
        cache.set(cache_key, 1, timeout=period + 5)
        count = 1
    return count <= limit
