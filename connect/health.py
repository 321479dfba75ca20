"""What /healthz reports: each dependency's state, and one status a load
balancer can act on.

* ``ok`` (200): everything answers.
* ``degraded`` (200): the site works, but something behind it does not — the
  cache and channel layer (Redis: pages work, live updates and shared rate
  limits do not), the task queue (emails and index updates are waiting or
  failing) or the search index (updates are being retried). Taking the node
  out of rotation would not help; someone should look.
* ``down`` (503): the database does not answer; nothing works on this node.
"""

import time

from django.conf import settings
from django.core.cache import cache
from django.db import connection


def _database():
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:  # noqa: BLE001 - any failure means unavailable
        return "down"
    return "ok"


def _cache():
    ping = getattr(cache, "ping", None)
    if ping is None:  # the process's own memory: nothing to lose
        return "ok"
    return "ok" if ping() else "degraded"


def _channel_layer(cache_state):
    backend = settings.CHANNEL_LAYERS.get("default", {}).get("BACKEND", "")
    if "redis" not in backend.lower():
        return "ok"
    # The layer uses the same Redis as the cache (REDIS_URL), so the cache's
    # answer (already bounded by its socket timeout) stands for both.
    return cache_state


def _tasks():
    from .tasks import task_backlog

    try:
        backlog = task_backlog()
    except Exception:  # noqa: BLE001 - the table is unreadable: report, don't raise
        return "degraded", "degraded", {}
    late = backlog["oldest_seconds"] > settings.CONNECT_HEALTH_MAX_TASK_DELAY.total_seconds()
    queue = "degraded" if late or backlog["failed"] else "ok"
    search = "degraded" if backlog["search_retrying"] else "ok"
    return queue, search, backlog


def health_report():
    """A dict for the JSON body plus the HTTP status."""
    started = time.monotonic()
    checks = {"database": _database()}
    if checks["database"] == "down":
        return {"status": "down", "checks": checks}, 503
    checks["cache"] = _cache()
    checks["channel_layer"] = _channel_layer(checks["cache"])
    checks["task_queue"], checks["search_index"], backlog = _tasks()
    status = "ok" if all(state == "ok" for state in checks.values()) else "degraded"
    body = {
        "status": status,
        "checks": checks,
        "tasks": backlog,
        "seconds": round(time.monotonic() - started, 3),
    }
    return body, 200
