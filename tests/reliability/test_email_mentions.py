"""A reply mentioning colleagues while the mail server hangs or refuses: the
reply answers at once and is saved; the mention emails are owed as task rows
and delivered once each when a working mail server is back."""

import socket
import threading
import time

import pytest
from django.test import Client
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from connect.tasks import email_deliver
from forum.models import Post
from forum.services import handle_for
from notifications.models import Notification
from tests.factories import make_member
from tests.forum.factories import make_category, make_thread

from .conftest import fast_forward_retries, run_worker

pytestmark = pytest.mark.django_db

BUDGET = 2.0  # seconds for the reply to answer


class HangingSMTP:
    """Accepts connections on the port and never says a word (no greeting)."""

    def __init__(self, port):
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", port))
        self.sock.listen(16)
        self.sock.settimeout(0.1)
        self.held = []
        self.accepted = 0
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self):
        while not self.done.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.accepted += 1
            self.held.append(conn)

    def stop(self):
        self.done.set()
        self.thread.join(timeout=5)
        for conn in self.held:
            conn.close()
        self.sock.close()


def _reply_mentioning_three(smtp_settings_timeout, settings):
    settings.EMAIL_TIMEOUT = smtp_settings_timeout
    author = make_member()
    mentioned = [make_member() for _ in range(3)]
    thread = make_thread(author=author, category=make_category())
    run_worker()  # the thread's own side effects, before the fault matters
    client = Client()
    client.force_login(author)
    body = "Screening checklist for " + ", ".join(f"@{handle_for(m)}" for m in mentioned)
    started = time.monotonic()
    response = client.post(reverse("forum:reply", args=[thread.pk]), {"body": body, "submission_token": "m3"})
    seconds = time.monotonic() - started
    assert response.status_code == 302
    assert seconds < BUDGET, seconds
    assert Post.objects.filter(thread=thread, submission_token="m3").count() == 1
    return mentioned


def _delivered_once_each(smtp, mentioned):
    # The three emails are owed, each waiting for its next attempt.
    owed = DBTaskResult.objects.filter(task_path=email_deliver.module_path, status="READY")
    assert owed.count() == 3
    smtp.start()
    fast_forward_retries()
    run_worker()
    for member in mentioned:
        assert sum(member.email in message for message in smtp.messages) == 1, member.email
    assert len(smtp.messages) == 3
    # Running the queue again sends nothing more.
    fast_forward_retries()
    run_worker()
    assert len(smtp.messages) == 3
    assert Notification.objects.filter(recipient__in=mentioned).count() == 3


def test_reply_mentioning_three_with_smtp_hanging_answers_and_delivers_each_once_later(
    durable_tasks, smtp, settings
):
    hanging = HangingSMTP(smtp.port)
    try:
        mentioned = _reply_mentioning_three(1, settings)
        started = time.monotonic()
        run_worker()  # every attempt meets the silent server and times out
        assert time.monotonic() - started < 15
        assert hanging.accepted >= 1
    finally:
        hanging.stop()
    assert smtp.messages == []
    _delivered_once_each(smtp, mentioned)


def test_reply_mentioning_three_with_smtp_refusing_answers_and_delivers_each_once_later(
    durable_tasks, smtp, settings
):
    mentioned = _reply_mentioning_three(1, settings)
    run_worker()  # nothing listens on the port: every attempt is refused
    assert smtp.messages == []
    _delivered_once_each(smtp, mentioned)
