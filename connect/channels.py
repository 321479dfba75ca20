"""WebSocket access rules: the same membership check as every page.

Routes come from each app's ``routing.websocket_urlpatterns``, listed in the
CONNECT_WEBSOCKET_ROUTING setting, so `connect` never imports the apps above it.
"""

from importlib import import_module

from channels.db import database_sync_to_async
from django.conf import settings

from . import permissions


def websocket_urlpatterns():
    patterns = []
    for module_path in getattr(settings, "CONNECT_WEBSOCKET_ROUTING", []):
        patterns.extend(import_module(module_path).websocket_urlpatterns)
    return patterns


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
