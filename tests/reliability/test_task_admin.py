"""Failed tasks are listed for administrators with their error and can be run again."""

import pytest
from django_tasks_db.models import DBTaskResult

from connect.models import AuditEvent
from connect.tasks import email_deliver, tasks_recover_stale

from .conftest import run_worker

pytestmark = pytest.mark.django_db


@pytest.fixture
def failed(durable_tasks):
    email_deliver.enqueue({"to": ["a@example.test"]})  # no key, subject or body: fails for good
    run_worker()
    return DBTaskResult.objects.get(status="FAILED")


def test_failed_tasks_lists_error_and_runs_again_for_administrators(administrator_client, failed):
    html = administrator_client.get("/admin/connect/tasks/").content.decode()
    assert "email_deliver" in html
    assert "PermanentTaskError" in html

    response = administrator_client.post("/admin/connect/tasks/", {"task": str(failed.id)})
    assert response.status_code == 302
    assert not DBTaskResult.objects.filter(id=failed.id).exists()
    assert DBTaskResult.objects.filter(task_path=email_deliver.module_path, status="READY").count() == 1
    assert AuditEvent.objects.filter(action="task.retried").exists()


def test_failed_tasks_is_not_found_for_moderators(moderator_client, failed):
    assert moderator_client.get("/admin/connect/tasks/").status_code == 404
    assert moderator_client.post("/admin/connect/tasks/", {"task": str(failed.id)}).status_code == 404
    assert DBTaskResult.objects.filter(id=failed.id, status="FAILED").exists()


def test_tasks_recover_stale_requeues_tasks_of_a_dead_worker(durable_tasks, settings):
    from datetime import timedelta

    from django.utils import timezone

    result = email_deliver.enqueue({"key": "k", "to": ["a@example.test"], "subject": "S", "body": "B"})
    DBTaskResult.objects.filter(id=result.id).update(
        status="RUNNING", started_at=timezone.now() - settings.CONNECT_TASK_STALE_AFTER - timedelta(seconds=1)
    )
    assert tasks_recover_stale() == 1
    assert DBTaskResult.objects.get(id=result.id).status == "READY"
    run_worker()
    assert DBTaskResult.objects.get(id=result.id).status == "SUCCESSFUL"
