"""Durable side effects: every email, search-index update and clean-up job is
a task.

Tasks are rows in the database (django-tasks with the django-tasks-db
backend), written in the same transaction as the change they follow: if the
reply or the approval commits, so does the work it owes, and a process killed
a moment later loses nothing. ``manage.py db_worker`` runs them, on as many
machines as needed (each row is claimed with ``SELECT … FOR UPDATE SKIP
LOCKED``). Requests never wait on the mail server or the search index.

A task that fails is tried again later with exponential backoff; once it has
used up its attempts it stays *failed*, and administrators see it with its
error in the admin (Settings → Background tasks) and can run it again. Every
task here may run more than once (a worker dies between doing the work and
recording it), so each is idempotent: emails carry a key that is recorded
when the message is handed to the mail server, index updates re-read the row.
"""

import contextlib
import functools
import hashlib
import logging
import random
from datetime import timedelta

from django.apps import apps
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.dispatch import Signal
from django.utils import timezone
from django_tasks import TaskResultStatus, task

logger = logging.getLogger(__name__)


class PermanentTaskError(Exception):
    """Trying again cannot help (a malformed message, say): fail at once."""


def _durable(backend):
    from django_tasks_db.backend import DatabaseBackend

    return isinstance(backend, DatabaseBackend)


def backoff_delay(attempt, *, base, cap):
    """Seconds before attempt ``attempt + 1``: doubling from ``base`` up to
    ``cap``, with jitter so that a burst of failures (the mail server was down
    for everyone) does not come back as one burst."""
    delay = min(cap, base * 2 ** (attempt - 1))
    return delay * random.uniform(0.8, 1.2)  # noqa: S311 - jitter, not secrecy


def _scrub_arguments(task_result_id):
    """Forget a finished delivery's arguments: an invitation link is a
    credential and must not outlive its delivery in the task table."""
    from django_tasks_db.models import DBTaskResult

    DBTaskResult.objects.filter(id=task_result_id).update(args_kwargs={"args": [], "kwargs": {}})


def retrying_task(*, attempts=8, base_delay=30, max_delay=3600, scrub=False, priority=0):
    """A task that, when it raises, enqueues its next attempt after a backoff
    (the row of this attempt records the error and the next attempt's time),
    and fails for good after ``attempts`` tries. ``scrub`` drops the
    arguments from the stored row once they are no longer needed."""

    def decorate(func):
        @functools.wraps(func)
        def run(context, *args, attempt=1, **kwargs):
            result_id = context.task_result.id
            try:
                value = func(*args, **kwargs)
            except PermanentTaskError:
                raise
            except Exception as exc:
                if attempt >= attempts or not _durable(context.task_result.task.get_backend()):
                    raise
                delay = backoff_delay(attempt, base=base_delay, cap=max_delay)
                run_task.using(run_after=timezone.now() + timedelta(seconds=delay)).enqueue(
                    *args, attempt=attempt + 1, **kwargs
                )
                logger.warning(
                    "%s attempt %s failed (%s); next attempt in %.0f s",
                    run_task.name,
                    attempt,
                    type(exc).__name__,
                    delay,
                )
                if scrub:
                    _scrub_arguments(result_id)
                return {"retried": True, "attempt": attempt, "error": f"{type(exc).__name__}: {exc}"[:500]}
            if scrub and _durable(context.task_result.task.get_backend()):
                _scrub_arguments(result_id)
            return value

        # The task's path stays the decorated function's (the worker imports
        # it by that name), but its signature is the wrapper's, which takes
        # the context.
        del run.__wrapped__
        run_task = task(takes_context=True, priority=priority)(run)
        return run_task

    return decorate


def enqueue(task_obj, *args, **kwargs):
    """Enqueue ``task_obj``. With the database backend the row is written
    now, inside the caller's transaction (it commits or rolls back with the
    change: an outbox); with a backend that runs tasks on the spot (tests),
    after the transaction commits, so nothing runs for a change that rolled
    back."""
    if _durable(task_obj.get_backend()):
        return task_obj.enqueue(*args, **kwargs)
    transaction.on_commit(lambda: task_obj.enqueue(*args, **kwargs))
    return None


# --- Email ----------------------------------------------------------------


