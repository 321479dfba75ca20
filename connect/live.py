"""Pushes to one member's open pages, on the ground floor.

Every socket a member opens (the header's ``/ws/me/`` on every page, a
thread's socket) joins the member's own channel-layer group,
:func:`member_group_name`. Any app tells that member something by calling
:func:`member_send` inside its write's transaction: the message goes after
commit, carries ids only, and the consumer that receives it asks the
permission functions again before it sends the browser anything. This floor
knows no consumer and no app: it only names the group and delivers.

The database stays the source of truth. A push that fails or is slow (the
channel layer is down) is logged and dropped, never raised into the write
that caused it; pages read the true state when they (re)connect.
"""

from __future__ import annotations

import asyncio
import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import transaction

logger = logging.getLogger(__name__)

# Sent when something about a member's access changed (deactivated, suspended,
# a new role or discipline, signed out): their sockets check again at once.
ACCESS_CHANGED = "member.access"


def member_group_name(user_id):
    """The channel-layer group every socket of member ``user_id`` joins."""
    return f"connect.member.{int(user_id)}"


def _timeout():
    # As long as a thread's broadcast may take (forum.live): a push is never
    # worth holding up the write, or the worker, that caused it.
    return getattr(settings, "CONNECT_LIVE_SEND_TIMEOUT", 1.0)


def member_send_now(user_ids, message):
    """Send ``message`` (a dict whose ``type`` names the consumer handler) to
    the groups of ``user_ids``, all at once under one timeout; never raises."""
    ids = sorted({int(pk) for pk in user_ids if pk is not None})
    layer = get_channel_layer()
    if layer is None or not ids:
        return

    async def send():
        await asyncio.wait_for(
            asyncio.gather(*(layer.group_send(member_group_name(pk), dict(message)) for pk in ids)),
            _timeout(),
        )

    try:
        async_to_sync(send)()
    except Exception:  # noqa: BLE001 - derived data: pages read the truth when they reconnect
        logger.warning("Could not send %s to %s member(s)", message.get("type"), len(ids), exc_info=True)


def member_send(user_ids, message):
    """:func:`member_send_now` once the caller's transaction commits (at once
    outside one), so a rolled-back write tells nobody anything."""
    if isinstance(user_ids, int):
        user_ids = [user_ids]
    ids = list(user_ids)
    if ids:
        transaction.on_commit(lambda: member_send_now(ids, message))


def access_changed(user_id):
    """Make every open socket of ``user_id`` check their access again now."""
    member_send([user_id], {"type": ACCESS_CHANGED})
