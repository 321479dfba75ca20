"""bench/live_fanout.py run short: twenty members following one thread
through daphne on the in-memory layer and on Redis pub/sub (one and two
processes), against a bare websockets broadcast. No member may miss, repeat
or reorder a reply. The full run is documented in docs/benchmarks.md."""

import json
import os
import shutil
import subprocess
import sys

import pytest

from .conftest import ROOT

# Its daphne processes use their own SQLite file and their own redis-server.
pytestmark = [pytest.mark.bench, pytest.mark.own_site]


def test_live_fanout_short_run_loses_nothing(tmp_path):
    if not shutil.which("redis-server"):
        if os.environ.get("CI"):
            pytest.fail("redis-server is not installed; the fan-out benchmark needs its own server")
        pytest.skip("redis-server is not installed")
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    result = subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "live_fanout.py"),
            "--quick",
            "--json",
            "--var-dir",
            str(tmp_path),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    (row,) = json.loads(result.stdout.strip().splitlines()[-1])
    assert row["members"] == 20
    assert row["bare"]["lost"] == 0
    for name, figures in row["daphne"]:
        assert (figures["lost"], figures["repeated"], figures["out_of_order"]) == (0, 0, 0), name
        assert figures["p50"] == figures["p50"], name  # every reply was timed (not NaN)
    for layer, figures in row["layer_only"].items():
        assert figures["lost"] == 0, layer
