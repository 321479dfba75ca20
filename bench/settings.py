"""Settings for benchmarks: the production-like base plus one trivial members-only view.

DEBUG is off (no query logging); the database is var/bench/db.sqlite3 unless
DATABASE_URL is set.
"""

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
