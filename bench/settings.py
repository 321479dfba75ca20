"""Settings for benchmarks: the production-like base plus one trivial members-only view.

DEBUG is off (no query logging); the database is var/bench/db.sqlite3 unless
DATABASE_URL is set.
"""

import os

from connect.settings.base import *  # noqa: F403

DEBUG = False
ROOT_URLCONF = "bench.urls"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}

# The reply load benchmark offers 20 replies a second from a few dozen
# members, far past the per-member posting limit meant for people typing:
# it measures the site, not the limit.
if os.environ.get("BENCH_POSTING_UNLIMITED"):
    CONNECT_POST_RATE_LIMITS = ((1_000_000, 60),)

# bench/pages.py asks each page for its query count once, outside the timed
# load, with the X-Bench-Count-Queries header; the answer comes back in
# X-Bench-Queries. Without the header the middleware only checks for it.
MIDDLEWARE = ["bench.querycount.QueryCountMiddleware", *MIDDLEWARE]  # noqa: F405

# bench/assets.py serves the site as production does: collectstatic into
# DJANGO_STATIC_ROOT with hashed, compressed files, served by WhiteNoise
# without finders. With BENCH_ASSETS_BASELINE, a request carrying
# X-Bench-Assets: full gets the page as it was before the stylesheet was
# trimmed (the full uswds.min.css and uswds.min.js, no font preloads), from the same server.
if os.environ.get("BENCH_PRODUCTION_STATIC"):
    STORAGES = {
        **STORAGES,  # noqa: F405
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    WHITENOISE_USE_FINDERS = False
if os.environ.get("BENCH_ASSETS_BASELINE"):
    MIDDLEWARE = ["bench.assets.FullUswdsMiddleware", *MIDDLEWARE]
# bench/live_trace.py: where a thread's sockets stand when each event arrives.
if os.environ.get("BENCH_LIVE_TRACE"):
    INSTALLED_APPS = [*INSTALLED_APPS, "bench.live_trace.LiveTraceConfig"]  # noqa: F405
# bench/live_memory.py: what idle connections hold, by line (--tracemalloc).
if os.environ.get("BENCH_TRACEMALLOC"):
    from bench import live_memory

    live_memory.install()
