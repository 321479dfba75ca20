"""Benchmark: CPU time of the search page and of two of its parts, per page.

On the data of the last ``bench/search.py`` (or ``bench/search_page.py``)
run, reused: the 16 queries x 4 filter sets of ``bench/search_page.py``,
``--repeat`` times, through the test client, after one warm-up request per
query. Prints the CPU time (``time.process_time``) per page of the whole
request, of ``search.selectors._load_hits`` (loading and describing the
page's hits) and of ``connect.permissions.visible_pages`` (the page view
rule resources, events and spotlights apply).

    .venv/bin/python bench/search_page_parts.py --repeat 3
"""

from __future__ import annotations

import argparse
import functools
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import search_page  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    viewer = search_page.setup(5000, reuse=True)

    from django.test import Client

    from connect import permissions
    from search import selectors

    spent = {}

    def timed(module, name):
        inner = getattr(module, name)
        spent[name] = 0.0

        @functools.wraps(inner)
        def wrapper(*a, **k):
            started = time.process_time()
            try:
                return inner(*a, **k)
            finally:
                spent[name] += time.process_time() - started

        setattr(module, name, wrapper)

    timed(selectors, "_load_hits")
    timed(permissions, "visible_pages")
    client = Client()
    client.force_login(viewer)
    for query in search_page.QUERIES:
        client.get("/search/", {"q": query})
    for name in spent:
        spent[name] = 0.0
    started = time.process_time()
    for _ in range(args.repeat):
        for query in search_page.QUERIES:
            for extra in search_page.FILTERS:
                client.get("/search/", {"q": query, **extra})
    n = args.repeat * len(search_page.QUERIES) * len(search_page.FILTERS)
    total = time.process_time() - started
    print(
        f"CPU per page (n={n}): whole request {1000 * total / n:.1f} ms, "
        f"_load_hits {1000 * spent['_load_hits'] / n:.2f} ms, "
        f"visible_pages {1000 * spent['visible_pages'] / n:.2f} ms"
    )


if __name__ == "__main__":
    main()
