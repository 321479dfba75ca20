"""Benchmark: one reply fanned out to N members watching the thread live.

For each number of members (``--members``) and each channel layer (``--layers``):

1. Starts daphne (``bench.settings``: the real middleware stack, DEBUG off) on
   a loopback port, with the in-memory layer, or channels-redis's core
   (``RedisChannelLayer``) or pub/sub (``RedisPubSubChannelLayer``) layer on a
   redis-server this script starts itself on a free port. ``--two-process``
   layers also run with two daphne processes sharing that Redis, the members
   split between them and the reply posted through the first.
2. Connects N signed-in members (real sessions, one per member) to one thread
   with the ``websockets`` library, ``--connect-concurrency`` handshakes at a
   time from this one asyncio process, each socket read from its opening (an
   unread socket stops answering daphne's keepalive pings and is closed), and
   measures the server's memory per idle connection (RSS after minus before,
   divided by N).
3. Posts ``--replies`` replies through the reply form over HTTP, one after the
   other, and measures for each the time from sending the form until the last
   member has the ``post.created`` message: p50, p99 and max. Messages lost
   (a member never got a reply's event), repeated or out of order are counted,
   and the sockets the server closed during the run, by close code.
4. The floor, same run, same clients: a bare ``websockets`` broadcast server
   (in its own process) sending a message of the same size to the same number
   of clients, and each channel layer's own group delivery to N channels
   without WebSockets.

    .venv/bin/python bench/live_fanout.py                          # 100 and 1,000 members
    .venv/bin/python bench/live_fanout.py --members 100,1000,2000 --replies 20
    .venv/bin/python bench/live_fanout.py --members 1000 --layers memory,pubsub --two-process pubsub
    .venv/bin/python bench/live_fanout.py --quick                   # seconds, for CI

The floor is measured first, so each configuration's row is printed (and
``--out``, a JSON file, rewritten) as soon as that configuration is done: a
long run that is stopped still leaves every figure it measured.

Exits non-zero when a message was lost, repeated or out of order.
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import textwrap
import time
import urllib.parse
from datetime import UTC
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
VAR = ROOT / "var" / "bench" / "live-fanout"
CSRF = "c" * 32  # a CSRF secret of our own, carried by the cookie and the header

BARE_SERVER = textwrap.dedent(
    """
    import asyncio, json, sys
    from websockets.asyncio.server import serve, broadcast

    clients = set()

    async def handler(ws):
        clients.add(ws)
        try:
            async for frame in ws:
                order = json.loads(frame)
                payload = json.dumps({"type": "post.created", "sequence": order["sequence"],
                                      "posts": {"1": "x" * order["size"]}})
                broadcast([c for c in clients if c is not ws], payload)
        finally:
            clients.discard(ws)

    async def main():
        async with serve(handler, "127.0.0.1", int(sys.argv[1]), compression=None,
                         ping_interval=None, max_size=2**20):
            print("ready", flush=True)
            await asyncio.Future()

    asyncio.run(main())
    """
)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--members", default="100,1000", help="comma-separated numbers of members")
    parser.add_argument("--layers", default="memory,core,pubsub", help="memory, core, pubsub")
    parser.add_argument(
        "--two-process", default="core,pubsub", help="Redis layers also run with two daphne processes"
    )
    parser.add_argument("--replies", type=int, default=20, help="replies per configuration")
    parser.add_argument(
        "--timeout", type=float, default=15.0, help="seconds to wait for one reply's delivery"
    )
    parser.add_argument("--quick", action="store_true", help="20 members, 5 replies, memory and pubsub")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON on the last line")
    parser.add_argument(
        "--connect-concurrency", type=int, default=200, help="WebSocket handshakes in flight at once"
    )
    parser.add_argument(
        "--out", type=Path, default=None, help="JSON results, rewritten after each configuration"
    )
    parser.add_argument("--var-dir", type=Path, default=VAR)
    parser.add_argument(
        "--tracemalloc",
        action="store_true",
        help="trace daphne's allocations (slower) and print what the idle connections hold, by line",
    )
    args, _unknown = parser.parse_known_args(argv)  # run_all.py passes other benchmarks' options
    if args.quick:
        args.members, args.replies, args.layers, args.two_process = "20", 5, "memory,pubsub", "pubsub"
    args.members = [int(n) for n in str(args.members).split(",") if n]
    args.layers = [x for x in args.layers.split(",") if x]
    args.two_process = [x for x in args.two_process.split(",") if x]
    return args


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def percentile(values, p):
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))]


# --- Data ----------------------------------------------------------------------------


def environment(args):
    return {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "CONNECT_VAR_DIR": str(args.var_dir),
        "BENCH_POSTING_UNLIMITED": "1",
    }


def prepare(args, count):
    """A fresh SQLite board with ``count`` members and one thread; returns
    (thread id, the poster's cookie, the members' cookies)."""
    if args.var_dir.exists():
        shutil.rmtree(args.var_dir)
    args.var_dir.mkdir(parents=True)
    env = environment(args)
    env.pop("DATABASE_URL", None)
    env.pop("REDIS_URL", None)
    os.environ.clear()
    os.environ.update(env)
    import django

    django.setup()
    from allauth.account.models import EmailAddress
    from allauth.mfa.models import Authenticator
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.auth.models import Group
    from django.contrib.sessions.backends.db import SessionStore
    from django.contrib.sessions.models import Session
    from django.core.management import call_command
    from django.db import transaction
    from django.utils import timezone
    from django.utils.crypto import get_random_string

    from connect.models import Discipline, MemberProfile, Role, TaskForce, User
    from forum import services
    from forum.models import Category

    call_command("migrate", verbosity=0, interactive=False)
    with transaction.atomic():
        task_force = TaskForce.objects.create(
            slug="fanout-county", name="Fan-out County Task Force", jurisdiction="Fan-out County", state="OH"
        )
        group = Group.objects.get(name=Role.MEMBER)
        User.objects.bulk_create(
            User(email=f"live{i}@bench.example", first_name=f"Live{i}", last_name="Reader", password="!")
            for i in range(count + 1)
        )
        users = list(User.objects.filter(email__endswith="@bench.example").order_by("pk"))
        EmailAddress.objects.bulk_create(
            EmailAddress(user=u, email=u.email, verified=True, primary=True) for u in users
        )
        User.groups.through.objects.bulk_create(
            User.groups.through(user_id=u.pk, group_id=group.pk) for u in users
        )
        disciplines = [d for d, _ in Discipline.choices]
        MemberProfile.objects.bulk_create(
            MemberProfile(
                user=u,
                display_name=f"Live Reader {i}",
                task_force=task_force,
                discipline=disciplines[i % len(disciplines)],
                agency="Bench agency",
            )
            for i, u in enumerate(users)
        )
        Authenticator.objects.bulk_create(
            Authenticator(user=u, type=Authenticator.Type.TOTP, data={"secret": "bench"}) for u in users
        )
        category = Category.objects.create(name="Fan-out category", slug="fan-out")
    poster = users[0]
    thread = services.thread_create(
        author=poster, category=category, title="Live fan-out thread", body="Who covers intake tonight?"
    )
    now = time.time()
    store = SessionStore()
    sessions = []
    for user in users:
        data = {
            SESSION_KEY: str(user.pk),
            BACKEND_SESSION_KEY: settings.AUTHENTICATION_BACKENDS[0],
            HASH_SESSION_KEY: user.get_session_auth_hash(),
            "connect_started": now,
            "connect_last_seen": now,
        }
        key = get_random_string(32, "abcdefghijklmnopqrstuvwxyz0123456789")
        sessions.append(
            Session(
                session_key=key,
                session_data=store.encode(data),
                expire_date=timezone.now() + timezone.timedelta(hours=12),
            )
        )
    Session.objects.bulk_create(sessions)
    cookies = [f"{settings.SESSION_COOKIE_NAME}={s.session_key}; csrftoken={CSRF}" for s in sessions]
    from django.db import connections

    connections.close_all()
    return thread.pk, cookies[0], cookies[1:]


# --- Servers -------------------------------------------------------------------------


class Redis:
    def __init__(self, directory):
        self.port = free_port()
        self.proc = subprocess.Popen(
            [
                *("redis-server", "--port", str(self.port), "--bind", "127.0.0.1"),
                *("--save", "", "--appendonly", "no", "--dir", str(directory)),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.time() + 10
        while time.time() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as sock:
                    sock.sendall(b"PING\r\n")
                    if sock.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                time.sleep(0.05)
        raise SystemExit("redis-server did not start")

    @property
    def url(self):
        return f"redis://127.0.0.1:{self.port}/0"

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=10)


def start_daphne(args, layer, redis, prefix, log):
    port = free_port()
    env = environment(args)
    env.pop("DATABASE_URL", None)
    env.pop("REDIS_URL", None)
    if args.tracemalloc:
        env["BENCH_TRACEMALLOC"] = str(args.var_dir / "tracemalloc.txt")
    if layer != "memory":
        env.update({"REDIS_URL": redis.url, "CONNECT_CHANNEL_LAYER": layer, "CHANNEL_PREFIX": prefix})
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "daphne",
            # A listen backlog for a thousand members arriving at once (twisted's
            # default is 50), and time for the application to accept them.
            "-e",
            f"tcp:port={port}:interface=127.0.0.1:backlog=1024",
            "--websocket_connect_timeout",
            "60",
            "-v",
            "0",
            "connect.asgi:application",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            conn.getresponse().read()
            return proc, port
        except OSError:
            time.sleep(0.3)
    proc.kill()
    raise SystemExit("daphne did not start")


def stop(proc):
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


def post_reply(port, cookie, thread_id, n):
    body = urllib.parse.urlencode(
        {
            "body": f"Intake update {n}: the shelter has two beds tonight.",
            "submission_token": f"fanout-{time.time()}-{n}",
        }
    )
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {
        "Cookie": cookie,
        "Host": "127.0.0.1",
        "X-CSRFToken": CSRF,
        "Content-Type": "application/x-www-form-urlencoded",
    }
    started = time.time()
    conn.request("POST", f"/discussions/t/{thread_id}/reply/", body=body, headers=headers)
    response = conn.getresponse()
    response.read()
    conn.close()
    return response.status, time.time() - started


# --- Clients -------------------------------------------------------------------------


class Clients:
    """N WebSocket clients; records when each receives each sequence."""

    def __init__(self):
        self.sockets = []
        self.tasks = []
        self.arrivals = {}  # sequence -> list of arrival times
        self.expected = 0
        self.done = {}  # sequence -> asyncio.Event, set when every client has it
        self.repeated = 0
        self.out_of_order = 0
        self.ready = 0
        self.size = 0
        self.dropped = {}  # close code -> sockets closed before the bench closed them
        self.closing = False

    async def open(self, urls, cookies, origins, concurrency=200):
        from websockets.asyncio.client import connect
        from websockets.exceptions import InvalidHandshake, InvalidMessage

        # Many handshakes in flight at once (daphne runs with a large backlog and
        # handshake timeout, see start_daphne); a refused one is retried.
        limit = asyncio.Semaphore(concurrency)

        async def one(i):
            async with limit:
                for attempt in range(30):
                    try:
                        ws = await connect(
                            urls[i % len(urls)],
                            origin=origins[i % len(origins)],
                            additional_headers={"Cookie": cookies[i]},
                            compression=None,
                            proxy=None,
                            ping_interval=None,
                            max_size=2**20,
                            open_timeout=60,
                        )
                    except (OSError, InvalidHandshake, InvalidMessage, TimeoutError):
                        await asyncio.sleep(min(2.0, 0.2 * (attempt + 1)))
                        continue
                    # Read from the first frame on, as a browser does: a socket
                    # left unread fills its queue (ready, presence lists), stops
                    # answering the server's keepalive pings and is closed by
                    # daphne (ping interval 20 s + timeout 30 s) long before the
                    # last member has connected when the handshakes are slow.
                    self.tasks.append(asyncio.ensure_future(self._read(ws)))
                    return ws
                raise SystemExit("could not connect a client")

        self.expected = len(cookies)
        self.sockets = await asyncio.gather(*(one(i) for i in range(len(cookies))))

    async def _read(self, ws):
        last = None
        seen = set()
        try:
            async for frame in ws:
                if '"post.created"' not in frame[:60]:
                    if '"ready"' in frame[:30]:
                        self.ready += 1
                    continue
                now = time.time()
                sequence = json.loads(frame)["sequence"]
                if sequence in seen:
                    self.repeated += 1
                    continue
                if last is not None and sequence < last:
                    self.out_of_order += 1
                seen.add(sequence)
                last = sequence
                self.size = max(self.size, len(frame))
                times = self.arrivals.setdefault(sequence, [])
                times.append(now)
                if len(times) == self.expected and sequence in self.done:
                    self.done[sequence].set()
        except Exception:  # noqa: BLE001 - a dropped client shows up as lost messages
            pass
        if not self.closing:
            # The server closed it (or the connection broke) while the bench was
            # still measuring: every reply after this counts as lost.
            code = ws.close_code if ws.close_code is not None else "none"
            self.dropped[code] = self.dropped.get(code, 0) + 1

    async def wait_for(self, sequence, timeout):
        event = self.done.setdefault(sequence, asyncio.Event())
        if len(self.arrivals.get(sequence, ())) == self.expected:
            event.set()
        try:
            await asyncio.wait_for(event.wait(), timeout)
        except TimeoutError:
            pass
        return self.arrivals.get(sequence, [])

    def lost(self, sequences):
        return sum(self.expected - len(self.arrivals.get(s, ())) for s in sequences)

    async def close(self):
        self.closing = True
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*(ws.close() for ws in self.sockets), return_exceptions=True)


def event_times(args, thread_id):
    """When each of the thread's events was stored (its row's ``created_at``): the
    moment the reply existed, read straight from the bench database."""
    import sqlite3
    from datetime import datetime

    with sqlite3.connect(args.var_dir / "db.sqlite3") as db:
        rows = db.execute(
            "SELECT sequence, created_at FROM forum_threadevent WHERE thread_id = ?", [thread_id]
        ).fetchall()
    out = {}
    for sequence, created in rows:
        stamp = datetime.fromisoformat(str(created))
        if stamp.tzinfo is None:
            stamp = stamp.replace(tzinfo=UTC)
        out[sequence] = stamp.timestamp()
    return out


def summary(times, lost, clients):
    ms = [t * 1000 for t in times]
    return {
        "p50": statistics.median(ms) if ms else float("nan"),
        "p99": percentile(ms, 99),
        "max": max(ms) if ms else float("nan"),
        "lost": lost,
        "repeated": clients.repeated,
        "out_of_order": clients.out_of_order,
        "dropped": dict(clients.dropped),
    }


async def run_daphne(args, layer, processes, count, thread_id, poster, cookies, redis, logs):
    prefix = f"fanout{int(time.time() * 1000) % 10**9}"
    servers = [start_daphne(args, layer, redis, prefix, logs) for _ in range(processes)]
    try:
        ports = [port for _, port in servers]
        # Warm each server: the thread page once, so imports and caches are done.
        for port in ports:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            conn.request(
                "GET", f"/discussions/t/{thread_id}/", headers={"Cookie": poster, "Host": "127.0.0.1"}
            )
            conn.getresponse().read()
        await asyncio.sleep(1)
        traced = args.var_dir / "tracemalloc.txt"
        if args.tracemalloc:
            go = Path(f"{traced}.go")
            go.touch()
            while go.exists():
                await asyncio.sleep(0.2)
        before = [rss_kib(proc.pid) for proc, _ in servers]
        clients = Clients()
        urls = [f"ws://127.0.0.1:{port}/ws/threads/{thread_id}/" for port in ports]
        origins = [f"http://127.0.0.1:{port}" for port in ports]
        started = time.time()
        await clients.open(urls, cookies[:count], origins, args.connect_concurrency)
        deadline = time.time() + 120
        while clients.ready < count and time.time() < deadline:
            await asyncio.sleep(0.1)
        connect_seconds = time.time() - started
        await asyncio.sleep(3)  # idle: presence settles
        after = [rss_kib(proc.pid) for proc, _ in servers]
        per_connection = (sum(after) - sum(before)) / count
        if args.tracemalloc:
            go.touch()
            while go.exists():
                await asyncio.sleep(0.2)
            members = count // processes
            print(
                f"  idle connections of one daphne, traced ({members} members), bytes per connection by line:"
            )
            for line in traced.read_text().splitlines()[:25]:
                size, number, where = line.split("\t")
                print(
                    f"  {int(size) / members:9.0f} B {int(number) / members:6.1f} blocks  {where}", flush=True
                )

        loop = asyncio.get_running_loop()
        base = None
        end_to_end = []
        times, posts, sequences, last_arrivals = [], [], [], {}
        for n in range(args.replies):
            sent = time.time()
            status, seconds = await loop.run_in_executor(None, post_reply, ports[0], poster, thread_id, n)
            posts.append(seconds * 1000)
            if status != 302:
                print(f"  reply {n} answered {status}", flush=True)
            if base is None:
                # The first reply's sequence: the one every client got first, or, if none, wait.
                await asyncio.sleep(0)
                for _ in range(int(args.timeout * 10)):
                    if clients.arrivals:
                        break
                    await asyncio.sleep(0.1)
                base = min(clients.arrivals) if clients.arrivals else 0
            sequence = base + n
            sequences.append(sequence)
            arrivals = await clients.wait_for(sequence, args.timeout)
            if arrivals:
                end_to_end.append(max(arrivals) - sent)
                last_arrivals[sequence] = max(arrivals)
            await asyncio.sleep(0.05)
        await asyncio.sleep(1)
        stored = await loop.run_in_executor(None, event_times, args, thread_id)
        times = [last - stored[s] for s, last in last_arrivals.items() if s in stored]
        result = summary(times, clients.lost(sequences), clients)
        result.update(
            end_to_end_p50=statistics.median(end_to_end) * 1000 if end_to_end else float("nan"),
            kib_per_connection=per_connection,
            post_p50=statistics.median(posts),
            connect_seconds=connect_seconds,
            size=clients.size,
        )
        await clients.close()
        return result
    finally:
        for proc, _ in servers:
            stop(proc)


async def run_bare(args, count, size, cookies):
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-c", BARE_SERVER, str(port)],
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        proc.stdout.readline()
        from websockets.asyncio.client import connect

        clients = Clients()
        url = f"ws://127.0.0.1:{port}/"
        started = time.time()
        await clients.open([url], cookies[:count], [f"http://127.0.0.1:{port}"], args.connect_concurrency)
        connect_seconds = time.time() - started
        control = await connect(url, compression=None, proxy=None, ping_interval=None)
        await asyncio.sleep(1)
        before_rss = rss_kib(proc.pid)
        times, sequences = [], []
        for n in range(args.replies):
            sent = time.time()
            await control.send(json.dumps({"sequence": n + 1, "size": size}))
            sequences.append(n + 1)
            arrivals = await clients.wait_for(n + 1, args.timeout)
            if arrivals:
                times.append(max(arrivals) - sent)
            await asyncio.sleep(0.05)
        result = summary(times, clients.lost(sequences), clients)
        result["rss_kib"] = before_rss
        result["connect_seconds"] = connect_seconds
        await control.close()
        await clients.close()
        return result
    finally:
        stop(proc)


async def run_layer_only(args, layer, count, redis, size):
    """The channel layer's own group delivery to ``count`` channels in this process."""
    if layer == "memory":
        from connect.channel_layers import SweepingInMemoryChannelLayer

        channel_layer = SweepingInMemoryChannelLayer()
    elif layer == "core":
        from channels_redis.core import RedisChannelLayer

        channel_layer = RedisChannelLayer(
            hosts=[{"address": redis.url, "socket_timeout": 10}], prefix="floor"
        )
    else:
        from channels_redis.pubsub import RedisPubSubChannelLayer

        channel_layer = RedisPubSubChannelLayer(hosts=[{"address": redis.url}], prefix="floor")
    channels = [await channel_layer.new_channel() for _ in range(count)]
    group = f"floor{layer}{count}"
    for name in channels:
        await channel_layer.group_add(group, name)
    got = {}
    done = {}

    async def receive(name):
        while True:
            message = await channel_layer.receive(name)
            times = got.setdefault(message["sequence"], [])
            times.append(time.time())
            if len(times) == count:
                done.setdefault(message["sequence"], asyncio.Event()).set()

    tasks = [asyncio.ensure_future(receive(name)) for name in channels]
    await asyncio.sleep(0.5)
    times, lost = [], 0
    for n in range(args.replies):
        event = done.setdefault(n, asyncio.Event())
        sent = time.time()
        await channel_layer.group_send(group, {"type": "thread.event", "sequence": n, "body": "x" * 100})
        try:
            await asyncio.wait_for(event.wait(), args.timeout)
        except TimeoutError:
            pass
        arrivals = got.get(n, [])
        lost += count - len(arrivals)
        if arrivals:
            times.append(max(arrivals) - sent)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    for name in channels:
        await channel_layer.group_discard(group, name)
    if hasattr(channel_layer, "flush"):
        await channel_layer.flush()
    ms = [t * 1000 for t in times]
    return {"p50": statistics.median(ms), "p99": percentile(ms, 99), "max": max(ms), "lost": lost}


