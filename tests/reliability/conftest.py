"""Faults made real: the test's own Redis (on a free port, never the
machine's), its own SMTP listener, the database task backend and a real
worker. Every wait is bounded in count and time."""

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.cache import caches
from django.utils import timezone

ROOT = Path(__file__).resolve().parents[2]


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(predicate, *, timeout=10.0, step=0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return predicate()


@pytest.fixture
def durable_tasks(settings):
    """The production task backend: tasks are rows until a worker runs them."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def run_worker(max_tasks=50):
    """Run the real worker (db_worker's Worker) in this process until the
    queue has nothing ready, at most ``max_tasks`` tasks. Its check for stale
    connections is skipped: here the connection holds the test's transaction."""
    from unittest import mock

    from django_tasks_db.management.commands import db_worker

    with mock.patch.object(db_worker, "close_old_connections", lambda: None):
        _worker(max_tasks)


def _worker(max_tasks):
    from django_tasks_db.management.commands.db_worker import Worker

    Worker(
        queue_names=["default"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=max_tasks,
        worker_id="test-worker",
        excluded_queue_names=[],
    ).run()


def fast_forward_retries():
    """Make every deferred retry due now, instead of sleeping out the backoff."""
    from django_tasks_db.models import DBTaskResult

    DBTaskResult.objects.filter(status="READY").update(run_after=timezone.now() - timedelta(seconds=1))


class RedisServer:
    def __init__(self, tmp_path):
        self.port = free_port()
        self.dir = tmp_path
        self.proc = None

    @property
    def url(self):
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self):
        self.proc = subprocess.Popen(
            [
                shutil.which("redis-server"),
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.dir),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        assert wait_until(self._answers, timeout=10), "redis-server did not start"

    def _answers(self):
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def pause(self):
        os.kill(self.proc.pid, signal.SIGSTOP)

    def resume(self):
        os.kill(self.proc.pid, signal.SIGCONT)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.resume()
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)


@pytest.fixture
def redis_server(tmp_path, settings):
    if not shutil.which("redis-server"):
        # As for the browser: under CI a missing service fails the run instead of skipping.
        if os.environ.get("CI"):
            pytest.fail("redis-server is not installed; the Redis fault tests need their own server")
        pytest.skip("redis-server is not installed")
    server = RedisServer(tmp_path)
    server.start()
    settings.CACHES = {
        "default": {
            "BACKEND": "connect.cache.ResilientRedisCache",
            "LOCATION": server.url,
            "KEY_PREFIX": "connect-test",
            "OPTIONS": {"socket_connect_timeout": 0.25, "socket_timeout": 0.25},
        }
    }
    from connect import cache as resilient

    resilient._down_until.clear()
    yield server
    server.stop()
    resilient._down_until.clear()
    caches["default"].close()


class SMTPListener:
    """An SMTP server on a free port that can be started and stopped, and
    that can hold a client at RCPT (so a worker can be killed mid-delivery)."""

    def __init__(self):
        import threading

        self.port = free_port()
        self.messages = []
        self.controller = None
        self.stall = threading.Event()
        self.stalled = threading.Event()

    def start(self):
        from aiosmtpd.controller import Controller

        listener = self

        class Handler:
            async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
                import asyncio

                if listener.stall.is_set():
                    listener.stalled.set()
                    for _ in range(200):  # at most 10 s
                        if not listener.stall.is_set():
                            break
                        await asyncio.sleep(0.05)
                envelope.rcpt_tos.append(address)
                return "250 OK"

            async def handle_DATA(self, server, session, envelope):
                listener.messages.append(envelope.content.decode("utf8", errors="replace"))
                return "250 Message accepted"

        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self):
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def smtp(settings):
    listener = SMTPListener()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = listener.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 5
    yield listener
    listener.stall.clear()
    listener.stop()


@pytest.fixture
def worker_site(tmp_path, smtp, migrated_site):
    """A migrated SQLite site of its own, as `make run` would have it, whose
    worker sends mail to the test's SMTP listener and treats a task running
    for over a second as abandoned."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "connect.settings.dev",
        "CONNECT_VAR_DIR": str(tmp_path),
        "EMAIL_URL": f"smtp://127.0.0.1:{smtp.port}",
        "CONNECT_TASK_STALE_SECONDS": "1",
    }
    env.pop("DATABASE_URL", None)
    env.pop("REDIS_URL", None)
    env.pop("CONNECT_SEARCH_INDEX_DIR", None)
    manage = [sys.executable, str(ROOT / "manage.py")]
    migrated_site(tmp_path)
    return env, manage


def site_shell(worker_site, code):
    """Run ``code`` in the site's own ``manage.py shell``; return its last line of output."""
    env, manage = worker_site
    result = subprocess.run(
        [*manage, "shell", "-c", code], env=env, cwd=ROOT, capture_output=True, text=True, timeout=180
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1] if result.stdout.strip() else ""
