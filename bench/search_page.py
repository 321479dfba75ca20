"""Benchmark: the search page against the backend API and a bare Whoosh searcher, same index, same run.

1. Fills its own SQLite database (var/bench-search/) with a deterministic
   board: ``--posts`` posts (default 5,000) in threads of ten, with a
   restricted category, plus resources and members; indexes everything.
2. Runs a fixed mix of queries (common, mid and rare words, several words,
   phrases, exclusions, prefixes, a misspelling, filtered by kind) as a member
   who cannot see the restricted category, each through
   * the search page, rendered in-process through the full middleware stack
     (Django's test client: no socket),
   * the backend API, ``Post.searchable_for(user).search(q)[:20]``,
   * a bare Whoosh searcher kept open over the same index (the floor),
   and prints p50/p95 of each and the page's ratio to the other two, and
   the page's queries per request (each query and filter set once more,
   untimed, counted by bench.querycount).

    .venv/bin/python bench/search_page.py --posts 5000 --repeat 3
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
VAR = ROOT / "var" / "bench-search"

WORDS = (
    "screening referral interview survivor advocate detective prosecutor protocol housing wages "
    "passport recruiter shelter interpreter deconfliction subpoena warrant hotline outreach case "
    "review training consent evidence motel agency labor trafficking victim services coordination "
    "funding grant navigator transport immigration visa continued presence forensic records"
).split()
QUERIES = [
    "trafficking",
    "victim interview",
    "labor trafficking",
    "screening referral",
    '"continued presence"',
    '"victim services"',
    "shelter -motel",
    "visa OR subpoena",
    "decon",
    "interpr",
    "trafficing",
    "forensic records warrant",
    "hotline",
    "navigator grant",
    "kestrelwood",
    "passport recruiter motel",
]
FILTERS = [{}, {"kind": "discussions"}, {"kind": "resources"}, {"sort": "newest"}]


def setup(posts, seed=11, reuse=False, index=True):
    if VAR.exists() and not reuse:
        shutil.rmtree(VAR)
    reuse = reuse and VAR.exists()
    VAR.mkdir(parents=True, exist_ok=True)
    os.environ["CONNECT_VAR_DIR"] = str(VAR)
    os.environ["CONNECT_SEARCH_INDEX_DIR"] = str(VAR / "index")
    os.environ.pop("DATABASE_URL", None)
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    import django

    django.setup()
    from django.conf import settings

    settings.ALLOWED_HOSTS = ["testserver", "127.0.0.1"]
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    if reuse:
        from connect.models import User

        return User.objects.get(email="b0@bench.example")

    from allauth.account.models import EmailAddress
    from allauth.mfa.models import Authenticator
    from django.contrib.auth.models import Group
    from django.db import transaction

    from connect.models import Discipline, MemberProfile, Role, TaskForce, User
    from forum.models import Category, Post, Thread
    from resources.models import ResourceLibraryPage, ResourcePage

    rng = random.Random(seed)

    def text(n):
        return " ".join(rng.choice(WORDS) for _ in range(n)).capitalize() + "."

    with transaction.atomic():
        tf = TaskForce.objects.create(
            name="Bench County Task Force",
            slug="bench",
            jurisdiction="Bench County",
            state="OH",
            region="midwest",
        )
        group = Group.objects.get(name=Role.MEMBER)
        users = []
        for i in range(50):
            user = User.objects.create(
                email=f"b{i}@bench.example", first_name=f"Bench{i}", last_name="Member"
            )
            EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
            user.groups.add(group)
            Authenticator.objects.create(user=user, type=Authenticator.Type.TOTP, data={"secret": "x"})
            MemberProfile.objects.create(
                user=user,
                display_name=f"Bench Member {i}",
                task_force=tf,
                discipline=Discipline.VICTIM_SERVICES if i == 0 else Discipline.LAW_ENFORCEMENT,
                agency="Bench agency",
                bio=text(20),
            )
            users.append(user)
        categories = [
            Category.objects.create(
                name=f"Bench {i}",
                slug=f"bench-{i}",
                allowed_disciplines=["law_enforcement"] if i == 9 else [],
            )
            for i in range(10)
        ]
        # Bulk inserts, a thousand threads (ten thousand posts) at a time;
        # the words are drawn in the same order as one thread at a time
        # would, so a seed gives the same board at any batch size.
        n_threads = max(1, posts // 10)
        inserting = time.perf_counter()
        for start in range(0, n_threads, 1000):
            threads, posts_of = [], []
            for t in range(start, min(n_threads, start + 1000)):
                threads.append(Thread(category=categories[t % 10], title=text(6)[:-1], author=users[t % 50]))
                posts_of.append(
                    [
                        Post(author=users[(t + p) % 50], body=text(rng.randint(20, 90)), body_html="")
                        for p in range(10)
                    ]
                )
            Thread.objects.bulk_create(threads)
            for thread, replies in zip(threads, posts_of, strict=True):
                for post in replies:
                    post.thread = thread
            created = Post.objects.bulk_create(
                [post for replies in posts_of for post in replies], batch_size=2000
            )
            for thread, first in zip(threads, created[::10], strict=True):
                thread.first_post = first
            Thread.objects.bulk_update(threads, ["first_post"], batch_size=500)
        inserted = time.perf_counter() - inserting
        print(f"inserted {n_threads:,} threads and {10 * n_threads:,} posts in {inserted:.1f} s")
        library = ResourceLibraryPage.objects.get()
        for _ in range(100):
            library.add_child(
                instance=ResourcePage(
                    title=text(5)[:-1], summary=text(40), external_url="https://example.org"
                )
            )
    if not index:
        return users[0]
    from modelsearch.backends import get_search_backend

    from search import selectors

    backend = get_search_backend()
    for model in {s.model for s in selectors.sources()}:
        objects = list(model.get_indexed_objects())
        for i in range(0, len(objects), 2000):
            backend.add_bulk(model, objects[i : i + 2000])
    return users[0]


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--posts", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--reuse", action="store_true", help="keep the last run's database and index")
    args = parser.parse_args()
    started = time.perf_counter()
    viewer = setup(args.posts, reuse=args.reuse)
    print(f"filled and indexed {args.posts} posts in {time.perf_counter() - started:.1f} s")

    from django.test import Client
    from modelsearch.backends import get_search_backend
    from whoosh import qparser

    from forum.models import Post

    client = Client()
    client.force_login(viewer)
    backend = get_search_backend()
    searcher = backend.searcher()
    parser_ = qparser.QueryParser("all_text", backend.open_index().schema)

    page_times, api_times, bare_times = [], [], []
    for _ in range(args.repeat):
        for query in QUERIES:
            for extra in FILTERS:
                t = time.perf_counter()
                response = client.get("/search/", {"q": query, **extra})
                page_times.append(time.perf_counter() - t)
                assert response.status_code == 200, response.status_code
            t = time.perf_counter()
            list(Post.searchable_for(viewer).search(query.replace('"', ""), operator="and")[:20])
            api_times.append(time.perf_counter() - t)
            t = time.perf_counter()
            searcher.search(parser_.parse(query.replace('"', "")), limit=20)
            bare_times.append(time.perf_counter() - t)
    searcher.close()

    counted = {}
    for query in QUERIES:
        for extra in FILTERS:
            response = client.get("/search/", {"q": query, **extra}, headers={"X-Bench-Count-Queries": "1"})
            counted[(query, tuple(extra.items()))] = int(response["X-Bench-Queries"])

    def row(name, times):
        p50, p95 = percentile(times, 50) * 1000, percentile(times, 95) * 1000
        print(f"{name:<34} n={len(times):<4} p50 {p50:8.1f} ms  p95 {p95:8.1f} ms")
        return p50, p95

    page = row("search page (in-process)", page_times)
    api = row("backend API Post.search()[:20]", api_times)
    bare = row("bare Whoosh searcher (kept open)", bare_times)
    print(f"page/API    p50 {page[0] / api[0]:.1f}x  p95 {page[1] / api[1]:.1f}x")
    print(f"page/bare   p50 {page[0] / bare[0]:.1f}x  p95 {page[1] / bare[1]:.1f}x")
    worst = max(counted, key=counted.get)
    print(
        f"page queries per request: min {min(counted.values())}, max {max(counted.values())} "
        f"(q={worst[0]!r} {dict(worst[1])})"
    )


if __name__ == "__main__":
    main()
