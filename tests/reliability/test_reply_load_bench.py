"""bench/reply_load.py run short: two daphne processes and two workers on
PostgreSQL, replies at a steady rate while searches run. Nothing may be lost
(every reply answered as saved is saved and indexed) and nothing may answer
5xx. The full run is documented in docs/benchmarks.md."""

import json
import subprocess
import sys
import urllib.parse

import pytest
from django.db import connection

from .conftest import ROOT

pytestmark = [
    pytest.mark.bench,
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="the load benchmark runs daphne against PostgreSQL; it runs in the PostgreSQL pass of .ci/run",
    ),
]


@pytest.fixture
def bench_database_url():
    db = connection.settings_dict
    name = f"{db['NAME']}_reply_load"  # beside the test database, never the full benchmark's
    url = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{name}"
    yield url
    import psycopg

    admin = urllib.parse.urlunsplit(urllib.parse.urlsplit(url)._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_reply_load_short_run_loses_nothing_and_answers_no_5xx(bench_database_url, tmp_path):
    result = subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "reply_load.py"),
            *("--database-url", bench_database_url, "--var-dir", str(tmp_path)),
            *("--posts", "500", "--rate", "5", "--duration", "4", "--search-rate", "1", "--threads", "5"),
            *("--settle", "120", "--json"),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.stdout.strip(), result.stderr[-3000:]
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    replies = figures["replies"]
    assert replies["sent"] == 20
    assert replies["errors_5xx"] == 0, figures
    assert figures["baseline_trivial_post"]["errors_5xx"] == 0, figures
    assert figures["replies_saved"] == replies["ok"] == 20, figures
    assert figures["answered_saved_but_missing"] == 0
    assert figures["not_indexed_after_settle"] == 0, figures
    assert result.returncode == 0, result.stdout[-3000:]
