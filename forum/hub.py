"""One listener per thread and process: a thread's events reach its sockets at once.

When every socket of a thread was a member of the thread's channel-layer
group, one event became a thousand channel-layer messages in one process: a
thousand copies, a thousand queue wake-ups, a thousand consumer tasks each
asking for its own answer before the batch (:mod:`forum.fanout`) could
answer them together, and a thousand timers re-checking access. Here each
process has one :class:`ThreadHub` per followed thread, on one channel of its
own in the thread's group (and in the thread's category's group): it receives
each event once, asks :func:`forum.fanout.deliveries_in_category` for every
socket it holds in one database round, and writes each socket's frames,
already encoded, straight to that socket.

Nothing about access moved: each socket is still judged on its own, from
rows read after the event, by the thread page's permission functions; a
socket whose member may no longer see the thread gets nothing and is closed.
The hub also runs the sockets' timed re-check (session limits, presence) as
one batch per interval rather than one timer per socket.
"""

from __future__ import annotations

import asyncio
import logging
import weakref

from django.conf import settings

from connect.live import ACCESS_CHANGED

from . import fanout, live

logger = logging.getLogger(__name__)

OK = fanout.OK

# {event loop: {(thread id, id(layer)): hub}}: a hub lives on the loop of its
# sockets (each test runs its own loop; a process runs one).
_hubs: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


# A socket's send only queues its frame: daphne's reactor writes it on the
# loop's next turn. Giving the loop a turn after each batch of sockets lets
# the first readers' frames leave (and their browsers read them) while the
# rest are still being queued, instead of every frame waiting for the last.
SEND_BATCH = 64


async def _let_writes_out():
    await asyncio.sleep(0)


def _recheck_seconds():
    return getattr(settings, "FORUM_LIVE_RECHECK_SECONDS", 30)


async def join(consumer):
    """Register ``consumer`` (a :class:`forum.consumers.ThreadConsumer` about to
    be accepted) with its thread's hub, creating the hub on first use; returns
    the hub once it is in the thread's group, so no event committed after
    this call is missed."""
    loop = asyncio.get_running_loop()
    hubs = _hubs.setdefault(loop, {})
    key = (consumer.thread_id, id(consumer.channel_layer))
    hub = hubs.get(key)
    if hub is None:
        hub = hubs[key] = ThreadHub(consumer.channel_layer, consumer.thread_id, key)
    # Counted in before the wait, so the hub is not taken down under a socket
    # that is still opening; counted out again if the opening fails or is cancelled.
    hub.sockets[consumer.channel_name] = consumer
    try:
        await hub.started()
    except BaseException:
        await hub.leave(consumer)
        raise
    return hub


