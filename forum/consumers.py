"""The live side of discussions: WebSocket consumers.

``connect.channels.MembersOnlyWebsocketMiddleware`` has already refused
anonymous and non-member sockets and checked the origin. These consumers ask
the thread page's own permission functions again at connect and before every
event, presence list or typing indicator they deliver, reloading the member,
their session and the thread from the database each time: a member
deactivated, suspended from the audience or signed out while connected stops
receiving at once and is disconnected, and a socket never outlives the
session rules the pages enforce.

Close codes (also in docs/discussions.md):

* 4403 — no such thread, or the member may not see it (the two are
  indistinguishable), or their access ended while connected;
* 4401 — the session ended (30 minutes idle, 12 hours in all, signed out);
* 4429 — too many frames after a ``rate_limited`` error;
* 1009 — a frame larger than 64 KB.

Other bad input gets ``{"type": "error", "code": ...}`` with a stable code:
``invalid_json``, ``invalid_message``, ``unknown_type``, ``binary_not_supported``,
``rate_limited``.
"""

from __future__ import annotations

import asyncio
import logging
import time

from channels.db import database_sync_to_async
from django.conf import settings

from connect.consumers import FrameGuardConsumer, release_handshake_session
from connect.live import member_group_name
from notifications import live as member_live

from . import fanout, hub, live, permissions
from .models import CategorySubscription, Thread

logger = logging.getLogger(__name__)

CLOSE_FORBIDDEN = 4403
CLOSE_SESSION = 4401

OK = "ok"


def _setting(name, default):
    return getattr(settings, name, default)


def _member(user_id, session_key, *, allow_suspended=False):
    """The member behind a socket, fresh from the database, or a close code (the
    same rule as the thread sockets', in :mod:`forum.fanout`)."""
    pair = (user_id, session_key)
    return fanout.members({pair}, allow_suspended=allow_suspended)[pair]


class _Guarded(FrameGuardConsumer):
    """What both discussion consumers share above the frame guard: the member's
    group, access re-checks and accept-then-close refusals."""

    flood_settings = ("FORUM_LIVE_FLOOD_WINDOW", "FORUM_LIVE_FLOOD_LIMIT")

    def _init_guard(self):
        self.init_frame_guard()
        self.recheck_task = None
        self.member_group = None
        user = self.scope.get("user")
        self.user_id = getattr(user, "pk", None)
        session = self.scope.get("session")
        self.session_key = getattr(session, "session_key", None)
        release_handshake_session(self.scope)

    async def refuse(self, code):
        """Accept, then close with ``code``: a handshake refused before it is
        accepted reaches the browser as 1006 with no code, and the page could
        not tell "sign in again" (4401) from a network drop worth retrying."""
        await self.accept()
        await self.close(code=code)

    async def join_member_group(self):
        """Hear the member's own pushes (``connect.live``): new notifications,
        and "your access changed, check again" from any app."""
        self.member_group = member_group_name(self.user_id)
        await self.channel_layer.group_add(self.member_group, self.channel_name)

    async def dispatch(self, message):
        # The member's group carries messages meant for their other sockets
        # (a thread socket has nothing to do with a new notification): a type
        # this consumer has no handler for is not an error.
        if not message.get("type", "").startswith("websocket.") and not hasattr(
            self, message.get("type", "").replace(".", "_")
        ):
            return
        await super().dispatch(message)

    async def member_access(self, event):
        """Something about this member's access changed (deactivated, suspended,
        another role or discipline, signed out): check now, close if it ended."""
        await self.recheck()

    def _start_rechecks(self):
        self.recheck_task = asyncio.ensure_future(self._recheck_loop())

    async def _recheck_loop(self):
        interval = _setting("FORUM_LIVE_RECHECK_SECONDS", 30)
        try:
            while True:
                await asyncio.sleep(interval)
                if not await self.recheck():
                    return
        except asyncio.CancelledError:
            pass

    async def recheck(self):  # pragma: no cover - overridden
        return True

    async def disconnect(self, code):
        if self.recheck_task is not None:
            self.recheck_task.cancel()
        if self.member_group is not None:
            group, self.member_group = self.member_group, None
            await self.channel_layer.group_discard(group, self.channel_name)


