"""``manage.py db_worker``: django-tasks-db's worker, plus recovery.

A worker killed mid-task (a deploy, the OOM killer, a power cut) leaves its
task marked running for ever. Before it takes any work, this worker puts such
tasks back in the queue (see ``connect.tasks.tasks_recover_stale``) and makes
sure the hourly housekeeping task is scheduled. Several workers on several
machines are safe: rows are claimed with ``SELECT … FOR UPDATE SKIP LOCKED``.
"""

from datetime import timedelta

from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.management.commands.db_worker import Command as BaseWorkerCommand


class Command(BaseWorkerCommand):
    help = "Run background tasks (emails, search index, clean-up); requeues tasks a dead worker left running."

    def handle(self, *args, **options):
        from django_tasks_db.models import DBTaskResult

        from connect.tasks import tasks_housekeeping, tasks_recover_stale

        recovered = tasks_recover_stale()
        if recovered and options.get("verbosity", 1):
            self.stdout.write(f"Requeued {recovered} task(s) a stopped worker left running.")
        pending = DBTaskResult.objects.filter(
            status=TaskResultStatus.READY, task_path=tasks_housekeeping.module_path
        ).exists()
        if not pending:
            tasks_housekeeping.using(run_after=timezone.now() + timedelta(hours=1)).enqueue()
        return super().handle(*args, **options)
