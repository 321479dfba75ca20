"""Two real daphne processes sharing a Redis: a reply posted through either
process's reply form reaches the members connected to both, in order, once;
with that Redis stopped, replies are still saved at once, and readers who
reconnect when it is back catch up to exactly the saved replies.

The site is a SQLite database of its own (both servers and the test read the
same file), the Redis a server the test starts on a free port, never the
machine's."""

import asyncio
import concurrent.futures
import contextlib
import http.client
import json
import os
import shutil
import subprocess
import sys
import time
import urllib.parse

import pytest

from tests.reliability.conftest import ROOT, RedisServer, free_port, wait_until

CSRF = "m" * 32  # a CSRF secret of our own: the cookie and the header carry it

SETUP = """
import json
from django.test import Client
from connect.models import Discipline
from tests.factories import make_member
from tests.forum.factories import make_category, make_thread

author = make_member(discipline=Discipline.LAW_ENFORCEMENT)
readers = [make_member(discipline=Discipline.VICTIM_SERVICES) for _ in range(2)]
thread = make_thread(author=author, category=make_category(), title="Shelter beds tonight")

def cookie(user):
    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value

print(json.dumps({"thread": thread.pk, "author": cookie(author), "readers": [cookie(u) for u in readers]}))
"""


@pytest.fixture
def site(tmp_path, migrated_site):
    if not shutil.which("redis-server"):
        if os.environ.get("CI"):
            pytest.fail("redis-server is not installed; the multi-process test needs its own server")
        pytest.skip("redis-server is not installed")
    redis = RedisServer(tmp_path)
    redis.start()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.reliability.server_settings",
        "CONNECT_VAR_DIR": str(tmp_path),
        "REDIS_URL": redis.url,
        "CHANNEL_PREFIX": f"multi{redis.port}",
    }
    env.pop("DATABASE_URL", None)
    env.pop("CONNECT_SEARCH_INDEX_DIR", None)
    manage = [sys.executable, str(ROOT / "manage.py")]
    migrated_site(tmp_path)
    made = subprocess.run(
        [*manage, "shell", "-c", SETUP], env=env, cwd=ROOT, capture_output=True, text=True, timeout=180
    )
    assert made.returncode == 0, made.stderr
    data = json.loads(made.stdout.strip().splitlines()[-1])
    servers = []
    try:
        for n in range(2):
            port = free_port()
            log = open(tmp_path / f"daphne{n}.log", "wb")  # noqa: SIM115 - closed below
            proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "daphne",
                    "-b",
                    "127.0.0.1",
                    "-p",
                    str(port),
                    "connect.asgi:application",
                ],
                env=env,
                cwd=ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
            servers.append((proc, port, log))
        for _proc, port, _log in servers:
            assert wait_until(lambda port=port: _answers(port), timeout=60), "daphne did not start"
        yield {**data, "ports": [port for _, port, _ in servers], "tmp": tmp_path, "redis": redis}
    finally:
        for proc, _port, log in servers:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
            log.close()
        redis.stop()


def _answers(port):
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
        conn.request("GET", "/healthz")
        return conn.getresponse().status == 200
    except OSError:
        return False


def _reply(port, session, thread, body):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    form = urllib.parse.urlencode({"body": body, "submission_token": f"multi-{time.time()}"})
    conn.request(
        "POST",
        f"/discussions/t/{thread}/reply/",
        body=form,
        headers={
            "Host": "127.0.0.1",
            "Cookie": f"sessionid={session}; csrftoken={CSRF}",
            "X-CSRFToken": CSRF,
            "Content-Type": "application/x-www-form-urlencoded",
        },
    )
    response = conn.getresponse()
    response.read()
    return response.status


