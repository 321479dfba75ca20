"""WebSocket access rules: the same membership check as every page.

Routes come from each app's ``routing.websocket_urlpatterns``, listed in the
CONNECT_WEBSOCKET_ROUTING setting, so `connect` never imports the apps above it.
"""

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


@database_sync_to_async
def _is_active_member(user):
    return permissions.is_active_member(user)


class MembersOnlyWebsocketMiddleware:
    """Close the handshake (code 4403) unless the user is an active member."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] == "websocket" and not await _is_active_member(scope.get("user")):
            # Deny before the consumer exists: read the connect event, then close.
            message = await receive()
            if message["type"] == "websocket.connect":
                await send({"type": "websocket.close", "code": 4403})
            return None
        return await self.app(scope, receive, send)
