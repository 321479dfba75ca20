"""Queries whose SQL is built once and run many times.

A live thread's fan-out asks the same few questions at every event about the
same thousand members (their sessions, their rows, their read markers), each
with a list of a thousand ids. Building that SQL (a thousand values prepared
and a thousand placeholders) cost as much as running it; the sockets of a
thread change far less often than its events, so the SQL built for one list
of ids is kept, per thread of execution, and run again for the same list.
Only the SQL is kept: every run reads the database afresh.
"""

from __future__ import annotations

import threading

from django.db import connections

_local = threading.local()
_LIMIT = 64


def rows(name, key, build, *, convert=True):
    """The rows of ``build()`` (a ``values_list`` queryset), its SQL compiled
    once for ``(name, key)``; ``key`` must say everything the query depends on.
    With ``convert=False`` the rows are as the database driver returns them
    (no date parsing, no JSON decoding)."""
    cache = getattr(_local, "queries", None)
    if cache is None:
        cache = _local.queries = {}
    entry = cache.get((name, key))
    if entry is None:
        queryset = build()
        compiler = queryset.query.get_compiler(queryset.db)
        sql, params = compiler.as_sql()
        if len(cache) >= _LIMIT:
            cache.clear()
        entry = cache[(name, key)] = (queryset.db, compiler, sql, params)
    db, compiler, sql, params = entry
    with connections[db].cursor() as cursor:
        cursor.execute(sql, params)
        found = cursor.fetchall()
    if not convert:
        return found
    return [tuple(row) for row in compiler.results_iter(results=[found])]