def message_key(*parts):
    """A stable idempotency key for an email from what makes it unique
    (kind, recipient, the object it is about)."""
    return hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).hexdigest()[:40]


@retrying_task(attempts=10, base_delay=30, max_delay=3600, scrub=True)
def email_deliver(message):
    """Hand one email to the mail server, at most once per ``message["key"]``.

    ``message`` is a plain dict (it is stored as JSON): ``key``, ``to`` (a
    list), ``subject``, ``body``, and optionally ``html``, ``from_email``,
    ``reply_to`` and ``headers``.
    """
    from .models import DeliveredEmail

    try:
        key = str(message["key"])[:200]
        to = list(message["to"])
        subject = str(message["subject"])
        body = str(message["body"])
    except (KeyError, TypeError) as exc:
        raise PermanentTaskError(f"Malformed message: {exc!r}") from exc
    if DeliveredEmail.objects.filter(key=key).exists():
        return "already delivered"
    headers = dict(message.get("headers") or {})
    # The same Message-ID on every attempt lets a receiving server drop the
    # duplicate in the one case this cannot rule out (a worker killed after
    # the server accepted the message and before the key was recorded).
    domain = settings.DEFAULT_FROM_EMAIL.rsplit("@", 1)[-1].strip(">") or "connect.localhost"
    headers.setdefault("Message-ID", f"<{key}@{domain}>")
    email = EmailMultiAlternatives(
        subject=subject,
        body=body,
        from_email=message.get("from_email") or None,
        to=to,
        reply_to=message.get("reply_to") or None,
        headers=headers,
    )
    if message.get("html"):
        email.attach_alternative(message["html"], "text/html")
    email.send(fail_silently=False)
    DeliveredEmail.objects.get_or_create(key=key)
    return "delivered"


# --- Search index ------------------------------------------------------------


# Index updates owed at once are applied together: one writer, one commit.
SEARCH_BATCH_SIZE = 500


@retrying_task(attempts=12, base_delay=5, max_delay=900)
def search_index_update(app_label, model_name, pk):
    """Bring one object's search entry up to date, together with every other
    update waiting in the queue (up to ``SEARCH_BATCH_SIZE``): the rows are
    claimed (``SKIP LOCKED``), their objects re-read and written in one index
    commit, and the claimed rows marked done in the same transaction. A
    failure (the index locked by another writer past its timeout, a full
    disk) rolls the claim back and is raised, so the task is tried again
    instead of being logged and lost. An object that no longer exists is
    removed from the index: deletions go through here too."""
    from django_tasks_db.models import DBTaskResult

    keys = {(app_label, model_name, str(pk))}
    durable = _durable(search_index_update.get_backend())
    with transaction.atomic():
        claimed = []
        if durable:
            rows = list(
                DBTaskResult.objects.ready()
                .select_for_update(skip_locked=True)
                .filter(task_path=search_index_update.module_path)
                .order_by("enqueued_at")
                .values_list("id", "args_kwargs")[:SEARCH_BATCH_SIZE]
            )
            for row_id, args_kwargs in rows:
                args = args_kwargs.get("args") or []
                if len(args) == 3:
                    keys.add((str(args[0]), str(args[1]), str(args[2])))
                    claimed.append(row_id)
        result = search_index_apply(sorted(keys))
        if claimed:
            DBTaskResult.objects.filter(id__in=claimed).update(
                status=TaskResultStatus.SUCCESSFUL,
                started_at=timezone.now(),
                finished_at=timezone.now(),
                return_value="applied in a batch",
            )
    return result


def search_index_drain():
    """Apply every index update waiting in the queue now, in batches (what
    ``seed_demo`` does so a fresh machine has a complete index before the
    worker starts). Returns how many objects were brought up to date."""
    from django_tasks_db.models import DBTaskResult

    if not _durable(search_index_update.get_backend()):
        return 0
    done = 0
    while True:
        with transaction.atomic():
            rows = list(
                DBTaskResult.objects.select_for_update(skip_locked=True)
                .filter(status=TaskResultStatus.READY, task_path=search_index_update.module_path)
                .values_list("id", "args_kwargs")[:SEARCH_BATCH_SIZE]
            )
            if not rows:
                return done
            keys = {tuple(str(a) for a in args_kwargs["args"]) for _id, args_kwargs in rows}
            search_index_apply(sorted(k for k in keys if len(k) == 3))
            DBTaskResult.objects.filter(id__in=[row_id for row_id, _a in rows]).update(
                status=TaskResultStatus.SUCCESSFUL,
                started_at=timezone.now(),
                finished_at=timezone.now(),
                return_value="applied by search_index_drain",
            )
            done += len(keys)


