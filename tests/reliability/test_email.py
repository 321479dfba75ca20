"""Email through the durable queue: the mail server down, or the worker
killed in the middle of a delivery."""

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
from django.core import mail
from django_tasks_db.models import DBTaskResult

from connect import services
from connect.models import DeliveredEmail, Invitation, MembershipRequest
from connect.tasks import email_deliver, message_key
from tests.factories import MembershipRequestFactory

from .conftest import fast_forward_retries, run_worker, site_shell, wait_until

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.django_db
def test_membership_request_approve_with_smtp_down_succeeds_and_delivers_when_smtp_returns(
    moderator_client, moderator, task_force, durable_tasks, smtp
):
    req = MembershipRequestFactory(task_force=task_force, email="casey@tf0.test.example")

    started = time.monotonic()
    response = moderator_client.post(f"/admin/connect/requests/{req.pk}/approve/")
    assert response.status_code == 302
    assert time.monotonic() - started < 5  # no wait on the mail server
    req.refresh_from_db()
    assert req.status == MembershipRequest.Status.APPROVED
    assert DBTaskResult.objects.filter(task_path=email_deliver.module_path).count() == 1

    # SMTP is down: the attempt fails and a later one is scheduled; nothing is lost.
    run_worker()
    assert smtp.messages == []
    owed = DBTaskResult.objects.filter(task_path=email_deliver.module_path, status="READY")
    assert owed.count() == 1
    assert owed.get().args_kwargs["kwargs"]["attempt"] == 2

    smtp.start()
    fast_forward_retries()
    run_worker()
    assert len(smtp.messages) == 1
    assert "casey@tf0.test.example" in smtp.messages[0]
    assert "http://testserver/join/" in smtp.messages[0]

    # Running the queue again (or the same task twice) sends nothing more.
    fast_forward_retries()
    run_worker()
    assert len(smtp.messages) == 1
    # The link is a credential: once delivered it is not kept in the task table.
    assert Invitation.objects.filter(request=req).exists()
    assert "/join/" not in str(list(DBTaskResult.objects.values_list("args_kwargs", flat=True)))


@pytest.mark.django_db
def test_email_deliver_is_idempotent_by_message_key(smtp):
    smtp.start()
    message = {"key": message_key("test", 1), "to": ["a@example.test"], "subject": "Hello", "body": "Hi"}
    email_deliver.enqueue(message)
    email_deliver.enqueue(message)
    assert len(smtp.messages) == 1
    assert DeliveredEmail.objects.filter(key=message["key"]).count() == 1


@pytest.mark.django_db
def test_membership_request_deny_queues_the_reason_in_the_same_transaction(
    moderator, task_force, durable_tasks
):
    req = MembershipRequestFactory(task_force=task_force)
    services.membership_request_deny(membership_request=req, reviewer=moderator, reason="Not a task force")
    assert mail.outbox == []
    run_worker()
    assert len(mail.outbox) == 1
    assert "Not a task force" in mail.outbox[0].body


def test_email_deliver_worker_killed_mid_delivery_delivers_exactly_once(worker_site, smtp):
    env, manage = worker_site
    smtp.start()
    smtp.stall.set()
    site_shell(
        worker_site,
        "from connect.tasks import email_deliver; "
        "email_deliver.enqueue({'key': 'k-1', 'to': ['a@example.test'], 'subject': 'S', 'body': 'B'})",
    )
    worker = subprocess.Popen(
        [*manage, "db_worker", "--interval", "0.1", "--no-startup-delay", "--no-reload", "-v0"],
        env=env,
        cwd=ROOT,
    )
    try:
        assert smtp.stalled.wait(timeout=120), "the worker never reached the mail server"
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(timeout=10)
    finally:
        if worker.poll() is None:
            worker.kill()
    smtp.stall.clear()
    assert smtp.messages == []
    status = site_shell(
        worker_site,
        "from django_tasks_db.models import DBTaskResult; "
        "print(DBTaskResult.objects.get(task_path='connect.tasks.email_deliver').status)",
    )
    assert status == "RUNNING"  # what a dead worker leaves behind

    time.sleep(1.2)  # past CONNECT_TASK_STALE_SECONDS
    subprocess.run(
        [*manage, "db_worker", "--batch", "--no-startup-delay", "--no-reload", "-v0"],
        env=env,
        cwd=ROOT,
        check=True,
        timeout=120,
    )
    assert wait_until(lambda: len(smtp.messages) >= 1, timeout=5)
    subprocess.run(
        [*manage, "db_worker", "--batch", "--no-startup-delay", "--no-reload", "-v0"],
        env=env,
        cwd=ROOT,
        check=True,
        timeout=120,
    )
    assert len(smtp.messages) == 1
