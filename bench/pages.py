"""Benchmark: every member page against a bare Django view, same daphne, same run.

1. Fills the board of bench/forum_thread_page.py (scale 1: 50 categories,
   20,000 threads, 200,000 posts, 500 members) plus the demo site's pages
   (home, spotlights, library), or reuses it with ``--reuse``.
2. Starts one daphne process (bench.asgi: the site as deployed, plus
   ``/bench/bare/``, a view served by a Django handler with no middleware)
   and signs a member in by writing a session.
3. Loads each endpoint with ``--concurrency`` keep-alive clients, in short
   interleaved slices so that other load on the machine falls on all alike:
   the bare view, a trivial view behind the members-only stack, and the
   home page, the discussions index, a category, a thread (20 posts), the
   library, the member directory and the search page.
4. Prints, per endpoint: requests, errors, req/s, p50/p95 latency, daphne's
   CPU time per request (from /proc, user + system, all threads), queries
   per request (asked once, outside the timed load) and the throughput and
   CPU ratios to the bare view.

``--db sqlite --db postgres`` runs the whole thing once per database in one
command (PostgreSQL: ``--pg-url``, default the local server's
``connect_bench_pages`` database, created if missing). PostgreSQL is served
as deployed, through a pool of 20 connections (``DATABASE_POOL_MAX_SIZE``;
``DATABASE_POOL_MAX_SIZE=0`` in the environment measures a connection opened
per request).

    .venv/bin/python bench/pages.py --db sqlite --db postgres --scale 1 --duration 40
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import signal
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PAGES = [
    # name, path (THREAD and CATEGORY filled in), goal as a share of the bare view
    ("bare", "/bench/bare/", None),
    ("trivial", "/bench/trivial/", 2.0),  # CPU at most 2× the bare view's
    ("home", "/", 0.10),
    ("discussions", "/discussions/", 0.10),
    ("category", "/discussions/c/CATEGORY/", 0.10),
    ("thread", "/discussions/t/THREAD/", 0.15),
    ("library", "/resources/", 0.10),
    ("directory", "/members/", 0.10),
    ("search", "/search/?q=screening", 0.10),
]
CLK_TCK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    """User + system CPU of a process (all its threads) from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def prepare(scale, reuse):
    """In this process: migrate, fill (or reuse), seed the demo pages, write a session."""
    from bench.forum_thread_page import existing, fill, session_cookie, setup_django

    setup_django()
    from django.core.management import call_command

    ids = existing() if reuse else None
    if ids is None:
        ids = fill(scale)
        call_command("seed_demo", stdout=open(os.devnull, "w"))  # noqa: SIM115
    thread_id, viewer_id = ids
    give_unread_notifications(thread_id, viewer_id)
    from forum.models import Thread

    category = Thread.objects.select_related("category").get(pk=thread_id).category.slug
    return {"thread": thread_id, "category": category, "cookie": session_cookie(viewer_id)}


def give_unread_notifications(thread_id, viewer_id, n=5):
    """The viewer has a few unread replies, so every page's bell counts for real."""
    from django.contrib.contenttypes.models import ContentType

    from forum.models import Post
    from notifications.models import Notification

    if Notification.objects.filter(recipient_id=viewer_id, read_at__isnull=True).exists():
        return
    post_type = ContentType.objects.get_for_model(Post)
    posts = Post.objects.filter(thread_id=thread_id).order_by("-id")[:n]
    Notification.objects.bulk_create(
        Notification(
            recipient_id=viewer_id,
            kind="reply",
            actor_id=post.author_id,
            target_type=post_type,
            target_id=post.pk,
            url=f"/discussions/p/{post.pk}/",
            message="replied in a thread you watch",
        )
        for post in posts
    )


def start_daphne(port):
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
            "bench.asgi:application",
        ],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
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


