"""Settings for a server process a fault test starts itself: the test
settings (no debug pages, a cheap hasher), but side effects as durable task
rows, as in production, so a request does only its own work."""

from connect.settings.test import *  # noqa: F403

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
