"""Broadcasts of private conversations, sent after the write commits.

Broadcasts carry ids and sequence numbers only. Each consumer reads what its
member may see from the database and renders it for them, so a broadcast
reaching a socket that should no longer hear it delivers nothing, and a lost
broadcast is filled in by the next one or by a reconnect with ``?since=``.
"""

from __future__ import annotations

import asyncio
import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import transaction

from .signals import unread_changed

logger = logging.getLogger(__name__)


def conversation_group(conversation_id):
    return f"conversation.{conversation_id}"


def member_group(user_id):
    return f"conversations.member.{user_id}"


def _send(group, message):
    layer = get_channel_layer()
    if layer is None:
        return

    async def send():
        timeout = getattr(settings, "CONVERSATIONS_BROADCAST_TIMEOUT", 1.0)
        await asyncio.wait_for(layer.group_send(group, message), timeout)

    try:
        async_to_sync(send)()
    except Exception:  # noqa: BLE001 - derived: pages catch up from the database
        logger.warning("Could not broadcast to %s", group, exc_info=True)


def after_commit(conversation_id, kind, *, seq=0, member_ids=()):
    """Tell the conversation's sockets, and the inboxes of ``member_ids``, once committed.

    ``kind`` is ``message`` (a new sequence), ``read`` (someone read up to a
    sequence) or ``participants`` (someone joined or left: every socket
    checks its access again)."""
    # Every kind changes someone's unread count; some came as bulk updates.
    unread_changed()

    def run():
        _send(conversation_group(conversation_id), {"type": "conversation.event", "kind": kind, "seq": seq})
        for user_id in set(member_ids):
            _send(member_group(user_id), {"type": "inbox.changed", "conversation": conversation_id})

    transaction.on_commit(run)
