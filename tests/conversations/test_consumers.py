"""The live path through the real ASGI application (connect.asgi.application)."""

import json
import time

import pytest
from channels.db import database_sync_to_async as db
from channels.testing import WebsocketCommunicator
from django.test import Client

from conversations import services

from .conftest import actor

pytestmark = pytest.mark.django_db(transaction=True)

ORIGIN = b"http://testserver"


def _session_key(user):
    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


async def _open(user, path):
    from connect.asgi import application

    key = await db(_session_key)(user)
    headers = [(b"origin", ORIGIN), (b"host", b"testserver"), (b"cookie", f"sessionid={key}".encode())]
    communicator = WebsocketCommunicator(application, path, headers=headers)
    connected, code = await communicator.connect(timeout=5)
    return communicator, connected, code


async def _next(communicator, *types, timeout=3):
    deadline = time.monotonic() + timeout
    while True:
        remaining = deadline - time.monotonic()
        assert remaining > 0, f"no {types} message"
        output = await communicator.receive_output(remaining)
        if output["type"] == "websocket.close":
            return {"type": "closed", "code": output.get("code")}
        message = json.loads(output["text"])
        if message["type"] in types:
            return message


def _start(sender, recipients, body="Opening the case file."):
    return services.conversation_start(
        actor=actor(sender), recipients=recipients, subject="Live test", body=body
    )


def _send(sender, conversation, body):
    return services.message_send(actor=actor(sender), conversation=conversation, body=body)


async def test_outsider_and_missing_conversation_close_alike(alice, bob, carol):
    conversation = await db(_start)(alice, [bob])
    _c, connected, code = await _open(carol, f"/ws/conversations/{conversation.pk}/")
    assert (connected, code) == (False, 4403)
    _c, connected, code = await _open(carol, "/ws/conversations/999999/")
    assert (connected, code) == (False, 4403)


async def test_new_message_arrives_rendered_with_its_sequence(alice, bob):
    conversation = await db(_start)(alice, [bob])
    communicator, connected, _ = await _open(bob, f"/ws/conversations/{conversation.pk}/")
    assert connected
    ready = await _next(communicator, "ready")
    await db(_send)(alice, conversation, "Live hello from Alice.")
    message = await _next(communicator, "message")
    assert message["sequence"] == ready["sequence"] + 1
    assert "Live hello from Alice." in message["html"] and 'id="message-2"' in message["html"]
    await communicator.disconnect()


async def test_catch_up_with_since_replays_what_was_missed(alice, bob):
    conversation = await db(_start)(alice, [bob])
    await db(_send)(alice, conversation, "Missed one.")
    await db(_send)(alice, conversation, "Missed two.")
    communicator, connected, _ = await _open(bob, f"/ws/conversations/{conversation.pk}/?since=1")
    assert connected
    first = await _next(communicator, "message")
    second = await _next(communicator, "message")
    assert (first["sequence"], second["sequence"]) == (2, 3)
    assert "Missed two." in second["html"]
    await communicator.disconnect()


async def test_removed_participant_stops_receiving_at_once(alice, bob, dave):
    conversation = await db(_start)(alice, [bob, dave])
    communicator, connected, _ = await _open(dave, f"/ws/conversations/{conversation.pk}/")
    assert connected
    await _next(communicator, "ready")
    await db(services.participant_remove)(actor=actor(alice), conversation=conversation, user=dave)
    closed = await _next(communicator, "closed")
    assert closed["code"] == 4403
    await db(_send)(alice, conversation, "After Dave was removed.")
    assert await communicator.receive_nothing(0.3)


async def test_read_receipts_and_typing(alice, bob):
    conversation = await db(_start)(alice, [bob])
    sender, ok_a, _ = await _open(alice, f"/ws/conversations/{conversation.pk}/")
    reader, ok_b, _ = await _open(bob, f"/ws/conversations/{conversation.pk}/")
    assert ok_a and ok_b
    seen = await _next(sender, "seen")
    assert (seen["sequence"], seen["count"]) == (1, 0)
    await reader.send_json_to({"type": "read", "sequence": 1})
    unread = await _next(reader, "unread")
    assert unread["count"] == 0
    seen = await _next(sender, "seen")
    assert seen["count"] == 1
    await reader.send_json_to({"type": "typing"})
    typing = await _next(sender, "typing")
    assert typing["name"] == bob.display_name
    await sender.disconnect()
    await reader.disconnect()


async def test_inbox_socket_counts_unread_conversations(alice, bob):
    inbox, connected, _ = await _open(bob, "/ws/conversations/")
    assert connected
    assert (await _next(inbox, "unread"))["count"] == 0
    await db(_start)(alice, [bob])
    assert (await _next(inbox, "unread"))["count"] == 1
    await inbox.disconnect()


async def test_bad_frames_get_stable_codes(alice, bob):
    conversation = await db(_start)(alice, [bob])
    communicator, _ok, _ = await _open(bob, f"/ws/conversations/{conversation.pk}/")
    await _next(communicator, "ready")
    await communicator.send_to(text_data="not json")
    assert (await _next(communicator, "error"))["code"] == "invalid_json"
    await communicator.send_json_to({"type": "delete_everything"})
    assert (await _next(communicator, "error"))["code"] == "unknown_type"
    await communicator.send_json_to({"type": "read", "sequence": "all"})
    assert (await _next(communicator, "error"))["code"] == "invalid_message"
    await communicator.send_to(text_data=json.dumps({"type": "ping", "pad": "x" * 70_000}))
    assert (await _next(communicator, "closed"))["code"] == 1009
