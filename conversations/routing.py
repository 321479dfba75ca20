"""WebSocket routes of private conversations, listed in CONNECT_WEBSOCKET_ROUTING."""

from django.urls import path

from . import consumers

websocket_urlpatterns = [
    path("ws/conversations/", consumers.InboxConsumer.as_asgi()),
    path("ws/conversations/<int:conversation_id>/", consumers.ConversationConsumer.as_asgi()),
]
