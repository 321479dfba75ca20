"""What every WebSocket consumer of the site checks before a handler runs.

Each frame passes :meth:`FrameGuardConsumer.receive`: a flood is warned once
(``rate_limited``) and then closed (4429), a frame over 64 KB is closed
(1009), and binary, non-JSON, shapeless or unknown frames get an error with a
stable code while the socket stays open. The discussions' and the private
conversations' consumers stand on it, so both refuse bad input the same way.
"""

from __future__ import annotations

import json
import time

from channels.consumer import get_handler_name
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings
from django.utils.functional import empty

CLOSE_FLOOD = 4429
CLOSE_TOO_LARGE = 1009
MAX_FRAME_BYTES = 64 * 1024


def release_handshake_session(scope):
    """Let go of the session data the handshake decoded, once the socket has its
    session key: every later check reads the session afresh from the database
    (a thousand idle sockets kept a thousand decoded copies for nothing).

    Channels' session wrapper only asks whether the session was modified, and
    an unmodified session with a key is never saved, so nothing reads the
    data again; code that did would find it reloaded from the database, and
    from an async context that raises rather than reading stale data."""
    session = scope.get("session")
    # Channels puts the store behind a lazy object; a store not made yet holds nothing.
    store = getattr(session, "_wrapped", session)
    if store is None or store is empty:
        return
    if getattr(store, "session_key", None) and not store.modified:
        vars(store).pop("_session_cache", None)


class FrameGuardConsumer(AsyncJsonWebsocketConsumer):
    """Frame size, flood control and JSON shape, for the subclass's
    ``allowed_types``; ``flood_settings`` names the (window, limit) settings."""

    allowed_types = frozenset({"ping"})
    flood_settings = ("CONNECT_WS_FLOOD_WINDOW", "CONNECT_WS_FLOOD_LIMIT")

    async def dispatch(self, message):
        """Run the message's handler. Channels' own ``dispatch`` first hops to
        the database thread to close stale connections, for every message of
        every socket: a group message to a thousand sockets queued a thousand
        hops behind the process's page views. These consumers touch the
        database only through ``database_sync_to_async``, which closes stale
        connections around each call itself, so the hop is skipped."""
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    def init_frame_guard(self):
        self.frames = []
        self.warned = False

    async def error(self, code):
        await self.send_json({"type": "error", "code": code})

    async def _flooded(self):
        """True when this frame is one too many: warn first, then disconnect."""
        now = time.monotonic()
        window_setting, limit_setting = self.flood_settings
        window = getattr(settings, window_setting, 10)
        limit = getattr(settings, limit_setting, 30)
        self.frames = [t for t in self.frames if now - t < window]
        self.frames.append(now)
        if len(self.frames) <= limit:
            return False
        if len(self.frames) > 2 * limit:
            await self.close(code=CLOSE_FLOOD)
        elif not self.warned:
            self.warned = True
            await self.error("rate_limited")
        return True

    async def receive(self, text_data=None, bytes_data=None, **kwargs):
        """Every frame passes here first: flood, binary, size, JSON, shape, type."""
        if await self._flooded():
            return
        if text_data is None:
            await self.error("binary_not_supported")
            return
        # Characters first: encoding a short frame to count its bytes is wasted work.
        if len(text_data) > MAX_FRAME_BYTES // 4 and len(text_data.encode()) > MAX_FRAME_BYTES:
            await self.error("too_large")
            await self.close(code=CLOSE_TOO_LARGE)
            return
        try:
            content = json.loads(text_data)
        except ValueError:
            await self.error("invalid_json")
            return
        if not isinstance(content, dict) or not isinstance(content.get("type"), str):
            await self.error("invalid_message")
            return
        if content["type"] not in self.allowed_types:
            await self.error("unknown_type")
            return
        await self.receive_json(content)