def search_index_apply(keys):
    """Index (or remove) each ``(app_label, model_name, pk)`` of ``keys`` from
    what the database holds now, in one write per backend."""
    from modelsearch import index
    from modelsearch.backends import get_search_backends_with_name

    by_model = {}
    for app_label, model_name, pk in keys:
        by_model.setdefault((app_label, model_name), set()).add(pk)
    present, gone = [], []
    for (app_label, model_name), pks in by_model.items():
        try:
            model = apps.get_model(app_label, model_name)
        except LookupError:
            continue
        if not index.class_is_indexed(model):
            continue
        found = {str(obj.pk): obj for obj in model.get_indexed_objects().filter(pk__in=list(pks))}
        for pk in pks:
            obj = found.get(pk)
            indexed = index.get_indexed_instance(obj, check_exists=False) if obj is not None else None
            if indexed is None:
                gone.append(model(pk=model._meta.pk.to_python(pk)))
            else:
                present.append(indexed)
    for _name, backend in get_search_backends_with_name(with_auto_update=True):
        batch = getattr(backend, "batch", None)
        with batch() if batch else contextlib.nullcontext():
            for model in {type(obj) for obj in present}:
                backend.add_bulk(model, [obj for obj in present if type(obj) is model])
            for obj in gone:
                backend.delete(obj)
    return {"indexed": len(present), "removed": len(gone)}


def _update_already_owed(task_obj, args):
    """Whether a first attempt of the same task with the same arguments is
    waiting, unclaimed. Such a task re-reads its row when it runs, so it will
    carry this change too: a busy thread is indexed once for a burst of
    replies instead of once per reply. The waiting row is locked (``SKIP
    LOCKED``, as workers claim rows) until this transaction commits, so no
    worker can claim it and read the row before this change is visible."""
    from django_tasks_db.models import DBTaskResult

    if not transaction.get_connection().in_atomic_block:
        return False
    return (
        DBTaskResult.objects.select_for_update(skip_locked=True)
        .filter(
            status=TaskResultStatus.READY,
            task_path=task_obj.module_path,
            args_kwargs={"args": list(args), "kwargs": {}},
        )
        .values_list("id", flat=True)
        .first()
        is not None
    )


def search_index_later(instance):
    """Owe ``instance``'s search entry: a task row in the current
    transaction, for models indexed explicitly rather than on save (none when
    an update of the same object is already waiting to run)."""
    meta = instance._meta
    args = (meta.app_label, meta.model_name, str(instance.pk))
    if _durable(search_index_update.get_backend()) and _update_already_owed(search_index_update, args):
        return None
    return enqueue(search_index_update, *args)


def _delete_later(instance, **kwargs):
    meta = instance._meta
    enqueue(search_index_update, meta.app_label, meta.model_name, str(instance.pk))


def use_durable_search_updates():
    """Route Wagtail's save-time and delete-time index updates through
    ``search_index_update``.

    Wagtail enqueues saves from its post_save handler and removes deleted
    objects on the spot; its own task swallows backend errors
    (``catch_indexing_errors``), so an update that met a held index lock
    would be reported done and never made, and a delete would wait on the
    lock inside the request. Called before Wagtail's search app connects its
    handlers, so the delete handler it connects is this one.
    """
    from modelsearch import signal_handlers

    signal_handlers.insert_or_update_object_task = search_index_update
    signal_handlers.post_delete_signal_handler = _delete_later


# --- Clean-up ------------------------------------------------------------------


def tasks_recover_stale(*, now=None):
    """Put tasks back in the queue that are marked running but started longer
    ago than ``CONNECT_TASK_STALE_AFTER``: their worker died mid-task. Every
    task is idempotent, so running one again is safe. Returns how many."""
    from django_tasks_db.models import DBTaskResult

    cutoff = (now or timezone.now()) - settings.CONNECT_TASK_STALE_AFTER
    with transaction.atomic():
        stale = list(
            DBTaskResult.objects.select_for_update(skip_locked=True)
            .filter(status=TaskResultStatus.RUNNING, started_at__lt=cutoff)
            .values_list("id", flat=True)
        )
        if stale:
            DBTaskResult.objects.filter(id__in=stale).update(status=TaskResultStatus.READY, started_at=None)
    if stale:
        logger.warning("Requeued %s task(s) left running by a worker that stopped", len(stale))
    return len(stale)


