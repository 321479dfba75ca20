"""Benchmark: the search index, in one run on one index.

1. A deterministic generator (``--scale 1``: 200,000 posts in threads of ten,
   words drawn from a Zipf-like vocabulary so some are common and many rare,
   posts of 20-90 words; a restricted category; resources and members) fills
   its own SQLite database in var/bench-search/.
2. A full rebuild (``search.rebuild.rebuild``, what ``rebuild_search_index``
   runs): documents per wall-second and per CPU-second.
3. Latency p50/p95 over 200+ fixed queries (common, mid and rare words,
   several words, phrases, autocomplete prefixes), all as a member who cannot
   see the restricted category, through
   * the search page, rendered in-process through the full middleware stack
     (Django's test client),
   * the backend API, ``Post.searchable_for(user).search(q)[:20]``,
   * a bare Whoosh searcher kept open over the same index (the floor),
   * Wagtail's database backend (SQLite FTS here), same API call.

    .venv/bin/python bench/search.py --short          # 2,000 posts (CI)
    .venv/bin/python bench/search.py --scale 0.1      # 20,000 posts
"""

from __future__ import annotations

import argparse
import itertools
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import search_page  # noqa: E402

BASE = (
    "screening referral interview survivor advocate detective prosecutor protocol housing wages "
    "passport recruiter shelter interpreter deconfliction subpoena warrant hotline outreach case "
    "review training consent evidence motel agency labor trafficking victim services coordination "
    "funding grant navigator transport immigration visa continued presence forensic records"
).split()


def vocabulary(size=3000, seed=5):
    """The base words first (the common ones), then invented rarer ones."""
    rng = random.Random(seed)
    words = list(BASE)
    syllables = ["ka", "ro", "mi", "te", "sa", "lu", "ven", "dor", "pil", "qua", "zen", "bri", "tor", "ask"]
    while len(words) < size:
        word = "".join(rng.choice(syllables) for _ in range(rng.randint(2, 4)))
        if word not in words:
            words.append(word)
    return words


WORDS = vocabulary()
WEIGHTS = [1 / (rank + 1) for rank in range(len(WORDS))]
# random.choices with cum_weights draws exactly what it draws with weights,
# without summing the 3,000 weights again for every word.
CUM_WEIGHTS = list(itertools.accumulate(WEIGHTS))


