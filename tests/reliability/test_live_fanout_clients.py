"""The fan-out benchmark's clients read every socket from its opening.

A socket left unread while the other members are still connecting fills its
queue (daphne sends "ready" and a viewers' list every half second), stops
answering the server's keepalive pings and is closed by the server: with a
thousand slow handshakes that was hundreds of members counted as having lost
every reply. Here a websockets server with a short keepalive holds the second
handshake for longer than its ping timeout while it floods the first socket."""

import asyncio
import concurrent.futures
import json

import pytest
from websockets.asyncio.server import serve

from bench.live_fanout import Clients

pytestmark = pytest.mark.bench


async def _early_sockets_stay_open():
    second_may_open = asyncio.Event()
    opened = 0

    async def slow_second_handshake(connection, request):
        nonlocal opened
        opened += 1
        if opened == 2:
            await asyncio.sleep(1.5)  # longer than the keepalive's interval + timeout below
        return None

    async def handler(ws):
        for n in range(40):  # more than the client's queue holds unread
            await ws.send(json.dumps({"type": "presence", "n": n}))
        await ws.send(json.dumps({"type": "ready", "sequence": 0}))
        await second_may_open.wait()
        await ws.send(json.dumps({"type": "post.created", "sequence": 1}))
        await ws.wait_closed()

    async with serve(
        handler,
        "127.0.0.1",
        0,
        process_request=slow_second_handshake,
        ping_interval=0.2,
        ping_timeout=0.3,
    ) as server:
        port = server.sockets[0].getsockname()[1]
        url = f"ws://127.0.0.1:{port}/"
        clients = Clients()
        await clients.open([url], ["a=1", "b=2"], [f"http://127.0.0.1:{port}"], concurrency=1)
        second_may_open.set()
        arrivals = await clients.wait_for(1, timeout=5)
        assert clients.dropped == {}
        assert len(arrivals) == 2
        await clients.close()


def test_clients_keep_early_sockets_open_while_others_connect():
    # On an event loop of its own thread: the browser tests' Playwright keeps
    # one running in this thread, and asyncio.run refuses to start inside it.
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, _early_sockets_stay_open()).result()