class ThreadConsumer(_Guarded):
    """``/ws/threads/<id>/?since=<sequence>``: one thread's events, presence and typing.

    Frames from the client: ``{"type": "catch_up", "since": n}`` (replay after
    ``n``), ``{"type": "typing"}`` and ``{"type": "ping"}`` (keeps the member in
    the viewers' list).

    The thread's group messages reach the process's :class:`forum.hub.ThreadHub`
    for the thread, once; the hub asks for every socket's answer in one round
    and hands each socket its frames through :meth:`deliver`, :meth:`send_text`
    and :meth:`shut`. The socket itself only joins its member's group."""

    allowed_types = frozenset({"ping", "catch_up", "typing"})

    async def connect(self):
        self._init_guard()
        self.thread_id = self.scope["url_route"]["kwargs"]["thread_id"]
        self.group = live.group_name(self.thread_id)
        self.last_typing = 0.0
        self.last_sent = 0
        self.live = False  # the hub sends nothing before the socket is accepted and caught up
        self.hub = None
        status, current, category_id = await fanout.connect(self.thread_id, self.user_id, self.session_key)
        if status != OK:
            # The same close whether the thread is missing or out of reach.
            await self.refuse(status)
            return
        self.hub = await hub.join(self)
        await self.join_member_group()
        await self.hub.follow_category(category_id)
        await self.accept()
        since = self._since_param()
        self.last_sent = current if since is None else since
        await self.send_json({"type": "ready", "sequence": current})
        if since is not None and not await self._replay():
            return
        self.live = True
        if self.hub.latest > self.last_sent and not await self._replay():
            # An event the hub heard while this socket was opening.
            return
        await self._presence_join()

    def _since_param(self):
        query = self.scope.get("query_string", b"").decode("latin-1")
        for part in query.split("&"):
            name, _, value = part.partition("=")
            if name == "since" and value.isdigit():
                return int(value)
        return None

    async def _close(self, status):
        self.live = False
        await self.close(code=status)
        await self._leave()

    async def shut(self, status):
        """Close with ``status`` (4403, 4401) unless already closing: the hub's verdict."""
        if self.live:
            await self._close(status)

    async def send_text(self, text):
        """One frame, already encoded, straight to the client."""
        await self.base_send({"type": "websocket.send", "text": text})

    async def deliver(self, status, frames, last):
        """The hub's (or this socket's own) answer: the frames after what the page
        has, each sent once and in order whichever answer comes first, or a close."""
        if status != OK:
            await self._close(status)
            return False
        for sequence, frame in frames:
            if sequence > self.last_sent:
                self.last_sent = sequence
                await self.send_text(frame)
        self.last_sent = max(self.last_sent, last)
        return True

    async def _leave(self):
        hub_, self.hub = self.hub, None
        if hub_ is not None:
            await hub_.leave(self)
            await database_sync_to_async(fanout.presence_update)(
                self.thread_id, [(self.channel_name, None, "")]
            )
            await fanout.presence_changed(self.channel_layer, self.group, self._layer_send)

    async def _layer_send(self, message):
        try:
            await self.channel_layer.group_send(self.group, message)
        except Exception:  # noqa: BLE001 - presence is best effort; events catch up from the database
            logger.warning("Could not send to %s", self.group, exc_info=True)

    async def _replay(self):
        status, frames, last, category_id = await fanout.replay(
            self.thread_id, self.user_id, self.session_key, self.last_sent
        )
        if status == OK and self.hub is not None:
            await self.hub.follow_category(category_id)
        return await self.deliver(status, frames, last)

    async def recheck(self):
        status, _can_reply, name = await fanout.access(self.thread_id, self.user_id, self.session_key)
        if status != OK:
            await self._close(status)
            return False
        await database_sync_to_async(fanout.presence_update)(
            self.thread_id, [(self.channel_name, self.user_id, name)]
        )
        return True

    async def _presence_join(self):
        if await self.recheck():
            await fanout.presence_changed(self.channel_layer, self.group, self._layer_send)

    async def receive_json(self, content, **kwargs):
        kind = content["type"]
        if kind == "catch_up":
            since = content.get("since")
            if not isinstance(since, int) or isinstance(since, bool) or since < 0:
                await self.error("invalid_message")
                return
            self.last_sent = since
            await self._replay()
        elif kind == "ping":
            if await self.recheck():
                await self.send_json({"type": "pong"})
        elif kind == "typing":
            await self._typing()

    async def _typing(self):
        now = time.monotonic()
        if now - self.last_typing < _setting("FORUM_LIVE_TYPING_INTERVAL", 3):
            return  # at most one "is replying" per interval per connection
        self.last_typing = now
        status, can_reply, name = await fanout.access(self.thread_id, self.user_id, self.session_key)
        if status != OK:
            await self._close(status)
            return
        if can_reply:
            await self._layer_send(
                {"type": "typing.event", "channel": self.channel_name, "user_id": self.user_id, "name": name}
            )

    async def disconnect(self, code):
        self.live = False
        await super().disconnect(code)
        await self._leave()


