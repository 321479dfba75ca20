"""A real worker (`manage.py db_worker`) killed with SIGKILL in the middle of
a reply's side effects, then restarted: every notification, email and search
entry the reply owes exists exactly once.

The site is its own (an SQLite file, as `make run` has it) and its mail goes
to the test's own SMTP listener, which holds the first delivery at RCPT so
the worker is killed while a delivery is under way."""

import json
import os
import signal
import subprocess
import time

from .conftest import ROOT, site_shell, wait_until

REPLY = """
import json
from tests.factories import make_member
from tests.forum.factories import make_category, make_thread
from forum.services import handle_for, post_create
author = make_member()
mentioned = [make_member() for _ in range(3)]
thread = make_thread(author=author, category=make_category())
body = "Quokkafield screening checklist for " + ", ".join("@" + handle_for(m) for m in mentioned)
post = post_create(author=author, thread=thread, body=body)
print(json.dumps({"post": post.pk, "thread": thread.pk, "emails": [m.email for m in mentioned]}))
"""

STATE = """
import json
from django.contrib.contenttypes.models import ContentType
from django_tasks_db.models import DBTaskResult
from modelsearch.backends import get_search_backend
from connect.models import DeliveredEmail
from forum.models import Post
from notifications.models import Notification
post = Post.objects.get(pk={post})
mentions = Notification.objects.filter(
    kind="mention", target_type=ContentType.objects.get_for_model(Post), target_id=post.pk
)
statuses = {{}}
for row in DBTaskResult.objects.exclude(task_path="connect.tasks.tasks_housekeeping"):
    statuses.setdefault(row.status, []).append(row.task_path)
print(json.dumps({{
    "mentioned": sorted(n.recipient.email for n in mentions),
    "email_states": sorted(n.email_state for n in mentions),
    "delivered": sorted(DeliveredEmail.objects.filter(
        key__in=[f"notification:{{n.pk}}" for n in mentions]).values_list("key", flat=True)),
    "found": [p.pk for p in get_search_backend().search("Quokkafield", Post)],
    "statuses": statuses,
}}))
"""

FAN_OUT_AGAIN = """
from forum.tasks import post_fan_out
post_fan_out.enqueue({post}, True, [])
"""


def _worker(env, *extra):
    return [*env[1], "db_worker", "--no-startup-delay", "--no-reload", "-v0", *extra]


def _run_batch(worker_site):
    env, _ = worker_site
    subprocess.run(_worker(worker_site, "--batch"), env=env, cwd=ROOT, check=True, timeout=180)


def test_db_worker_killed_mid_reply_side_effects_delivers_each_exactly_once(worker_site, smtp):
    env, _ = worker_site
    smtp.start()
    smtp.stall.set()  # the first delivery waits at RCPT until the worker is dead
    reply = json.loads(site_shell(worker_site, REPLY))

    worker = subprocess.Popen(_worker(worker_site, "--interval", "0.1"), env=env, cwd=ROOT)
    try:
        assert smtp.stalled.wait(timeout=120), "the worker never reached the mail server"
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(timeout=10)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait(timeout=10)
    smtp.stall.clear()
    assert smtp.messages == []
    killed = json.loads(site_shell(worker_site, STATE.format(post=reply["post"])))
    # What the dead worker left behind: the delivery it was making, marked running.
    assert killed["statuses"].get("RUNNING") == ["connect.tasks.email_deliver"]
    assert killed["mentioned"] == sorted(reply["emails"])

    time.sleep(1.2)  # past CONNECT_TASK_STALE_SECONDS: the next worker requeues it
    _run_batch(worker_site)
    # The fan-out runs a second time, as it would for a worker killed after
    # notifying and before recording the task as done: nobody hears twice.
    site_shell(worker_site, FAN_OUT_AGAIN.format(post=reply["post"]))
    _run_batch(worker_site)
    assert wait_until(lambda: len(smtp.messages) >= 3, timeout=10)

    state = json.loads(site_shell(worker_site, STATE.format(post=reply["post"])))
    assert state["mentioned"] == sorted(reply["emails"])  # three notifications, one each
    assert state["email_states"] == ["sent"] * 3
    assert len(state["delivered"]) == 3
    for address in reply["emails"]:
        assert sum(f"To: {address}" in message for message in smtp.messages) == 1, address
    assert len(smtp.messages) == 3
    assert state["found"] == [reply["post"]]  # indexed, once
    assert set(state["statuses"]) == {"SUCCESSFUL"}, state["statuses"]
