"""Bench-only: what the live side's idle connections hold, by line of code.

Loaded by ``bench/settings.py`` when ``BENCH_TRACEMALLOC`` names a file (never
in the product). Tracing starts with the process; each time a file named as
that one plus ``.go`` appears, a snapshot is taken (and the file removed), and
from the second on the file gets the allocations grown since the first,
grouped by the line that made them (``bench/live_fanout.py --tracemalloc``
asks before and after connecting the members). A thread of its own watches
for the file: daphne's event loop may be too busy to run a signal handler.
"""

from __future__ import annotations

import os
import threading
import time
import tracemalloc

_first = []


def _snapshot():
    snapshot = tracemalloc.take_snapshot().filter_traces(
        [
            tracemalloc.Filter(False, tracemalloc.__file__),
            tracemalloc.Filter(False, "<frozen importlib._bootstrap>"),
        ]
    )
    if not _first:
        _first.append(snapshot)
        return
    stats = snapshot.compare_to(_first[0], "lineno")
    with open(os.environ["BENCH_TRACEMALLOC"], "w") as out:
        for stat in stats[:40]:
            frame = stat.traceback[0]
            out.write(f"{stat.size_diff}\t{stat.count_diff}\t{frame.filename}:{frame.lineno}\n")


def _watch(path):
    trigger = f"{path}.go"
    while True:
        time.sleep(0.2)
        if os.path.exists(trigger):
            _snapshot()
            os.remove(trigger)


def install():
    tracemalloc.start(1)
    threading.Thread(target=_watch, args=(os.environ["BENCH_TRACEMALLOC"],), daemon=True).start()
