"""Benchmark: replies at a steady offered rate on two daphne processes against
PostgreSQL, with searches running, and whether every saved reply reaches the
search index.

1. Creates (or, with ``--reuse``, keeps) its own PostgreSQL database
   ``connect_bench_load`` on 127.0.0.1:5432 (``--database-url`` for another
   server), migrates it and fills it with ``--posts`` posts by bulk insert
   (default 2,000; ``--posts 200000`` for the full figure).
2. Starts two daphne processes on loopback ports and ``--workers`` task
   workers (``manage.py db_worker``), all with ``bench.settings`` (the real
   middleware stack, DEBUG off, durable tasks) and one search index of their
   own under ``var/bench/``.
3. Baseline: a trivial members-only POST (``/bench/trivial/``, behind the
   same session, CSRF, allauth and members-only middleware) at the offered
   rate for a third of the duration.
4. Load: signed-in members post replies at ``--rate`` per second (open loop:
   a request is sent on schedule whether or not the earlier ones answered)
   for ``--duration`` seconds, spread over ``--threads`` threads, one in five
   mentioning a colleague, while ``--search-rate`` searches per second run.
5. Reports achieved replies/s, latency p50/p95/max, errors (5xx and others),
   lock errors in the servers' and workers' logs, and how many saved replies
   are still missing from the search index ``--settle`` seconds after the
   load stopped (must be 0).

    .venv/bin/python bench/reply_load.py                     # 20/s for 60 s, 2,000 posts
    .venv/bin/python bench/reply_load.py --posts 200000      # the full data set
    .venv/bin/python bench/reply_load.py --duration 20 --reuse

Exits non-zero when a reply was lost (not saved although answered as saved,
or not indexed in time) or a request answered 5xx.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
VAR = ROOT / "var" / "bench" / "reply-load"
CSRF = "b" * 32  # a CSRF secret of our own, carried by the cookie and the header
LOCK_ERRORS = re.compile(
    r"LockError|database is locked|deadlock detected|could not obtain lock|lock timeout|"
    r"WRITELOCK|LockNotAvailable|could not serialize",
    re.IGNORECASE,
)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--posts", type=int, default=2000, help="posts in the database before the run")
    parser.add_argument("--rate", type=float, default=20.0, help="replies offered per second")
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of load")
    parser.add_argument("--search-rate", type=float, default=2.0, help="searches per second during the load")
    parser.add_argument("--threads", type=int, default=50, help="threads the replies go to")
    parser.add_argument("--servers", type=int, default=2, help="daphne processes")
    parser.add_argument("--workers", type=int, default=2, help="db_worker processes")
    parser.add_argument(
        "--settle", type=float, default=60.0, help="seconds allowed for the index to catch up"
    )
    parser.add_argument(
        "--conn-max-age",
        type=int,
        default=0,
        help="DATABASE_CONN_MAX_AGE for the servers and workers (under daphne each request runs in a "
        "thread of its own, so persistent connections pile up: see docs/deployment.md)",
    )
    parser.add_argument(
        "--pool",
        type=int,
        default=20,
        help="DATABASE_POOL_MAX_SIZE of each daphne process (0: a connection per request in flight)",
    )
    parser.add_argument("--reuse", action="store_true", help="keep an existing filled bench database")
    parser.add_argument(
        "--database-url",
        default=os.environ.get(
            "BENCH_LOAD_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/connect_bench_load"
        ),
    )
    parser.add_argument("--var-dir", type=Path, default=VAR, help="logs and the search index")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON on the last line")
    args, _unknown = parser.parse_known_args(argv)  # run_all.py passes other benchmarks' options
    return args


def environment(args):
    return {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "CONNECT_VAR_DIR": str(VAR),
        "DATABASE_URL": args.database_url,
        "DATABASE_CONN_MAX_AGE": str(args.conn_max_age),
        "DATABASE_POOL_MAX_SIZE": str(args.pool),
        "CONNECT_SEARCH_INDEX_DIR": str(VAR / "search-index"),
        "BENCH_POSTING_UNLIMITED": "1",
    }


def ensure_database(url, *, fresh):
    import psycopg

    parts = urllib.parse.urlsplit(url)
    name = parts.path.lstrip("/")
    admin = urllib.parse.urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and fresh:
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            exists = None
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')
    return not exists


def prepare(args):
    """Migrate and fill the bench database; return (thread ids, member ids)."""
    os.environ.update(environment(args))
    import django

    django.setup()
    from django.core.management import call_command

    from bench.forum_thread_page import existing, fill

    call_command("migrate", verbosity=0, interactive=False)
    if not (args.reuse and existing()):
        fill(args.posts / 200_000)
    from connect.models import User
    from forum.models import Thread

    threads = list(
        Thread.objects.filter(title__startswith="Bench thread ", category__allowed_disciplines=[])
        .order_by("pk")
        .values_list("pk", flat=True)[: args.threads]
    )
    members = list(
        User.objects.filter(email__endswith="@bench.example").order_by("pk").values_list("pk", flat=True)
    )
    from django_tasks_db.models import DBTaskResult

    DBTaskResult.objects.all().delete()  # the fill's own rows, if any: only this run's work is measured
    return threads, members


def start(cmd, env, log):
    return subprocess.Popen(
        cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )


def wait_healthy(port, deadline):
    while time.time() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            conn.getresponse().read()
            return True
        except OSError:
            time.sleep(0.3)
    return False


def request(port, method, path, cookie, data=None, timeout=60):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    headers = {"Cookie": cookie, "Host": "127.0.0.1", "X-CSRFToken": CSRF}
    body = None
    if data is not None:
        body = urllib.parse.urlencode(data)
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    started = time.perf_counter()
    try:
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        response.read()
        return response.status, time.perf_counter() - started
    except (OSError, http.client.HTTPException):
        return -1, time.perf_counter() - started
    finally:
        conn.close()


def open_loop(rate, duration, send, pool):
    """Call ``send(i)`` ``rate`` times a second for ``duration`` seconds on schedule."""
    futures = []
    count = int(rate * duration)
    began = time.perf_counter()
    for i in range(count):
        due = began + i / rate
        pause = due - time.perf_counter()
        if pause > 0:
            time.sleep(pause)
        futures.append(pool.submit(send, i))
    results = [f.result() for f in futures]
    return results, time.perf_counter() - began


def summarize(results, elapsed):
    ok = [lat for status, lat in results if 200 <= status < 400]
    latencies = sorted(lat for _status, lat in results)
    return {
        "sent": len(results),
        "ok": len(ok),
        "per_second": round(len(ok) / elapsed, 2) if elapsed else 0.0,
        "p50_ms": round(statistics.median(latencies) * 1000, 1) if latencies else None,
        "p95_ms": round(latencies[int(0.95 * (len(latencies) - 1))] * 1000, 1) if latencies else None,
        "max_ms": round(latencies[-1] * 1000, 1) if latencies else None,
        "errors_5xx": sum(1 for status, _ in results if status >= 500),
        "errors_other": sum(1 for status, _ in results if status < 200 or 400 <= status < 500),
    }


def missing_from_index(run_word):
    """Saved replies of this run that a search of the index does not find."""
    from modelsearch.backends import get_search_backend

    from forum.models import Post

    saved = set(Post.objects.filter(submission_token__startswith=run_word).values_list("pk", flat=True))
    found = {post.pk for post in get_search_backend().search(run_word, Post)[: len(saved) + 100]}
    return saved, saved - found


def run(args):
    VAR.mkdir(parents=True, exist_ok=True)
    created = ensure_database(args.database_url, fresh=not args.reuse)
    shutil.rmtree(VAR / "search-index", ignore_errors=True)
    thread_ids, member_ids = prepare(args)
    from django.db import connection

    from bench.forum_thread_page import session_cookie

    cookies = [f"{session_cookie(pk)}; csrftoken={CSRF}" for pk in member_ids]
    connection.close()
    env = environment(args)
    logs = []
    procs = []
    ports = []
    try:
        for n in range(args.servers):
            port = _free_port()
            log = open(VAR / f"daphne-{n}.log", "w+b")  # noqa: SIM115 - closed below
            logs.append(log)
            procs.append(
                start(
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
                    env,
                    log,
                )
            )
            ports.append(port)
        for n in range(args.workers):
            log = open(VAR / f"worker-{n}.log", "w+b")  # noqa: SIM115 - closed below
            logs.append(log)
            procs.append(
                start(
                    [sys.executable, "manage.py", "db_worker", "--interval", "0.2", "--no-reload", "-v", "1"],
                    env,
                    log,
                )
            )
        deadline = time.time() + 180
        if not all(wait_healthy(port, deadline) for port in ports):
            raise SystemExit("daphne did not start; see " + str(VAR))

        run_word = "lr" + uuid.uuid4().hex[:10]
        pool = ThreadPoolExecutor(max_workers=200)

        def trivial(i):
            return request(
                ports[i % len(ports)], "POST", "/bench/trivial/", cookies[i % len(cookies)], {"n": i}
            )

        def reply(i):
            mention = f" cc @bench.{(i * 7) % len(member_ids)}" if i % 5 == 0 else ""
            body = f"Intake follow-up {i} for {run_word}: referral confirmed with the shelter.{mention}"
            data = {"body": body, "submission_token": f"{run_word}-{i}"}
            thread = thread_ids[(i * 31) % len(thread_ids)]
            return request(
                ports[i % len(ports)],
                "POST",
                f"/discussions/t/{thread}/reply/",
                cookies[i % len(cookies)],
                data,
            )

        searching = threading.Event()
        search_results = []

        def search_loop():
            i = 0
            words = ["screening", "referral", "shelter intake", "debt bondage", "protocol"]
            while not searching.is_set():
                path = "/search/?" + urllib.parse.urlencode({"q": words[i % len(words)]})
                search_results.append(request(ports[i % len(ports)], "GET", path, cookies[i % len(cookies)]))
                i += 1
                searching.wait(1 / args.search_rate)

        # Warm up: each server answers both kinds once.
        for port in ports:
            request(port, "GET", "/search/?q=warm", cookies[0])

        baseline, baseline_elapsed = open_loop(args.rate, max(5.0, args.duration / 3), trivial, pool)
        searcher = threading.Thread(target=search_loop, daemon=True)
        searcher.start()
        replies, replies_elapsed = open_loop(args.rate, args.duration, reply, pool)
        searching.set()
        searcher.join(timeout=70)
        load_stopped = time.perf_counter()
        pool.shutdown(wait=True)

        from forum.models import Post

        answered_ok = {f"{run_word}-{i}" for i, (status, _) in enumerate(replies) if 200 <= status < 400}
        saved_tokens = set(
            Post.objects.filter(submission_token__startswith=run_word).values_list(
                "submission_token", flat=True
            )
        )
        settle_deadline = load_stopped + args.settle
        while True:
            saved, missing = missing_from_index(run_word)
            if not missing or time.perf_counter() > settle_deadline:
                break
            time.sleep(2)
        index_caught_up_s = round(time.perf_counter() - load_stopped, 1)
        connection.close()
    finally:
        for proc in procs:
            try:
                os.killpg(proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        for proc in procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
    log_text = ""
    for log in logs:
        log.flush()
        log.seek(0)
        log_text += log.read().decode("utf8", errors="replace")
        log.close()
    figures = {
        "posts_before": args.posts,
        "conn_max_age": args.conn_max_age,
        "pool": args.pool,
        "database_created": created,
        "servers": args.servers,
        "workers": args.workers,
        "offered_per_second": args.rate,
        "duration_s": args.duration,
        "baseline_trivial_post": summarize(baseline, baseline_elapsed),
        "replies": summarize(replies, replies_elapsed),
        "searches": summarize(search_results, replies_elapsed),
        "replies_saved": len(saved_tokens),
        "answered_saved_but_missing": len(answered_ok - saved_tokens),
        "not_indexed_after_settle": len(missing),
        "settle_s": args.settle,
        "index_caught_up_after_s": index_caught_up_s,
        "lock_errors_in_logs": len(LOCK_ERRORS.findall(log_text)),
        "tracebacks_in_logs": log_text.count("Traceback (most recent call last)"),
    }
    return figures


def _free_port():
    from bench.forum_thread_page import free_port

    return free_port()


def report(figures):
    b, r, s = figures["baseline_trivial_post"], figures["replies"], figures["searches"]
    print(
        f"\n{figures['servers']} daphne + {figures['workers']} worker(s), PostgreSQL, "
        f"{figures['posts_before']:,} posts, offered {figures['offered_per_second']:g}/s "
        f"for {figures['duration_s']:g}s"
    )
    header = ("sent", "ok", "per s", "p50 ms", "p95 ms", "max ms", "5xx", "other")
    print(f"{'':<22}" + "".join(f"{h:>8}" for h in header))
    for name, x in (("baseline trivial POST", b), ("replies", r), ("searches", s)):
        print(
            f"{name:<22}{x['sent']:>8}{x['ok']:>8}{x['per_second']:>8}{x['p50_ms']!s:>8}{x['p95_ms']!s:>8}"
            f"{x['max_ms']!s:>8}{x['errors_5xx']:>8}{x['errors_other']:>8}"
        )
    print(
        f"replies saved {figures['replies_saved']}; answered as saved but missing "
        f"{figures['answered_saved_but_missing']}; not in the search index after "
        f"{figures['settle_s']:g}s: {figures['not_indexed_after_settle']} "
        f"(index caught up {figures['index_caught_up_after_s']}s after the load)"
    )
    ratio = f"{r['per_second'] / b['per_second']:.0%}" if b["per_second"] else "n/a"
    print(
        f"lock errors in logs: {figures['lock_errors_in_logs']}; "
        f"tracebacks: {figures['tracebacks_in_logs']}; replies/s vs baseline POST/s: {ratio}"
    )


def main(argv=None):
    global VAR
    args = parse_args(argv)
    VAR = args.var_dir
    figures = run(args)
    report(figures)
    if args.json:
        print(json.dumps(figures))
    lost = figures["answered_saved_but_missing"] + figures["not_indexed_after_settle"]
    return (
        1 if lost or figures["replies"]["errors_5xx"] or figures["baseline_trivial_post"]["errors_5xx"] else 0
    )


if __name__ == "__main__":
    raise SystemExit(main())
