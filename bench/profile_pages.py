"""Profile member pages in-process on the data bench/pages.py built.

Runs each page through Django's test client (the whole middleware stack,
``bench.settings``) a few times to warm the caches, then ``--requests``
times under cProfile, and prints the mean wall time per request and the
top functions by cumulative and own time.

    CONNECT_VAR_DIR=var/bench-pages-sqlite DJANGO_SETTINGS_MODULE=bench.settings \\
        .venv/bin/python bench/profile_pages.py --page thread --requests 40
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--page", action="append", help="a name from bench/pages.py PAGES; repeatable")
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--sort", default="cumulative")
    parser.add_argument("--filter", help="only functions whose file matches this regular expression")
    args = parser.parse_args()

    from bench.forum_thread_page import existing, session_cookie, setup_django
    from bench.pages import PAGES

    setup_django()
    from django.conf import settings
    from django.test import Client

    from forum.models import Thread

    ids = existing()
    if ids is None:
        raise SystemExit("no bench data: run bench/pages.py first")
    thread_id, viewer_id = ids
    category = Thread.objects.select_related("category").get(pk=thread_id).category.slug
    cookie = session_cookie(viewer_id)
    client = Client(HTTP_HOST="127.0.0.1")
    client.cookies[settings.SESSION_COOKIE_NAME] = cookie.split("=", 1)[1]
    for name, path, _ in PAGES:
        if name == "bare" or (args.page and name not in args.page):
            continue
        path = path.replace("THREAD", str(thread_id)).replace("CATEGORY", category)
        for _ in range(3):
            response = client.get(path)
            assert response.status_code == 200, (path, response.status_code)
        profiler = cProfile.Profile()
        started = time.perf_counter()
        profiler.enable()
        for _ in range(args.requests):
            client.get(path)
        profiler.disable()
        elapsed = (time.perf_counter() - started) * 1000 / args.requests
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out).sort_stats(args.sort)
        stats.print_stats(args.filter or "", args.top)
        print(f"===== {name} {path}: {elapsed:.1f} ms per request (profiled)")
        print(out.getvalue())


if __name__ == "__main__":
    main()