def get(port, path, cookie, extra=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    conn.request("GET", path, headers={"Cookie": cookie, "Host": "127.0.0.1", **(extra or {})})
    response = conn.getresponse()
    body = response.read()
    conn.close()
    return response, body


def load(port, path, cookie, duration, concurrency):
    latencies, errors, lock = [], [0], threading.Lock()
    stop_at = time.perf_counter() + duration

    def worker():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
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
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
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
    return latencies, errors[0], time.perf_counter() - started


def run_one(args):
    """One database: prepare, serve, load, return the figures."""
    info = prepare(args.scale, args.reuse)
    from django.db import connection

    connection.close()
    from bench.forum_thread_page import free_port

    port = free_port()
    proc = start_daphne(port)
    pages = [
        (name, path.replace("THREAD", str(info["thread"])).replace("CATEGORY", info["category"]), goal)
        for name, path, goal in PAGES
        if not args.only or name in args.only or name == "bare"
    ]
    stats = {name: {"lat": [], "errors": 0, "elapsed": 0.0, "cpu": 0.0} for name, _, _ in pages}
    try:
        for name, path, _ in pages:  # warm up; every page must answer 200
            response, _ = get(port, path, info["cookie"])
            if response.status != 200:
                raise SystemExit(f"{path} answered {response.status} during warm-up")
            load(port, path, info["cookie"], 1, 2)
            response, _ = get(port, path, info["cookie"], {"X-Bench-Count-Queries": "1"})
            stats[name]["queries"] = int(response.headers.get("X-Bench-Queries", "0"))
        slices = max(1, int(args.duration // 2.5))
        for _ in range(slices):
            for name, path, _ in pages:
                cpu0 = cpu_seconds(proc.pid)
                lat, errors, elapsed = load(
                    port, path, info["cookie"], args.duration / slices, args.concurrency
                )
                stats[name]["cpu"] += cpu_seconds(proc.pid) - cpu0
                stats[name]["lat"] += lat
                stats[name]["errors"] += errors
                stats[name]["elapsed"] += elapsed
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=20)
    rows = []
    for name, path, goal in pages:
        s = stats[name]
        lat = sorted(s["lat"])
        n = len(lat)
        rows.append(
            {
                "name": name,
                "path": path,
                "goal": goal,
                "requests": n,
                "errors": s["errors"],
                "rps": n / s["elapsed"] if s["elapsed"] else 0.0,
                "p50": statistics.median(lat) * 1000 if lat else float("nan"),
                "p95": lat[int(0.95 * (n - 1))] * 1000 if lat else float("nan"),
                "cpu_ms": s["cpu"] * 1000 / n if n else float("nan"),
                "queries": s["queries"],
            }
        )
    return rows


def report(label, rows, args):
    bare = rows[0]
    print(
        f"\n{label}: daphne on loopback, {args.concurrency} clients, {args.duration:.0f}s per page "
        f"in interleaved slices, scale {args.scale}"
    )
    head = f"{'page':<12}{'req':>7}{'err':>5}{'req/s':>9}{'p50 ms':>9}{'p95 ms':>9}{'CPU ms':>9}"
    print(head + f"{'queries':>9}{'÷bare':>8}{'CPU×bare':>10}  goal")
    failed = False
    for r in rows:
        ratio = r["rps"] / bare["rps"] if bare["rps"] else float("nan")
        cpu_ratio = r["cpu_ms"] / bare["cpu_ms"] if bare["cpu_ms"] else float("nan")
        if r["goal"] is None:
            verdict = ""
        elif r["name"] == "trivial":
            # The members-only stack's goal is its cost: at most twice the bare view's CPU.
            ok = cpu_ratio <= 2.0
            failed |= not ok
            verdict = f"CPU ≤ 2× bare {'ok' if ok else 'MISSED'}"
        else:
            ok = ratio >= r["goal"]
            failed |= not ok
            verdict = f"≥ {r['goal']:.0%} {'ok' if ok else 'MISSED'}"
        print(
            f"{r['name']:<12}{r['requests']:>7}{r['errors']:>5}{r['rps']:>9.1f}{r['p50']:>9.1f}{r['p95']:>9.1f}"
            f"{r['cpu_ms']:>9.2f}{r['queries']:>9}{ratio:>8.1%}{cpu_ratio:>10.2f}  {verdict}"
        )
    return failed


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--db", action="append", choices=["sqlite", "postgres"], help="repeatable; default sqlite"
    )
    parser.add_argument("--pg-url", default="postgres://postgres@127.0.0.1:5432/connect_bench_pages")
    parser.add_argument("--scale", type=float, default=1.0, help="1 = 20,000 threads and 200,000 posts")
    parser.add_argument("--reuse", action="store_true", help="keep an existing bench database")
    parser.add_argument("--duration", type=float, default=20.0, help="seconds of load per page")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--only", action="append", help="measure only these pages (and the bare view)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child:
        print(json.dumps(run_one(args)))
        return 0
    failed = False
    for db in args.db or ["sqlite"]:
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "bench.settings"}
        env.pop("DATABASE_URL", None)
        var = ROOT / "var" / f"bench-pages-{db}"
        env["CONNECT_VAR_DIR"] = str(var)
        if db == "postgres":
            env["DATABASE_URL"] = args.pg_url
            # As deployed (docs/deployment.md): a bounded pool of connections
            # per daphne process, not a connection opened per request. Set
            # DATABASE_POOL_MAX_SIZE=0 to measure one connection per request.
            env.setdefault("DATABASE_POOL_MAX_SIZE", "20")
            if not args.reuse:
                reset_postgres(args.pg_url)
        elif not args.reuse:
            for suffix in ("", "-wal", "-shm"):
                (var / f"db.sqlite3{suffix}").unlink(missing_ok=True)
        child = [sys.executable, __file__, "--child", db, *sys.argv[1:]]
        out = subprocess.run(child, env=env, stdout=subprocess.PIPE, text=True, check=True).stdout
        rows = json.loads(out.strip().splitlines()[-1])
        label = "SQLite"
        if db == "postgres":
            pool = int(env["DATABASE_POOL_MAX_SIZE"] or 0)
            label = f"PostgreSQL ({f'a pool of {pool}' if pool else 'a connection per request'})"
        failed |= report(label, rows, args)
    return 1 if failed else 0


def reset_postgres(url):
    """Drop and recreate the bench database (never the site's own)."""
    import psycopg

    base, name = url.rsplit("/", 1)
    assert name.startswith("connect_") and "bench" in name, (
        "the benchmark only drops databases named connect_*bench*"
    )
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


if __name__ == "__main__":
    raise SystemExit(main())