# Sent by the hourly housekeeping task: apps connect their own clean-up
# (resources removes uploaded files a killed process left behind) without
# this floor knowing them. A receiver that raises makes the task fail and be
# retried, after every other receiver has run.
housekeeping = Signal()


@retrying_task(attempts=3, base_delay=60, max_delay=600)
def tasks_housekeeping(keep_days=14):
    """Requeue tasks abandoned by dead workers, delete finished task rows
    and delivery keys older than ``keep_days`` (failed tasks stay until an
    administrator retries or dismisses them), and run the apps' clean-up
    (the ``housekeeping`` signal)."""
    from django_tasks_db.models import DBTaskResult

    from .models import DeliveredEmail

    recovered = tasks_recover_stale()
    errors = [
        exc
        for _receiver, exc in housekeeping.send_robust(sender=tasks_housekeeping)
        if isinstance(exc, Exception)
    ]
    cutoff = timezone.now() - timedelta(days=keep_days)
    pruned, _ = DBTaskResult.objects.filter(
        status=TaskResultStatus.SUCCESSFUL, finished_at__lt=cutoff
    ).delete()
    keys, _ = DeliveredEmail.objects.filter(delivered_at__lt=cutoff).delete()
    next_run = DBTaskResult.objects.filter(
        status=TaskResultStatus.READY, task_path=tasks_housekeeping.module_path
    )
    if not next_run.exists() and _durable(tasks_housekeeping.get_backend()):
        tasks_housekeeping.using(run_after=timezone.now() + timedelta(hours=1)).enqueue()
    if errors:
        raise errors[0]
    return {"recovered": recovered, "pruned": pruned, "delivery_keys": keys}


# --- What administrators see -----------------------------------------------------


def failed_tasks():
    """Tasks that used up their attempts, newest first."""
    from django_tasks_db.models import DBTaskResult

    return DBTaskResult.objects.filter(status=TaskResultStatus.FAILED).order_by("-finished_at")


def task_retry(*, task_result_id, actor, request=None):
    """Run a failed task again from its first attempt; the failed row is
    replaced by the new one. Returns the new task result, or None when the
    task is no longer failed (someone retried it already)."""
    from django_tasks_db.models import DBTaskResult

    from .audit import audit_record

    with transaction.atomic():
        row = (
            DBTaskResult.objects.select_for_update()
            .filter(id=task_result_id, status=TaskResultStatus.FAILED)
            .first()
        )
        if row is None:
            return None
        kwargs = dict(row.args_kwargs.get("kwargs") or {})
        kwargs.pop("attempt", None)
        new = row.task.using(run_after=None).enqueue(*(row.args_kwargs.get("args") or []), **kwargs)
        audit_record(
            action="task.retried",
            request=request,
            actor=actor,
            detail={"task": row.task_path, "error": row.exception_class_path},
        )
        row.delete()
    return new


def task_backlog():
    """What /healthz reports about the queue: tasks waiting to run, how long
    the oldest has waited, the same for search-index updates, and failures."""
    from django_tasks_db.models import DBTaskResult

    now = timezone.now()
    ready = DBTaskResult.objects.ready()
    oldest = ready.order_by("enqueued_at").values_list("enqueued_at", flat=True).first()
    # Search updates owed, including those waiting out a backoff: each retry
    # is a new row, so "retrying" (not the age of the newest row) is what
    # says the index is falling behind.
    search = DBTaskResult.objects.filter(
        status=TaskResultStatus.READY, task_path=search_index_update.module_path
    )
    return {
        "waiting": ready.count(),
        "oldest_seconds": round((now - oldest).total_seconds(), 1) if oldest else 0.0,
        "search_waiting": search.count(),
        "search_retrying": search.filter(args_kwargs__kwargs__attempt__gte=2).count(),
        "failed": DBTaskResult.objects.filter(status=TaskResultStatus.FAILED).count(),
    }
