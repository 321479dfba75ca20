"""The search index locked by another process: saving does not wait, the
update is owed (and /healthz says so), and it is made once the lock is free."""

import subprocess
import sys
import time

import pytest
from django.test import Client
from modelsearch.backends import get_search_backend

from spotlights.models import SpotlightIndexPage, SpotlightPage
from tests.spotlights.conftest import make_spotlight

from .conftest import fast_forward_retries, run_worker

pytestmark = pytest.mark.django_db

HOLD_LOCK = """
import os, sys
from whoosh.filedb.filestore import FileStorage
# The writers' lock of the generation searches read (see search.backends.whoosh).
current = open(os.path.join(sys.argv[1], "CURRENT")).read().strip()
lock = FileStorage(os.path.join(sys.argv[1], current)).lock("modelsearch_WRITELOCK")
assert lock.acquire(blocking=False)
print("locked", flush=True)
sys.stdin.read()
"""


@pytest.fixture
def index_path(settings, tmp_path):
    path = tmp_path / "locked-index"
    settings.WAGTAILSEARCH_BACKENDS = {
        "default": {"BACKEND": "search.backends.whoosh", "PATH": str(path), "LOCK_TIMEOUT": 0.2}
    }
    get_search_backend().get_index_for_model(SpotlightPage).reset()  # exists before anyone locks it
    return path


def _found(word):
    return [page.pk for page in get_search_backend().search(word, SpotlightPage)]


def test_search_index_update_with_index_locked_by_another_process_is_made_after_release(
    index_path, durable_tasks, task_force
):
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(index_path)], stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )
    try:
        assert holder.stdout.readline().strip() == b"locked"
        started = time.monotonic()
        page = make_spotlight(SpotlightIndexPage.objects.get(), task_force, title="Zanzibarite outreach")
        assert time.monotonic() - started < 5  # a save only writes task rows

        run_worker()
        assert _found("Zanzibarite") == []
        health = Client().get("/healthz").json()
        assert health["checks"]["search_index"] == "degraded"
        assert health["tasks"]["search_retrying"] >= 1
    finally:
        holder.stdin.close()
        holder.wait(timeout=10)

    fast_forward_retries()
    run_worker()
    assert _found("Zanzibarite") == [page.pk]
    assert Client().get("/healthz").json()["checks"]["search_index"] == "ok"


def test_reply_saved_while_the_index_is_locked_is_findable_after_release_and_its_mention_delivered(
    settings, tmp_path, durable_tasks, task_force
):
    """The measured fault: a reply saved while another process held the index
    lock took 20 s and was never indexed. Now the reply only writes task rows;
    the worker indexes it once the lock is free, and the @mention it carries is
    delivered by the same queue."""
    from forum.models import Category, Post
    from forum.services import handle_for
    from notifications.models import Notification
    from tests.factories import make_member
    from tests.forum.factories import make_post, make_thread

    path = tmp_path / "locked-forum-index"
    settings.WAGTAILSEARCH_BACKENDS = {
        "default": {"BACKEND": "search.backends.whoosh", "PATH": str(path), "LOCK_TIMEOUT": 0.2}
    }
    get_search_backend().get_index_for_model(Post).reset()
    author, mentioned = make_member(task_force=task_force), make_member(task_force=task_force)
    thread = make_thread(author=author, category=Category.objects.create(name="Open room", slug="open-room"))
    run_worker()
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(path)], stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )
    try:
        assert holder.stdout.readline().strip() == b"locked"
        started = time.monotonic()
        reply = make_post(
            author=author, thread=thread, body=f"Quetzalcoatl protocol, @{handle_for(mentioned)}"
        )
        assert time.monotonic() - started < 5
        run_worker()
        assert [p.pk for p in get_search_backend().search("Quetzalcoatl", Post)] == []
    finally:
        holder.stdin.close()
        holder.wait(timeout=10)

    fast_forward_retries()
    run_worker()
    assert [p.pk for p in get_search_backend().search("Quetzalcoatl", Post)] == [reply.pk]
    assert Notification.objects.filter(recipient=mentioned).count() == 1


def test_search_index_later_owes_one_update_for_a_burst_of_replies_to_one_thread(durable_tasks, task_force):
    from django_tasks_db.models import DBTaskResult

    from connect.tasks import search_index_update
    from forum import services
    from forum.models import Thread
    from tests.factories import make_member
    from tests.forum.factories import make_category, make_thread

    author = make_member()
    thread = make_thread(author=author, category=make_category(), title="Quillback referral thread")
    for n in range(3):
        services.post_create(author=author, thread=thread, body=f"Reply {n} about Quillback referrals.")

    # Members and task forces are indexed too; count only the forum's updates.
    updates = [
        row.args_kwargs["args"]
        for row in DBTaskResult.objects.filter(task_path=search_index_update.module_path, status="READY")
        if row.args_kwargs["args"][0] == "forum"
    ]
    assert updates.count(["forum", "thread", str(thread.pk)]) == 1  # whatever the number of replies
    assert len(updates) == 1 + 4  # and one for each post

    run_worker()
    found = get_search_backend().search("Quillback", Thread)
    assert [t.pk for t in found] == [thread.pk]


def test_replies_during_a_rebuild_are_searchable_at_once_in_one_batch_and_after_the_swap(
    durable_tasks, task_force
):
    """A rebuild writes a new index of its own: replies saved meanwhile are
    applied to the live index by one batched write (no lock wait), searchable
    within the worker's pass, and still there after the rebuild swaps in."""
    from django_tasks_db.models import DBTaskResult

    from connect.tasks import search_index_update
    from forum.models import Post, Thread
    from tests.factories import make_member
    from tests.forum.factories import make_category, make_post, make_thread

    author = make_member(task_force=task_force)
    thread = make_thread(author=author, category=make_category(), title="Sandpiper coordination")
    run_worker()
    backend = get_search_backend()
    index = backend.get_index_for_model(Thread)
    index.start_rebuild()
    index.add_items(Thread, list(Thread.objects.all()))
    try:
        replies = [make_post(author=author, thread=thread, body=f"Sandpiper note {n}") for n in range(12)]
        run_worker()
        found = {p.pk for p in get_search_backend().search("sandpiper", Post)}
        assert {r.pk for r in replies} <= found
        updates = DBTaskResult.objects.filter(task_path=search_index_update.module_path)
        # One task applied the others' updates with its own, in one commit.
        assert updates.filter(return_value="applied in a batch").count() >= 10
        assert not updates.filter(status="READY").exists()
    finally:
        index.finish_rebuild()
    found = {p.pk for p in get_search_backend().search("sandpiper", Post)}
    assert {r.pk for r in replies} <= found  # replayed into the new index: none lost
