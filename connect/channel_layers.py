"""The in-memory channel layer, without its per-message sweeps.

``channels.layers.InMemoryChannelLayer`` walks every channel's queue and
every group's members for expired entries on each ``receive`` and each
``group_send``, and starts one task per member for a ``group_send``. With a
thousand sockets following a thread (each in its thread's, its member's and
its category's group) one event meant a thousand receives, each walking some
four thousand entries: the sweeps alone took seconds per event.

This layer sweeps at most once a second (a message expires after 60 seconds
and a membership after a day: a second later changes nothing a member can
see) and delivers a group message to each member's queue directly. Messages
are still copied per receiver, capacities still apply (a full channel is
skipped, as before), and it is still one process only: several processes
need ``REDIS_URL`` (channels-redis).
"""

from __future__ import annotations

import asyncio
import time
from copy import deepcopy

from channels.layers import InMemoryChannelLayer

SWEEP_INTERVAL = 1.0


class SweepingInMemoryChannelLayer(InMemoryChannelLayer):
    """:class:`channels.layers.InMemoryChannelLayer` that sweeps expired
    messages and memberships once a second rather than on every call."""

    def __init__(self, *args, sweep_interval=SWEEP_INTERVAL, **kwargs):
        super().__init__(*args, **kwargs)
        self.sweep_interval = sweep_interval
        self._swept_at = 0.0

    def _clean_expired(self):
        now = time.monotonic()
        if now - self._swept_at < self.sweep_interval:
            return
        self._swept_at = now
        super()._clean_expired()

    async def group_send(self, group, message):
        """Put ``message`` on the queue of every channel in ``group``, now."""
        assert isinstance(message, dict), "Message is not a dict"
        self.require_valid_group_name(group)
        self._clean_expired()
        expires = time.time() + self.expiry
        for channel in list(self.groups.get(group, ())):
            queue = self.channels.get(channel)
            if queue is None:
                queue = self.channels[channel] = asyncio.Queue(maxsize=self.get_capacity(channel))
            try:
                queue.put_nowait((expires, deepcopy(message)))
            except asyncio.QueueFull:
                pass  # a full channel misses the message, as upstream (ChannelFull is swallowed there)
