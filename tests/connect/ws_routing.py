"""A WebSocket route used only by the access tests, to prove a member's
connection reaches a consumer."""

from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.urls import path


class EchoConsumer(AsyncJsonWebsocketConsumer):
    """Accepts the connection and sends back what it receives."""

    async def connect(self):
        await self.accept()

    async def receive_json(self, content, **kwargs):
        await self.send_json(content)


websocket_urlpatterns = [path("ws/test-echo/", EchoConsumer.as_asgi())]
