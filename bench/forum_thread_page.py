"""Benchmark: the discussion thread page against a trivial view, same server, same run.

1. Fills a realistic board with bulk inserts (scale 1: 50 categories,
   20,000 threads, 200,000 posts, 500 members, reactions and read markers).
   ``--reuse`` keeps an existing bench database.
2. Starts daphne on loopback (bench.settings: the real middleware stack, DEBUG
   off) and signs a member in by writing a session directly.
3. Loads, for the same duration and concurrency, the thread page of a thread
   with 20 posts (one page) and a trivial members-only view, and prints
   requests per second, p50 and p95 latency of both and the throughput ratio.

    .venv/bin/python bench/forum_thread_page.py --scale 1 --duration 20 --concurrency 8

The goal: the thread page reaches at least 30% of the trivial view's throughput.
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
VAR = ROOT / "var" / "bench"
os.environ.setdefault("CONNECT_VAR_DIR", str(VAR))
os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
VAR.mkdir(parents=True, exist_ok=True)

BODIES = [
    "We screen for **debt bondage** early:\n\n- recruitment fees\n- document retention\n- housing deductions",
    "Agreed. Our MOU covers information sharing with the regional navigators; see section 4.",
    "Has anyone used a *trauma-informed* interview room design?\n\n"
    "> Quoted text from an earlier reply\n\nThanks!",
    "| Step | Owner |\n|---|---|\n| Intake | Advocate |\n| Interview | Detective |",
    "`Case review` meetings are monthly. [Agenda template](https://example.org/agenda).",
]


def setup_django():
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def fill(scale: float, seed: int = 7):
    """Bulk-insert the board. Returns the benchmark thread's id and the viewer's id."""
    from allauth.account.models import EmailAddress
    from allauth.mfa.models import Authenticator
    from django.contrib.auth.models import Group
    from django.db import transaction
    from django.utils import timezone

    from connect.models import Discipline, MemberProfile, Role, TaskForce, User
    from forum.models import Category, MemberHandle, Post, Reaction, Thread, ThreadRead
    from forum.rendering import render_markdown

    rng = random.Random(seed)
    n_categories = max(5, int(50 * scale))
    n_threads = max(50, int(20_000 * scale))
    n_posts = max(500, int(200_000 * scale))
    n_members = max(20, int(500 * scale))
    started = time.perf_counter()
    rendered = [render_markdown(b) for b in BODIES]
    now = timezone.now()
    with transaction.atomic():
        tf, _ = TaskForce.objects.get_or_create(
            slug="bench-county",
            defaults={
                "name": "Bench County Task Force",
                "jurisdiction": "Bench County",
                "state": "OH",
                "region": "midwest",
            },
        )
        members_group = Group.objects.get(name=Role.MEMBER)
        users = User.objects.bulk_create(
            User(email=f"bench{i}@bench.example", first_name=f"Bench{i}", last_name="Member", password="!")
            for i in range(n_members)
        )
        users = list(User.objects.filter(email__endswith="@bench.example").order_by("pk"))
        EmailAddress.objects.bulk_create(
            EmailAddress(user=u, email=u.email, verified=True, primary=True) for u in users
        )
        User.groups.through.objects.bulk_create(
            User.groups.through(user_id=u.pk, group_id=members_group.pk) for u in users
        )
        disciplines = [d for d, _ in Discipline.choices]
        MemberProfile.objects.bulk_create(
            MemberProfile(
                user=u,
                display_name=f"Bench Member {i}",
                task_force=tf,
                discipline=disciplines[i % len(disciplines)],
                agency="Bench agency",
            )
            for i, u in enumerate(users)
        )
        MemberHandle.objects.bulk_create(
            MemberHandle(user=u, handle=f"bench.{i}", handle_lower=f"bench.{i}") for i, u in enumerate(users)
        )
        Authenticator.objects.bulk_create(
            Authenticator(user=u, type=Authenticator.Type.TOTP, data={"secret": "bench"}) for u in users
        )
        categories = Category.objects.bulk_create(
            Category(
                name=f"Bench category {i}",
                slug=f"bench-category-{i}",
                position=1000 + i,
                allowed_disciplines=["law_enforcement"] if i % 10 == 9 else [],
            )
            for i in range(n_categories)
        )
        categories = list(Category.objects.filter(slug__startswith="bench-category-").order_by("pk"))
        open_categories = [c for c in categories if not c.allowed_disciplines]
        threads = Thread.objects.bulk_create(
            Thread(
                category=categories[i % len(categories)] if i else open_categories[0],
                title=f"Bench thread {i}: screening and referral practice",
                author=users[rng.randrange(len(users))],
                created_at=now - timedelta(minutes=n_threads - i),
                last_activity_at=now - timedelta(minutes=n_threads - i),
            )
            for i in range(n_threads)
        )
        threads = list(Thread.objects.filter(title__startswith="Bench thread ").order_by("pk"))
        bench_thread = threads[0]
        # The benchmark thread gets exactly 20 posts (one page) by 20 authors;
        # the rest are spread over the other threads.
        per_thread = {bench_thread.pk: 20}
        remaining = n_posts - 20
        others = threads[1:]
        for i in range(remaining):
            t = others[i % len(others)]
            per_thread[t.pk] = per_thread.get(t.pk, 0) + 1
        batch = []
        for thread in threads:
            for j in range(per_thread.get(thread.pk, 0)):
                k = rng.randrange(len(BODIES))
                author = (
                    users[j % len(users)]
                    if thread.pk == bench_thread.pk
                    else users[rng.randrange(len(users))]
                )
                batch.append(
                    Post(
                        thread=thread,
                        author=author,
                        body=BODIES[k],
                        body_html=rendered[k],
                        created_at=thread.created_at + timedelta(seconds=j),
                    )
                )
            if len(batch) >= 5000:
                Post.objects.bulk_create(batch)
                batch = []
        if batch:
            Post.objects.bulk_create(batch)
        # Counters, first and last posts, set in SQL.
        from django.db.models import Count, Max, Min, OuterRef, Subquery

        stats = Post.objects.filter(thread=OuterRef("pk")).values("thread")
        Thread.objects.filter(pk__in=[t.pk for t in threads]).update(
            first_post_id=Subquery(stats.annotate(m=Min("id")).values("m")[:1]),
            last_post_id=Subquery(stats.annotate(m=Max("id")).values("m")[:1]),
            reply_count=Subquery(stats.annotate(c=Count("id")).values("c")[:1]) - 1,
        )
        bench_posts = list(Post.objects.filter(thread=bench_thread).order_by("id"))
        reactions = []
        for i, post in enumerate(bench_posts):
            for u in users[20 + i : 20 + i + 3]:
                reactions.append(Reaction(post=post, user=u, kind="helpful" if i % 2 else "thanks"))
        sample = (
            Post.objects.order_by("?")[: max(100, n_posts // 10)]
            if n_posts < 50_000
            else Post.objects.filter(
                id__in=[
                    rng.randrange(bench_posts[-1].pk, bench_posts[-1].pk + n_posts - 20)
                    for _ in range(n_posts // 10)
                ]
            )
        )
        for post in sample:
            reactions.append(Reaction(post=post, user=users[rng.randrange(len(users))], kind="helpful"))
        Reaction.objects.bulk_create(reactions, ignore_conflicts=True)
        viewer = users[-1]
        ThreadRead.objects.bulk_create(
            ThreadRead(user=viewer, thread=t, last_read_post_id=0) for t in threads[1 : n_threads // 2]
        )
    print(
        f"Filled {n_categories} categories, {n_threads} threads, {n_posts} posts, {n_members} members "
        f"in {time.perf_counter() - started:.1f}s",
        flush=True,
    )
    return bench_thread.pk, viewer.pk


def existing():
    from connect.models import User
    from forum.models import Thread

    thread = Thread.objects.filter(title__startswith="Bench thread 0:").first()
    viewer = User.objects.filter(email__endswith="@bench.example").order_by("-pk").first()
    if thread is None or viewer is None:
        return None
    return thread.pk, viewer.pk


def session_cookie(user_id):
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    from connect.models import User

    user = User.objects.get(pk=user_id)
    store = SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store["connect_started"] = store["connect_last_seen"] = time.time()
    store.create()
    return f"{settings.SESSION_COOKIE_NAME}={store.session_key}"


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_daphne(port):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "daphne",
            "-b",
            "127.0.0.1",
            "-p",
            str(port),
            "-v",
            "0",
            "connect.asgi:application",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            conn.getresponse().read()
            return proc
        except OSError:
            time.sleep(0.3)
    proc.kill()
    raise SystemExit("daphne did not start")


def load(port, path, cookie, duration, concurrency):
    """Closed-loop load: ``concurrency`` keep-alive clients requesting ``path`` for ``duration`` seconds."""
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    stop_at = time.perf_counter() + duration

    def worker():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine, bad = [], 0
        while time.perf_counter() < stop_at:
            t0 = time.perf_counter()
            try:
                conn.request("GET", path, headers={"Cookie": cookie, "Host": "127.0.0.1"})
                response = conn.getresponse()
                response.read()
                if response.status != 200:
                    bad += 1
            except (OSError, http.client.HTTPException):
                bad += 1
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                continue
            mine.append(time.perf_counter() - t0)
        with lock:
            latencies.extend(mine)
            errors[0] += bad

    started = time.perf_counter()
    workers = [threading.Thread(target=worker) for _ in range(concurrency)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return {"latencies": latencies, "errors": errors[0], "elapsed": time.perf_counter() - started}


def combine(parts):
    latencies = sorted(x for part in parts for x in part["latencies"])
    elapsed = sum(part["elapsed"] for part in parts)
    p95 = latencies[int(0.95 * (len(latencies) - 1))] if latencies else float("nan")
    return {
        "requests": len(latencies),
        "errors": sum(part["errors"] for part in parts),
        "rps": len(latencies) / elapsed,
        "p50_ms": statistics.median(latencies) * 1000 if latencies else float("nan"),
        "p95_ms": p95 * 1000,
    }


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--scale", type=float, default=1.0, help="1 = 20,000 threads and 200,000 posts")
    parser.add_argument("--reuse", action="store_true", help="keep an existing bench database")
    parser.add_argument("--duration", type=float, default=15.0, help="seconds per endpoint")
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()

    if not args.reuse and "DATABASE_URL" not in os.environ:
        for suffix in ("", "-wal", "-shm"):
            (VAR / f"db.sqlite3{suffix}").unlink(missing_ok=True)
    setup_django()
    ids = existing() if args.reuse else None
    if ids is None:
        ids = fill(args.scale)
    thread_id, viewer_id = ids
    cookie = session_cookie(viewer_id)
    from django.db import connection

    connection.close()
    port = free_port()
    proc = start_daphne(port)
    try:
        thread_path = f"/discussions/t/{thread_id}/"
        trivial_path = "/bench/trivial/"
        for path in (thread_path, trivial_path):  # warm up and check both answer 200
            check = load(port, path, cookie, 2, 2)
            if check["errors"]:
                raise SystemExit(f"{path} answered errors during warm-up")
        # Alternate short slices of each so that load from other processes on
        # the machine falls on both views alike.
        slices = max(1, int(args.duration // 2.5))
        raw = {"trivial": [], "thread": []}
        for _ in range(slices):
            for name, path in (("trivial", trivial_path), ("thread", thread_path)):
                raw[name].append(load(port, path, cookie, args.duration / slices, args.concurrency))
        results = {name: combine(parts) for name, parts in raw.items()}
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=20)
    print(
        f"\nthread page {thread_path} (20 posts) vs trivial members-only view, daphne on loopback, "
        f"{args.concurrency} clients, {args.duration:.0f}s each, scale {args.scale}"
    )
    print(f"{'view':<10}{'requests':>10}{'errors':>8}{'req/s':>10}{'p50 ms':>10}{'p95 ms':>10}")
    for name, r in results.items():
        print(
            f"{name:<10}{r['requests']:>10}{r['errors']:>8}{r['rps']:>10.1f}{r['p50_ms']:>10.1f}{r['p95_ms']:>10.1f}"
        )
    ratio = results["thread"]["rps"] / results["trivial"]["rps"]
    print(f"\nratio thread/trivial throughput: {ratio:.1%} (goal: at least 30%)")
    return 0 if ratio >= 0.30 else 1


if __name__ == "__main__":
    raise SystemExit(main())
