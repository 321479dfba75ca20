"""Bench-only tracing of the live side: where a thread's sockets stand when an event arrives.

Installed by ``bench/settings.py`` when ``BENCH_LIVE_TRACE`` is set (never in the
product): every ``thread.event`` a hub hears logs, once, how many hubs this
process holds for the thread, how many sockets each has and how many of them
are live, how far behind they are, and whether the layer still holds the
hub's group subscription; each socket's opening logs how it ended.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import time

from django.apps import AppConfig

logger = logging.getLogger("bench.live_trace")
openings = collections.Counter()
timings = {}


def _layer_state(layer, group):
    try:
        inner = layer._get_layer()
    except Exception:  # noqa: BLE001 - not a pub/sub layer
        return {}
    name = inner._get_group_channel_name(group)
    shard = inner._get_shard(name)
    pubsub = shard._pubsub
    return {
        "local_members": len(inner.groups.get(name, ())),
        "bookkept": name in shard._subscribed_to,
        "redis_py": pubsub is not None and name.encode() in pubsub.channels,
        "channels": len(inner.channels),
    }


def install():
    from forum import consumers, hub

    thread_event = hub.ThreadHub._thread_event

    async def traced_thread_event(self, message):
        hubs = hub._hubs.get(asyncio.get_running_loop(), {})
        same = [h for h in hubs.values() if h.thread_id == self.thread_id]
        sockets = list(self.sockets.values())
        live = [c for c in sockets if c.live]
        logger.warning(
            "trace event seq=%s hubs=%d this_hub_registered=%s sockets=%d live=%d behind=%d "
            "layer=%s openings=%s",
            message.get("sequence"),
            len(same),
            hubs.get(self.key) is self,
            len(sockets),
            len(live),
            sum(1 for c in live if c.last_sent < message.get("sequence", 0)),
            _layer_state(self.layer, self.group),
            dict(openings),
        )
        await thread_event(self, message)
        logger.warning(
            "trace delivered seq=%s still behind=%d",
            message.get("sequence"),
            sum(1 for c in self._live() if c.last_sent < message.get("sequence", 0)),
        )

    hub.ThreadHub._thread_event = traced_thread_event

    # How one round's time splits: the database round (on the fan-out thread)
    # and writing the frames (on the event loop).
    deliver = hub.ThreadHub.deliver
    database_round = hub.fanout.deliver

    async def timed_database_round(thread_id, requests):
        started = time.perf_counter()
        try:
            return await database_round(thread_id, requests)
        finally:
            timings["database"] = (time.perf_counter() - started) * 1000

    async def timed_deliver(self, consumers):
        started = time.perf_counter()
        await deliver(self, consumers)
        total = (time.perf_counter() - started) * 1000
        if consumers:
            logger.warning(
                "trace round sockets=%d database_ms=%.1f writes_ms=%.1f total_ms=%.1f",
                len(consumers),
                timings.get("database", 0.0),
                total - timings.get("database", 0.0),
                total,
            )

    hub.fanout.deliver = timed_database_round
    hub.ThreadHub.deliver = timed_deliver

    connect = consumers.ThreadConsumer.connect

    async def traced_connect(self):
        openings["started"] += 1
        try:
            await connect(self)
        except asyncio.CancelledError:
            openings["cancelled"] += 1
            raise
        except Exception:
            openings["failed"] += 1
            raise
        openings["live" if getattr(self, "live", False) else "returned_not_live"] += 1

    consumers.ThreadConsumer.connect = traced_connect


class LiveTraceConfig(AppConfig):
    name = "bench"
    label = "bench_live_trace"

    def ready(self):
        install()
