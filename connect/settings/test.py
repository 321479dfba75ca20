"""Tests: fast local backends unless a test is about the real service.

DATABASE_URL and REDIS_URL are honoured, so `.ci/run` runs the same suite
against PostgreSQL and Redis.
"""

import os
import tempfile
from pathlib import Path

from .base import *  # noqa: F403

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
MEDIA_ROOT = Path(tempfile.mkdtemp(prefix="connect-test-media-"))
ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]
CONNECT_BASE_URL = WAGTAILADMIN_BASE_URL = "http://testserver"
WAGTAILSEARCH_BACKENDS = {
    "default": {
        "BACKEND": "search.backends.whoosh",
        "PATH": tempfile.mkdtemp(prefix="connect-test-search-"),
    },
}
# CONNECT_SEARCH_BACKEND=database runs the search tests on Wagtail's database
# backend (PostgreSQL full-text search in CI's PostgreSQL pass), the backend a
# deployment with several web hosts would start from.
if os.environ.get("CONNECT_SEARCH_BACKEND") == "database":
    WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Tasks run on the spot (after the transaction commits, see connect.tasks.enqueue)
# so tests read mail.outbox and search results at once. tests/reliability/
# switches to the database backend and a real worker.
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}

# Tests create many posts quickly; the posting rate limit is tested on its own.
CONNECT_POST_RATE_LIMITS = ((10_000, 60),)
CONNECT_THREAD_RATE_LIMITS = ((10_000, 60),)

# modelsearch's backend conformance suite (tests/search/conformance/) runs on
# its own small models; they live only in the test database.
INSTALLED_APPS = [*INSTALLED_APPS, "modelsearch.test.testapp"]  # noqa: F405
# Its migrations name modelsearch's own app, which Wagtail installs under
# another label; the tables are made straight from the models instead.
MIGRATION_MODULES = {"searchtests": None}