@database_sync_to_async
def _member_state(user_id, session_key):
    """``(status, unread count, id of the newest notification the member may see)``."""
    status, user = _member(user_id, session_key, allow_suspended=True)
    if status != OK:
        return status, 0, 0
    return OK, *member_live.notification_state(user)


@database_sync_to_async
def _new_notifications(user_id, session_key, after_id):
    """``(status, messages, newest id)``: the notifications after ``after_id``
    this member may see, each rendered for them, and the count."""
    status, user = _member(user_id, session_key, allow_suspended=True)
    if status != OK:
        return status, [], after_id
    messages, newest = member_live.notifications_after(user, after_id)
    return OK, messages, newest


@database_sync_to_async
def _new_thread(user_id, session_key, thread_id):
    """The ``thread.created`` message for a thread in a category this member
    watches, or None when they may not see it (or stopped watching)."""
    status, user = _member(user_id, session_key, allow_suspended=True)
    if status != OK:
        return status, None
    thread = Thread.objects.select_related("category").filter(pk=thread_id).first()
    if thread is None or not permissions.can_see_thread(user, thread):
        return OK, None
    if not CategorySubscription.objects.filter(user_id=user.pk, category_id=thread.category_id).exists():
        return OK, None
    return OK, {
        "type": "thread.created",
        "thread": {
            "id": thread.pk,
            "title": thread.title,
            "url": thread.get_absolute_url(),
            "category": {"id": thread.category_id, "name": thread.category.name},
        },
    }


class MemberConsumer(_Guarded):
    """``/ws/me/``: what concerns the member on every page, pushed as it happens.

    On connect: the unread notification count. Then, through the member's own
    group (``connect.live.member_group_name``): each new notification they may
    see, rendered for them, with the count (``notifications.live``); the count
    again when notifications are read elsewhere; new threads in categories they
    watch. A page that reconnects gets the count afresh, and every push re-reads
    the database, so a lost one is made good by the next; the re-check every
    ``FORUM_LIVE_RECHECK_SECONDS`` (session limits) also sends what no push
    brought, which is how notifications saved by the worker reach pages when
    the channel layer is in memory (one process, no ``REDIS_URL``)."""

    async def connect(self):
        self._init_guard()
        status, count, newest = await _member_state(self.user_id, self.session_key)
        if status != OK:
            await self.refuse(status)
            return
        await self.join_member_group()
        await self.accept()
        self.count = count
        self.newest = newest
        await self.send_json({"type": "notifications", "unread": count})
        self._start_rechecks()

    async def recheck(self):
        """The session and the member are still good; also sends the count if it moved."""
        status, count, newest = await _member_state(self.user_id, self.session_key)
        if status != OK:
            await self.close(code=status)
            return False
        if newest > self.newest:
            # Saved by a process whose push could not reach this one (the
            # in-memory layer is per process; the worker creates notifications).
            await self.notification_created({})
        if count != self.count:
            self.count = count
            await self.send_json({"type": "notifications", "unread": count})
        return True

    async def receive_json(self, content, **kwargs):
        if await self.recheck():
            await self.send_json({"type": "pong"})

    async def notification_created(self, event):
        """New notifications were saved for this member: send the ones they may see."""
        status, messages, newest = await _new_notifications(self.user_id, self.session_key, self.newest)
        if status != OK:
            await self.close(code=status)
            return
        self.newest = max(self.newest, newest)
        for message in messages:
            self.count = message["unread"]
            await self.send_json(message)

    async def notifications_changed(self, event):
        """Notifications were read (another tab, another device): the new count."""
        await self.recheck()

    async def thread_created(self, event):
        """A thread was started in a category this member watches."""
        status, message = await _new_thread(self.user_id, self.session_key, event.get("thread_id"))
        if status != OK:
            await self.close(code=status)
            return
        if message is not None:
            await self.send_json(message)
