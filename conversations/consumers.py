"""The live side of private conversations: WebSocket consumers.

``connect.channels.MembersOnlyWebsocketMiddleware`` has already refused
anonymous and non-member sockets and checked the origin. These consumers ask
``permissions.py`` again at connect and before every delivery, reloading the
member, their session and their place in the conversation from the database:
a participant who leaves or is removed, a member deactivated or signed out,
stops receiving at once and is disconnected.

Close codes (also in docs/conversations.md), the same as discussions':

* 4403 — no such conversation, or the member is not (or no longer) in it: the two look alike;
* 4401 — the session ended (idle, too long, signed out);
* 4429 — too many frames after a ``rate_limited`` error;
* 1009 — a frame larger than 64 KB.

Other bad input gets ``{"type": "error", "code": ...}``: ``invalid_json``,
``invalid_message``, ``unknown_type``, ``binary_not_supported``, ``rate_limited``.
"""

from __future__ import annotations

import time

from channels.db import database_sync_to_async
from django.conf import settings
from django.contrib.auth import get_user_model
from django.template.loader import render_to_string
from django.utils.module_loading import import_string

from connect.channels import session_expired
from connect.consumers import FrameGuardConsumer

from . import live, permissions, selectors, services

CLOSE_FORBIDDEN = 4403
CLOSE_SESSION = 4401
OK = "ok"


def _setting(name, default):
    return getattr(settings, name, default)


def _member(user_id, session_key):
    """The member behind a socket, fresh from the database, or a close code."""
    if not session_key:
        return CLOSE_SESSION, None
    store = import_string(f"{settings.SESSION_ENGINE}.SessionStore")(session_key)
    data = store.load()
    if str(data.get("_auth_user_id", "")) != str(user_id) or session_expired(data):
        return CLOSE_SESSION, None
    user = get_user_model().objects.select_related("profile").filter(pk=user_id).first()
    if user is None or not permissions.is_active_member(user):
        return CLOSE_FORBIDDEN, None
    return OK, user


def _access(user_id, session_key, conversation_id):
    status, user = _member(user_id, session_key)
    if status != OK:
        return status, None, None
    found = selectors.conversation_for(user=user, pk=conversation_id)
    if found is None:
        return CLOSE_FORBIDDEN, None, None
    return OK, user, found[0]


def render_message(user, message, *, conversation):
    """One message as the conversation page shows it to ``user``."""
    return render_to_string(
        "conversations/_message.html",
        {"message": message, "viewer": user, "conversation": conversation, "live": True},
    )


@database_sync_to_async
def _connect(user_id, session_key, conversation_id):
    status, _user, conversation = _access(user_id, session_key, conversation_id)
    return status, (conversation.message_seq if conversation else 0)


@database_sync_to_async
def _since(user_id, session_key, conversation_id, since):
    """``(status, frames, last)``: what the member missed after ``since``, rendered for them."""
    status, user, conversation = _access(user_id, session_key, conversation_id)
    if status != OK:
        return status, [], since
    current = conversation.message_seq
    if since > current or current - since > _setting("CONVERSATIONS_CATCH_UP_LIMIT", 100):
        return OK, [{"type": "reload", "sequence": current}], current
    if since == current:
        return OK, [], current
    messages = selectors.conversation_messages(user=user, conversation=conversation, after=since)
    frames = [
        {"type": "message", "sequence": m.seq, "html": render_message(user, m, conversation=conversation)}
        for m in messages
    ]
    # Sequences the member may not see (a message held for review) just move the count on.
    frames.append({"type": "sequence", "sequence": current})
    return OK, frames, current


@database_sync_to_async
def _seen(user_id, session_key, conversation_id):
    status, user, conversation = _access(user_id, session_key, conversation_id)
    if status != OK:
        return status, None
    places = selectors.participants(conversation=conversation)
    seq, count = selectors.seen_by(conversation=conversation, places=places, user=user)
    return OK, {"type": "seen", "sequence": seq, "count": count, "others": len(places) - 1}


@database_sync_to_async
def _mark_read(user_id, session_key, conversation_id, seq):
    status, user, conversation = _access(user_id, session_key, conversation_id)
    if status != OK:
        return status, 0
    services.conversation_mark_read(user=user, conversation=conversation, seq=seq)
    return OK, selectors.unread_conversation_count(user=user)


@database_sync_to_async
def _writer(user_id, session_key, conversation_id):
    status, user, conversation = _access(user_id, session_key, conversation_id)
    if status != OK:
        return status, None
    return OK, user.display_name if permissions.can_write_in(user, conversation) else None


@database_sync_to_async
def _unread(user_id, session_key):
    status, user = _member(user_id, session_key)
    if status != OK:
        return status, 0
    return OK, selectors.unread_conversation_count(user=user)


class _Guarded(FrameGuardConsumer):
    """The frame guard, with the member behind the socket."""

    flood_settings = ("CONVERSATIONS_FLOOD_WINDOW", "CONVERSATIONS_FLOOD_LIMIT")

    def _init_guard(self):
        self.init_frame_guard()
        self.user_id = getattr(self.scope.get("user"), "pk", None)
        self.session_key = getattr(self.scope.get("session"), "session_key", None)