class ThreadHub:
    """The sockets of one thread in this process, and the one channel that hears it."""

    def __init__(self, layer, thread_id, key):
        self.layer = layer
        self.thread_id = thread_id
        self.key = key
        self.group = live.group_name(thread_id)
        self.category_group = None
        self.sockets = {}  # channel name -> consumer, in the order they joined
        self.latest = 0  # the highest sequence this hub has heard of
        self.channel = None
        self._ready = None
        self._tasks = []

    async def started(self):
        """Subscribe once; later callers wait for the first (a failed start is
        tried again by the next socket). The memberships are renewed at every
        re-check, which also restores them if the layer lost them (a Redis
        server restarted empty)."""
        if self._ready is None or (
            self._ready.done() and (self._ready.cancelled() or self._ready.exception() is not None)
        ):
            self._ready = asyncio.ensure_future(self._start())
        await asyncio.shield(self._ready)

    async def _start(self):
        if self.channel is None:
            self.channel = await self.layer.new_channel()
        await self.layer.group_add(self.group, self.channel)
        self._tasks = [asyncio.ensure_future(self._listen()), asyncio.ensure_future(self._recheck_loop())]

    async def follow_category(self, category_id):
        """Be in the group of the thread's category, where a narrower audience
        is announced; a moved thread changes the group."""
        group = live.category_group_name(category_id) if category_id is not None else None
        if group == self.category_group or self.channel is None:
            return
        old, self.category_group = self.category_group, group
        if old is not None:
            await self.layer.group_discard(old, self.channel)
        if group is not None:
            await self.layer.group_add(group, self.channel)

    async def leave(self, consumer):
        """Unregister ``consumer``; the last one out takes the hub down."""
        if self.sockets.get(consumer.channel_name) is not consumer:
            return
        del self.sockets[consumer.channel_name]
        if self.sockets:
            return
        hubs = _hubs.get(asyncio.get_running_loop(), {})
        if hubs.get(self.key) is self:
            del hubs[self.key]
        for task in self._tasks:
            task.cancel()
        if self._ready is not None and not self._ready.done():
            self._ready.cancel()
        if self.channel is not None:
            try:
                await self.layer.group_discard(self.group, self.channel)
                if self.category_group is not None:
                    await self.layer.group_discard(self.category_group, self.channel)
            except Exception:  # noqa: BLE001 - the layer is down; its memberships expire
                logger.warning("Could not leave %s", self.group, exc_info=True)

    def _live(self):
        return [c for c in self.sockets.values() if c.live]

    # --- Listening --------------------------------------------------------------------

    async def _listen(self):
        failures = 0
        while True:
            try:
                message = await self.layer.receive(self.channel)
                failures = 0
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - the layer is down: retry; pages catch up
                failures += 1
                logger.warning("Could not receive for %s", self.group, exc_info=failures == 1)
                await asyncio.sleep(min(5.0, 0.2 * 2**failures))
                continue
            try:
                await self._dispatch(message)
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - one bad round must not stop the thread's live side
                logger.exception("Live delivery for %s failed", self.group)

    async def _dispatch(self, message):
        kind = message.get("type")
        if kind == "thread.event":
            await self._thread_event(message)
        elif kind == "presence.changed":
            await self._presence()
        elif kind == "typing.event":
            await self._typing(message)
        elif kind == ACCESS_CHANGED:
            await self.recheck()

    async def _thread_event(self, message):
        """Everything after what each socket has, from the database, in one round
        for all of them: a lost broadcast is filled in by the next one."""
        self.latest = max(self.latest, message["sequence"])
        await self.deliver([c for c in self._live() if c.last_sent < self.latest])

    async def deliver(self, consumers):
        if not consumers:
            return
        requests = {c: (c.user_id, c.session_key, c.last_sent) for c in consumers}
        results = await fanout.deliver(self.thread_id, set(requests.values()))
        category_id = next(iter(results.values()))[3] if results else None
        await self.follow_category(category_id)
        for n, (consumer, request) in enumerate(requests.items(), 1):
            status, frames, last, _category = results[request]
            await self._each(consumer, consumer.deliver(status, frames, last))
            if n % SEND_BATCH == 0:
                await _let_writes_out()

    async def _presence(self):
        """Someone arrived or left: each viewer gets the names they may see, and a count."""
        consumers = self._live()
        if not consumers:
            return
        pairs = {(c.user_id, c.session_key) for c in consumers}
        results = await fanout.presence_frames(self.thread_id, pairs)
        for consumer in consumers:
            status, frame = results[(consumer.user_id, consumer.session_key)]
            await self._each(consumer, consumer.shut(status) if status != OK else consumer.send_text(frame))

    async def _typing(self, message):
        """Another viewer is writing a reply: everyone else who may see the thread is told."""
        consumers = [
            c
            for c in self._live()
            if c.channel_name != message["channel"] and c.user_id != message["user_id"]
        ]
        if not consumers:
            return
        status = await fanout.statuses(self.thread_id, {(c.user_id, c.session_key) for c in consumers})
        frame = fanout.typing_frame(message["name"])
        for consumer in consumers:
            code = status[(consumer.user_id, consumer.session_key)]
            await self._each(consumer, consumer.shut(code) if code != OK else consumer.send_text(frame))

    async def _each(self, consumer, send):
        """Send to one socket of a round. The round read its sockets before
        awaiting the database: one that closed meanwhile is skipped, and one
        whose send fails does not cost the others their frames."""
        if not consumer.live:
            send.close()  # never awaited: a coroutine object is all it is
            return
        try:
            await send
        except asyncio.CancelledError:
            raise
        except Exception:  # noqa: BLE001 - that socket catches up when it reconnects
            logger.warning("Could not send to a socket of %s", self.group, exc_info=True)

    # --- Re-checks --------------------------------------------------------------------

    async def recheck(self):
        """Judge every socket again now; close those whose access or session
        ended and keep the others in the viewers' list."""
        consumers = self._live()
        if not consumers:
            return
        pairs = {(c.user_id, c.session_key) for c in consumers}
        results = await fanout.recheck(
            self.thread_id, pairs, [(c.channel_name, c.user_id) for c in consumers]
        )
        for consumer in consumers:
            status = results[(consumer.user_id, consumer.session_key)]
            if status != OK:
                await consumer.shut(status)

    async def _recheck_loop(self):
        while True:
            await asyncio.sleep(_recheck_seconds())
            try:
                # Also renews the hub's memberships (a Redis layer expires them).
                await self.layer.group_add(self.group, self.channel)
                if self.category_group is not None:
                    await self.layer.group_add(self.category_group, self.channel)
                await self.recheck()
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - the next round tries again
                logger.warning("Re-check for %s failed", self.group, exc_info=True)