async def _follow(site):
    from websockets.asyncio.client import connect

    sockets = []
    for port, session in zip(site["ports"], site["readers"], strict=True):
        ws = await connect(
            f"ws://127.0.0.1:{port}/ws/threads/{site['thread']}/",
            origin=f"http://127.0.0.1:{port}",
            additional_headers={"Cookie": f"sessionid={session}"},
            proxy=None,
            open_timeout=10,
        )
        sockets.append(ws)
    starts = []
    for ws in sockets:
        while True:
            message = json.loads(await asyncio.wait_for(ws.recv(), 10))
            if message["type"] == "ready":
                starts.append(message["sequence"])
                break
    bodies = [f"Reply {n}: two beds free at the county shelter." for n in range(3)]
    loop = asyncio.get_running_loop()
    for n, body in enumerate(bodies):
        # Through the first process, then the second, then the first again.
        port = site["ports"][n % 2]
        status = await loop.run_in_executor(None, _reply, port, site["author"], site["thread"], body)
        assert status == 302, status
    received = [[], []]

    async def read(i, ws):
        from websockets.exceptions import ConnectionClosed

        with contextlib.suppress(ConnectionClosed):  # closed at the end of the test
            async for frame in ws:
                message = json.loads(frame)
                if message["type"] == "post.created":
                    received[i].append(message)

    readers = [asyncio.ensure_future(read(i, ws)) for i, ws in enumerate(sockets)]
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not all(len(r) >= 3 for r in received):
        await asyncio.sleep(0.05)
    await asyncio.sleep(1)  # anything repeated would arrive now
    for ws in sockets:
        await ws.close()
    await asyncio.gather(*readers)
    return starts, bodies, received


def _run(coroutine):
    """Run the WebSocket clients on an event loop of their own thread: the
    browser tests' Playwright keeps an event loop running in this one, and
    asyncio.run refuses to start inside it."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def test_reply_through_one_process_reaches_members_on_both_in_order_once(site):
    starts, bodies, received = _run(_follow(site))
    assert starts[0] == starts[1]
    for messages in received:
        assert [m["sequence"] for m in messages] == [starts[0] + 1, starts[0] + 2, starts[0] + 3]
        for message, body in zip(messages, bodies, strict=True):
            (html,) = message["posts"].values()
            assert body in html
    logs = "".join((site["tmp"] / f"daphne{n}.log").read_text(errors="replace") for n in range(2))
    assert "Traceback" not in logs


async def _catch_up(site, since):
    """The post ids a reader reconnecting to each process with ``?since=`` receives."""
    from websockets.asyncio.client import connect

    out = []
    for port, session in zip(site["ports"], site["readers"], strict=True):
        ids = []
        async with connect(
            f"ws://127.0.0.1:{port}/ws/threads/{site['thread']}/?since={since}",
            origin=f"http://127.0.0.1:{port}",
            additional_headers={"Cookie": f"sessionid={session}"},
            proxy=None,
            open_timeout=10,
        ) as ws:
            while True:
                try:
                    message = json.loads(await asyncio.wait_for(ws.recv(), 1.5))
                except TimeoutError:
                    break  # a handful of events, then silence
                assert message["type"] != "reload"
                if message["type"] == "post.created":
                    ids.extend(int(pk) for pk in message["posts"])
        out.append(ids)
    return out


def _replies_in_database(site):
    """The thread's replies as the site's database has them (every post but the first)."""
    import sqlite3

    with sqlite3.connect(site["tmp"] / "db.sqlite3") as db:
        rows = db.execute("SELECT id, body FROM forum_post WHERE thread_id = ? ORDER BY id", [site["thread"]])
        return [(pk, body) for pk, body in rows][1:]


def test_reply_with_redis_stopped_is_saved_at_once_and_caught_up_on_reconnect(site):
    import sqlite3

    with sqlite3.connect(site["tmp"] / "db.sqlite3") as db:
        (since,) = db.execute("SELECT event_seq FROM forum_thread WHERE id = ?", [site["thread"]]).fetchone()
    # Warm both processes with Redis up (connections made, caches filled).
    for port in site["ports"]:
        assert _reply(port, site["author"], site["thread"], f"Warm reply through {port}.") == 302
    site["redis"].stop()
    bodies = [f"Reply {n} while Redis is down: the hotline moved to the county line." for n in range(2)]
    try:
        for n, body in enumerate(bodies):
            started = time.monotonic()
            status = _reply(site["ports"][n % 2], site["author"], site["thread"], body)
            assert status == 302, status
            assert time.monotonic() - started < 2
    finally:
        site["redis"].start()
    replies = _replies_in_database(site)
    assert [body for _, body in replies][-2:] == bodies  # saved, although Redis was down
    caught_up = _run(_catch_up(site, since))
    # On both processes: exactly what the database has after ``since``, in order, once.
    assert caught_up == [[pk for pk, _ in replies]] * 2