def _since_param(scope):
    for part in scope.get("query_string", b"").decode("latin-1").split("&"):
        name, _, value = part.partition("=")
        if name == "since" and value.isdigit() and len(value) < 10:
            return int(value)
    return None


class ConversationConsumer(_Guarded):
    """``/ws/conversations/<id>/?since=<sequence>``: new messages, "seen by" and "is writing".

    Frames from the client: ``{"type": "catch_up", "since": n}``, ``{"type":
    "read", "sequence": n}`` (the member has read up to n), ``{"type":
    "typing"}`` and ``{"type": "ping"}``."""

    allowed_types = frozenset({"ping", "catch_up", "read", "typing"})

    async def connect(self):
        self._init_guard()
        self.conversation_id = self.scope["url_route"]["kwargs"]["conversation_id"]
        self.group = live.conversation_group(self.conversation_id)
        self.last_typing = 0.0
        self.joined = False
        status, current = await _connect(self.user_id, self.session_key, self.conversation_id)
        if status != OK:
            await self.close(code=status)
            return
        await self.channel_layer.group_add(self.group, self.channel_name)
        self.joined = True
        await self.accept()
        since = _since_param(self.scope)
        self.last_sent = current if since is None else since
        await self.send_json({"type": "ready", "sequence": current})
        if since is not None:
            await self._replay()
        await self._send_seen()

    async def _close(self, status):
        await self.close(code=status)
        await self._leave()

    async def _leave(self):
        if self.joined:
            self.joined = False
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def _replay(self):
        status, frames, last = await _since(
            self.user_id, self.session_key, self.conversation_id, self.last_sent
        )
        if status != OK:
            await self._close(status)
            return False
        for frame in frames:
            await self.send_json(frame)
        self.last_sent = max(self.last_sent, last)
        return True

    async def _send_seen(self):
        status, frame = await _seen(self.user_id, self.session_key, self.conversation_id)
        if status != OK:
            await self._close(status)
            return
        await self.send_json(frame)

    async def receive_json(self, content, **kwargs):
        kind = content["type"]
        if kind == "catch_up":
            since = content.get("since")
            if not isinstance(since, int) or isinstance(since, bool) or since < 0:
                await self.error("invalid_message")
                return
            self.last_sent = since
            await self._replay()
        elif kind == "read":
            seq = content.get("sequence")
            if not isinstance(seq, int) or isinstance(seq, bool) or seq < 0:
                await self.error("invalid_message")
                return
            status, unread = await _mark_read(self.user_id, self.session_key, self.conversation_id, seq)
            if status != OK:
                await self._close(status)
                return
            await self.send_json({"type": "unread", "count": unread})
        elif kind == "typing":
            await self._typing()
        else:
            status, _name = await _writer(self.user_id, self.session_key, self.conversation_id)
            if status != OK:
                await self._close(status)
                return
            await self.send_json({"type": "pong"})

    async def _typing(self):
        now = time.monotonic()
        if now - self.last_typing < _setting("CONVERSATIONS_TYPING_INTERVAL", 3):
            return
        self.last_typing = now
        status, name = await _writer(self.user_id, self.session_key, self.conversation_id)
        if status != OK:
            await self._close(status)
            return
        if name:
            await self.channel_layer.group_send(
                self.group, {"type": "typing.event", "user_id": self.user_id, "name": name}
            )

    # --- Group messages: access is checked again before anything is sent ---------

    async def conversation_event(self, event):
        """A message was sent, someone read, joined or left: send what this member may
        see now, from the database (a member no longer in it is closed instead)."""
        if event["kind"] == "message" and event["seq"] <= self.last_sent:
            return
        if not await self._replay():
            return
        if event["kind"] in ("read", "participants", "message"):
            await self._send_seen()

    async def typing_event(self, event):
        """Another participant is writing."""
        if event["user_id"] == self.user_id:
            return
        status, _name = await _writer(self.user_id, self.session_key, self.conversation_id)
        if status != OK:
            await self._close(status)
            return
        await self.send_json({"type": "typing", "name": event["name"]})

    async def disconnect(self, code):
        await self._leave()


class InboxConsumer(_Guarded):
    """``/ws/conversations/``: the member's count of conversations with unread
    messages, sent when it opens and whenever one of their conversations changes."""

    async def connect(self):
        self._init_guard()
        status, count = await _unread(self.user_id, self.session_key)
        if status != OK:
            await self.close(code=status)
            return
        self.group = live.member_group(self.user_id)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        await self.send_json({"type": "unread", "count": count})

    async def _push(self):
        status, count = await _unread(self.user_id, self.session_key)
        if status != OK:
            await self.close(code=status)
            await self.channel_layer.group_discard(self.group, self.channel_name)
            return False
        await self.send_json({"type": "unread", "count": count})
        return True

    async def inbox_changed(self, event):
        """One of the member's conversations changed: the new count (never what changed)."""
        await self._push()

    async def receive_json(self, content, **kwargs):
        if await self._push():
            await self.send_json({"type": "pong"})

    async def disconnect(self, code):
        if getattr(self, "group", None):
            await self.channel_layer.group_discard(self.group, self.channel_name)