def _load():
    """The load average now, as /proc/loadavg gives it (1, 5 and 15 minutes)."""
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


def _daphne_row(name, r, floor, one):
    extra = ""
    layer = name.split(",")[0]
    if name.endswith("2 daphne") and layer in one:
        extra = f" ({r['p50'] / one[layer]['p50']:.2f}× one daphne)"
    return (
        f"| {name} | {r['p50']:.1f} | {r['p99']:.1f} | {r['max']:.1f} | {r['lost']} "
        f"| {r['repeated']}/{r['out_of_order']} | {r['kib_per_connection']:.1f} "
        f"| {r['p50'] / floor:.2f}{extra} | {r['end_to_end_p50']:.1f} | {r['connect_seconds']:.0f} "
        f"| {r['load']} |"
    )


async def main_async(args, thread_id, poster, cookies):
    redis = Redis(args.var_dir) if set(args.layers + args.two_process) - {"memory"} else None
    logs = open(args.var_dir / "daphne.log", "ab")
    out = args.out or args.var_dir / "results.json"
    rows = []
    failed = False

    def save():
        out.write_text(json.dumps(rows, indent=1))

    try:
        for count in args.members:
            row = {"members": count, "replies": args.replies, "daphne": [], "layer_only": {}}
            rows.append(row)
            # The message a member gets is about the same size at every count;
            # the bare server sends one as large (a first daphne run would
            # tell the exact size, but the floor comes first so rows print as they finish).
            size = 1900
            print(f"\n{count} members, {args.replies} replies (load average {_load()})", flush=True)
            print(
                "| configuration | p50 ms | p99 ms | max ms | lost | repeated/out of order | KiB/conn "
                "| × bare p50 | form sent → last, p50 ms | connect s | load avg |",
                flush=True,
            )
            print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|", flush=True)
            bare = await run_bare(args, count, size, cookies)
            bare["load"] = _load()
            row["bare"] = bare
            floor = bare["p50"]
            save()
            print(
                f"| bare websockets broadcast | {bare['p50']:.1f} | {bare['p99']:.1f} | {bare['max']:.1f} "
                f"| {bare['lost']} | {bare['repeated']}/{bare['out_of_order']} | | 1.0 | | "
                f"{bare['connect_seconds']:.0f} | {bare['load']} |",
                flush=True,
            )
            failed |= bool(bare["lost"])
            for layer in sorted(set(args.layers + args.two_process)):
                r = await run_layer_only(args, layer, count, redis, size)
                row["layer_only"][layer] = r
                save()
                print(
                    f"| {layer} layer alone, group_send to {count} channels | {r['p50']:.1f} "
                    f"| {r['p99']:.1f} | {r['max']:.1f} | {r['lost']} | | | {r['p50'] / floor:.2f} | | | |",
                    flush=True,
                )
                failed |= bool(r["lost"])
            one = {}
            configurations = [(layer, 1) for layer in args.layers] + [
                (layer, 2) for layer in args.two_process
            ]
            for layer, processes in configurations:
                name = f"{layer}, {processes} daphne"
                r = await run_daphne(args, layer, processes, count, thread_id, poster, cookies, redis, logs)
                r["load"] = _load()
                if processes == 1:
                    one[layer] = r
                row["daphne"].append((name, r))
                save()
                print(_daphne_row(name, r, floor, one), flush=True)
                if r["dropped"]:
                    print(f"  sockets closed during the run, by close code: {r['dropped']}", flush=True)
                failed |= bool(r["lost"] or r["repeated"] or r["out_of_order"])
            if row["daphne"]:
                post = statistics.median(r["post_p50"] for _, r in row["daphne"])
                sizes = {r["size"] for _, r in row["daphne"]}
                print(
                    f"(Daphne rows: from the reply's event row being stored to the last member having it; "
                    f"the reply form itself answered in {post:.0f} ms p50; messages {sorted(sizes)} B, "
                    f"the bare server's {size}. Bare and layer rows: from the send.)",
                    flush=True,
                )
    finally:
        logs.close()
        if redis:
            redis.stop()
    if args.json:
        print(json.dumps(rows))
    return 1 if failed else 0


def main(argv=None):
    args = parse_args(argv)
    prepared = prepare(args, max(args.members))
    return asyncio.run(main_async(args, *prepared))


if __name__ == "__main__":
    sys.exit(main())