def queries():
    common, mid, rare = WORDS[:25], WORDS[200:225], WORDS[-25:]
    out = [*common, *mid, *rare]
    out += [f"{a} {b}" for a, b in zip(common, mid, strict=True)]
    out += [f"{a} {b}" for a, b in zip(rare, common, strict=True)]
    out += [f'"{a} {b}"' for a, b in zip(common, common[1:], strict=False)]
    out += [w[:4] for w in mid] + [w[:3] for w in common]
    out += [f"{a} -{b}" for a, b in zip(common, common[3:], strict=False)][:10]
    return out


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", type=float, default=1.0, help="1 = 200,000 posts")
    parser.add_argument("--short", action="store_true", help="2,000 posts, for CI")
    parser.add_argument("--reuse", action="store_true", help="keep the last run's generated database")
    parser.add_argument("--rounds", type=int, default=2, help="rebuilds of each writer, alternating")
    parser.add_argument("--rebuild-only", action="store_true", help="generate and rebuild; no queries")
    args = parser.parse_args()
    posts = 2000 if args.short else int(200_000 * args.scale)

    rng = random.Random(11)
    search_page.WORDS = WORDS  # the generator draws from this vocabulary

    def zipf_text(n):
        return " ".join(rng.choices(WORDS, cum_weights=CUM_WEIGHTS, k=n)).capitalize() + "."

    search_page.random.Random = lambda seed: _ZipfRandom(seed, zipf_text)
    started = time.perf_counter()
    viewer = search_page.setup(posts, reuse=args.reuse, index=False)
    print(f"generated {posts:,} posts in {time.perf_counter() - started:.1f} s")

    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from modelsearch.backends import get_search_backend
    from whoosh import qparser

    from forum.models import Post
    from search.backends import whoosh
    from search.rebuild import rebuild

    # Before and after in the same run: the same rebuild through Whoosh's own
    # add_document and add_postings, then through the rebuild's writer.
    own = {
        "fits": lambda self, writer: False,
        "_add_postings": lambda fieldwriter, schema, lengths, items: fieldwriter.add_postings(
            schema, lengths, items
        ),
        "_SmallBlocksUncompressed": lambda codec: codec,
    }
    ours = {
        "fits": whoosh._FastAdder.fits,
        "_add_postings": whoosh._add_postings,
        "_SmallBlocksUncompressed": whoosh._SmallBlocksUncompressed,
    }
    rates = {}
    for _round in range(args.rounds):
        for name, parts in (("Whoosh's own writer", own), ("the rebuild's writer", ours)):
            whoosh._FastAdder.fits = parts["fits"]
            whoosh._add_postings = parts["_add_postings"]
            whoosh._SmallBlocksUncompressed = parts["_SmallBlocksUncompressed"]
            with CaptureQueriesContext(connection) as queries:
                documents, wall, cpu = rebuild()
            rates.setdefault(name, []).append((documents / wall, documents / cpu))
            print(
                f"full rebuild ({name}): {documents:,} documents, {documents / wall:,.0f}/wall-s, "
                f"{documents / cpu:,.0f}/CPU-s, {1000 * len(queries) / documents:.1f} queries per 1,000"
            )
    for name, values in rates.items():
        best_wall = max(v[0] for v in values)
        best_cpu = max(v[1] for v in values)
        print(f"full rebuild, best of {len(values)} ({name}): {best_wall:,.0f}/wall-s, {best_cpu:,.0f}/CPU-s")
    if args.rebuild_only:
        return

    backend = get_search_backend()
    database_path = "wagtail.search.backends.database"
    database = get_search_backend(database_path)
    objects = list(Post.get_indexed_objects())
    t, c = time.perf_counter(), time.process_time()
    for i in range(0, len(objects), 2000):
        database.add_bulk(Post, objects[i : i + 2000])
    db_wall, db_cpu = time.perf_counter() - t, time.process_time() - c
    print(
        f"database backend indexing (posts only): {len(objects) / db_wall:,.0f}/wall-s, "
        f"{len(objects) / db_cpu:,.0f}/CPU-s"
    )

    client = Client()
    client.force_login(viewer)
    searcher = backend.searcher()
    parse = qparser.QueryParser("all_text", backend.open_index().schema).parse
    fixed = queries()
    times = {"page": [], "api": [], "bare": [], "database": []}
    for query in fixed:
        plain = query.replace('"', "")
        t = time.perf_counter()
        response = client.get("/search/", {"q": query})
        times["page"].append(time.perf_counter() - t)
        assert response.status_code == 200
        t = time.perf_counter()
        list(Post.searchable_for(viewer).search(plain)[:20])
        times["api"].append(time.perf_counter() - t)
        t = time.perf_counter()
        searcher.search(parse(plain), limit=20)
        times["bare"].append(time.perf_counter() - t)
        t = time.perf_counter()
        list(Post.searchable_for(viewer).search(plain, backend=database_path)[:20])
        times["database"].append(time.perf_counter() - t)

    print(f"{len(fixed)} queries, member without the restricted category")
    figures = {}
    for name, label in [
        ("page", "search page (in-process)"),
        ("api", "backend API Post.search()[:20]"),
        ("bare", "bare Whoosh searcher (kept open)"),
        ("database", "database backend, same call"),
    ]:
        p50, p95 = percentile(times[name], 50) * 1000, percentile(times[name], 95) * 1000
        figures[name] = (p50, p95)
        print(f"{label:<34} p50 {p50:8.1f} ms  p95 {p95:8.1f} ms")
    bare = figures["bare"]
    for name in ("api", "page"):
        p50, p95 = figures[name]
        print(f"{name}/bare  p50 {p50 / bare[0]:.1f}x  p95 {p95 / bare[1]:.1f}x")


class _ZipfRandom(random.Random):
    """The generator's random source, with its words drawn Zipf-like."""

    def __init__(self, seed, zipf_text):
        super().__init__(seed)
        self._zipf = zipf_text

    def choice(self, seq):
        if seq is WORDS:
            return self.choices(WORDS, cum_weights=CUM_WEIGHTS, k=1)[0]
        return super().choice(seq)


if __name__ == "__main__":
    main()
