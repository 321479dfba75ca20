"""Benchmark: one live round for 1,000 readers, in-process, without daphne.

Times ``forum.fanout.deliveries_in_category`` (what a thread's listener asks
the database and the renderer when a reply arrives: sessions, members, access,
posts, HTML and encoded frames for every socket) on the board that
``bench/live_fanout.py`` leaves in ``var/bench/live-fanout/`` (run it first),
for up to ``--readers`` of its members, every one a reply behind.

    .venv/bin/python bench/live_fanout.py --members 1000 --layers memory --two-process "" --replies 1
    .venv/bin/python bench/live_round.py
    (cd <a checkout of another commit> && <this venv>/bin/python bench/live_round.py --var-dir <same dir>)

Prints the round's p50, min and max over ``--rounds`` (wall and CPU time) and its query count.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--var-dir", type=Path, default=ROOT / "var" / "bench" / "live-fanout")
    parser.add_argument("--readers", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args(argv)
    os.environ.update(DJANGO_SETTINGS_MODULE="bench.settings", CONNECT_VAR_DIR=str(args.var_dir))
    os.environ.pop("DATABASE_URL", None)
    os.environ.pop("REDIS_URL", None)
    import django

    django.setup()
    from django.contrib.sessions.backends.db import SessionStore
    from django.contrib.sessions.models import Session
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from forum import fanout
    from forum.models import Thread

    thread = Thread.objects.order_by("-pk").first()
    pairs = []
    now = time.time()
    for session in Session.objects.all():
        user_id = session.get_decoded().get("_auth_user_id")
        if user_id:
            # Seen just now, as a reader's page keeps its session: an idle one
            # is refused before any rendering and would time nothing.
            store = SessionStore(session_key=session.session_key)
            store["connect_started"] = store["connect_last_seen"] = now
            store.save()
            pairs.append((int(user_id), session.session_key))
    requests = [(uid, key, thread.event_seq - 1) for uid, key in pairs[: args.readers]]
    fanout.deliveries_in_category(thread.pk, requests)  # the first round fills what later rounds keep
    times, cpu = [], []
    for _ in range(args.rounds):
        started, started_cpu = time.perf_counter(), time.process_time()
        fanout.deliveries_in_category(thread.pk, requests)
        times.append((time.perf_counter() - started) * 1000)
        # CPU time is what a loaded machine disturbs least: compare it.
        cpu.append((time.process_time() - started_cpu) * 1000)
    with CaptureQueriesContext(connection) as queries:
        results = fanout.deliveries_in_category(thread.pk, requests)
    refused = sum(1 for status, *_rest in results.values() if status != fanout.OK)
    if refused:
        raise SystemExit(f"{refused} readers were refused: the round timed would not be a delivery")
    print(
        f"{len(requests)} readers: round p50 {statistics.median(times):.1f} ms, "
        f"min {min(times):.1f}, max {max(times):.1f}; CPU p50 {statistics.median(cpu):.1f} ms, "
        f"min {min(cpu):.1f}; {len(queries)} queries (load average {os.getloadavg()[0]:.2f})"
    )


if __name__ == "__main__":
    main()
