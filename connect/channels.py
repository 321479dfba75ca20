"""WebSocket access rules: the same membership check as every page.

Routes come from each app's ``routing.websocket_urlpatterns``, listed in the
CONNECT_WEBSOCKET_ROUTING setting, so `connect` never imports the apps above it.
"""

import time
from importlib import import_module

from channels.db import database_sync_to_async
from channels.routing import URLRouter
from django.conf import settings

from . import permissions


def websocket_urlpatterns():
    patterns = []
    for module_path in getattr(settings, "CONNECT_WEBSOCKET_ROUTING", None) or []:
        patterns.extend(import_module(module_path).websocket_urlpatterns)
    return patterns


class LazyWebsocketRouter:
    """Routes WebSockets to the apps' consumers, reading CONNECT_WEBSOCKET_ROUTING
    on first use rather than at import, so the ASGI application can be built
    before the apps above `connect` are importable, and an empty setting just
    means every connection is closed."""

    def __init__(self):
        self._routers = {}

    def _router(self):
        key = tuple(getattr(settings, "CONNECT_WEBSOCKET_ROUTING", None) or ())
        if key not in self._routers:
            patterns = websocket_urlpatterns()
            self._routers[key] = URLRouter(patterns) if patterns else None
        return self._routers[key]

    async def __call__(self, scope, receive, send):
        router = self._router()
        if router is None:
            message = await receive()
            if message["type"] == "websocket.connect":
                await send({"type": "websocket.close", "code": 4404})
            return None
        return await router(scope, receive, send)


def session_limits():
    """``(total, idle)`` in seconds: the limits of
    connect.middleware.SessionTimeoutMiddleware, read once by a caller that
    judges many sessions (a live round judges a thousand)."""
    return (
        settings.CONNECT_SESSION_MAX_AGE.total_seconds(),
        settings.CONNECT_SESSION_IDLE_TIMEOUT.total_seconds(),
    )


def session_expired(session, *, now=None, limits=None):
    """The same idle and total limits as connect.middleware.SessionTimeoutMiddleware
    (``now`` and ``limits``, from :func:`session_limits`, may be given by a
    caller that asks for many sessions at one moment)."""
    if session is None:
        return False
    now = time.time() if now is None else now
    max_age, idle = session_limits() if limits is None else limits
    started = session.get("connect_started")
    last_seen = session.get("connect_last_seen")
    if started is not None and now - started > max_age:
        return True
    return last_seen is not None and now - last_seen > idle


CLOSE_SESSION = 4401
CLOSE_FORBIDDEN = 4403


@database_sync_to_async
def _refusal(scope):
    """None when the socket may go on; else the close code the browser sees:
    4401 (not signed in, or the session passed its idle or total limit: sign
    in again) or 4403 (signed in, but not an active member)."""
    user = scope.get("user")
    if session_expired(scope.get("session")) or not getattr(user, "is_authenticated", False):
        return CLOSE_SESSION
    return None if permissions.is_active_member(user) else CLOSE_FORBIDDEN


class MembersOnlyWebsocketMiddleware:
    """Close the socket (4401 or 4403) unless the user is an active member
    whose session has not timed out.

    The handshake is accepted and then closed, so the browser receives the
    code: a handshake refused outright reaches a page as 1006 with no code,
    which looks like a network drop worth retrying for ever."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] == "websocket":
            code = await _refusal(scope)
            if code is not None:
                # Deny before the consumer exists: read the connect event, then close.
                message = await receive()
                if message["type"] == "websocket.connect":
                    await send({"type": "websocket.accept"})
                    await send({"type": "websocket.close", "code": code})
                return None
        return await self.app(scope, receive, send)
