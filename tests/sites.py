"""A migrated site's var directory, made once per test run and copied for
each test that starts server or worker processes of its own.

Those tests each used to run ``manage.py migrate`` on a fresh SQLite file,
which costs half a minute or more of CPU (Wagtail's migrations and the
initial pages). The schema and the initial rows are the same for all of
them, so the suite migrates once into a template directory and each test
gets a copy: the same files a fresh ``migrate`` leaves, in a directory of
its own.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def migrated_site(tmp_path_factory):
    """A function ``fill(var_dir)`` that puts a freshly migrated SQLite site
    (database, secret key, upload directory) into ``var_dir``."""
    template = tmp_path_factory.mktemp("migrated-site")
    env = {
        **os.environ,
        # Development settings: side effects become durable task rows, as
        # in every process these sites start.
        "DJANGO_SETTINGS_MODULE": "connect.settings.dev",
        "CONNECT_VAR_DIR": str(template),
    }
    for name in ("DATABASE_URL", "REDIS_URL", "CONNECT_SEARCH_INDEX_DIR"):
        env.pop(name, None)
    subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "migrate", "--noinput", "-v0"],
        env=env,
        check=True,
        cwd=ROOT,
        timeout=600,
        stdout=subprocess.DEVNULL,
    )

    def fill(var_dir):
        shutil.copytree(template, var_dir, dirs_exist_ok=True)
        return var_dir

    return fill
