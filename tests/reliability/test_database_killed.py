"""PostgreSQL connections killed while members post: a real daphne process,
started by the test against the test's own database, serves the replies
while the test terminates that server's backends with
``pg_terminate_backend`` (only those carrying the server's own
``application_name``; no other session on the machine is touched).

What members must be able to rely on: a reply that was saved is never
reported as failed, the error page says exactly what happened to what they
sent (saved, not saved, or cannot tell and check first), sending the same
form again never posts it twice, and a persistent connection the database
dropped is health-checked and replaced instead of failing the next request.
"""

import http.client
import os
import random
import re
import subprocess
import sys
import threading
import urllib.parse
import uuid

import pytest
from django.conf import settings
from django.db import connection, connections
from django.test import Client
from django.urls import reverse

from forum.models import Post
from tests.factories import make_member
from tests.forum.factories import make_category, make_thread

from .conftest import ROOT, free_port, wait_until

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="kills PostgreSQL backends with pg_terminate_backend; runs in the PostgreSQL pass of .ci/run",
    ),
]

SAVED = "was saved</strong>"
NOT_SAVED = "was not saved</strong>"
UNKNOWN = "we cannot tell whether it was saved"
REPLIES_EACH = 12
CSRF = "k" * 32  # a CSRF secret of our own: the cookie and the form field carry it


class Server:
    """daphne on a free loopback port, its connections named ``application_name``."""

    def __init__(self, application_name, log_path, **settings_env):
        db = connection.settings_dict
        self.application_name = application_name
        self.port = free_port()
        url = (
            f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
            f"?application_name={application_name}"
        )
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.reliability.server_settings",
            "DATABASE_URL": url,
            # Persistent connections, so a dropped one would be reused if it were not checked.
            "DATABASE_CONN_MAX_AGE": "60",
            **settings_env,
        }
        env.pop("REDIS_URL", None)
        # A file, not a pipe: a pipe nobody reads fills up with the logged
        # errors and blocks the server.
        self.log = open(log_path, "w+b")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(self.port)]
            + ["connect.asgi:application"],
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=self.log,
        )
        if not wait_until(self._answers, timeout=120, step=0.2):
            self.stop()
            raise RuntimeError("daphne did not start: " + self.log_tail())

    def log_tail(self, chars=3000):
        self.log.flush()
        self.log.seek(0)
        return self.log.read().decode("utf8", errors="replace")[-chars:]

    def _answers(self):
        try:
            return self.request("GET", "/healthz")[0] in (200, 503)
        except OSError:
            return False

    def request(self, method, path, data=None, cookies=None, timeout=30):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in (cookies or {}).items())}
            body = None
            if data is not None:
                body = urllib.parse.urlencode(data)
                headers["Content-Type"] = "application/x-www-form-urlencoded"
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            return response.status, response.read().decode("utf8", errors="replace")
        finally:
            conn.close()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self.log.close()


class Killer:
    """Terminates the server's backends from a connection of the test's own."""

    def __init__(self, application_name):
        import psycopg

        db = connection.settings_dict
        self.application_name = application_name
        self.conn = psycopg.connect(
            host=db["HOST"] or "127.0.0.1",
            port=db["PORT"] or 5432,
            user=db["USER"],
            dbname=db["NAME"],
            autocommit=True,
        )
        self.killed = 0

    def kill(self):
        rows = self.conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE application_name = %s AND datname = current_database() AND pid <> pg_backend_pid()",
            [self.application_name],
        ).fetchall()
        self.killed += sum(1 for (done,) in rows if done)
        return len(rows)

    def close(self):
        self.conn.close()


@pytest.fixture(scope="module")
def site(django_db_setup, tmp_path_factory):
    # One server for the module: starting daphne costs tens of seconds on a busy machine.
    application_name = f"connect-dbkill-{uuid.uuid4().hex[:12]}"
    server = Server(application_name, tmp_path_factory.mktemp("dbkill") / "daphne.log")
    killer = Killer(application_name)
    yield server, killer
    server.stop()
    killer.kill()  # anything left of the server's connections, before the database is flushed
    killer.close()


POOL_MAX_SIZE = 3


@pytest.fixture(scope="module")
def pooled_site(django_db_setup, tmp_path_factory):
    """A server whose connections come from a bounded pool (DATABASE_POOL_MAX_SIZE)."""
    application_name = f"connect-dbpool-{uuid.uuid4().hex[:12]}"
    server = Server(
        application_name,
        tmp_path_factory.mktemp("dbpool") / "daphne.log",
        DATABASE_CONN_MAX_AGE="0",
        DATABASE_POOL_MAX_SIZE=str(POOL_MAX_SIZE),
    )
    killer = Killer(application_name)
    yield server, killer
    server.stop()
    killer.kill()
    killer.close()


def _member_cookies(member):
    client = Client()
    client.force_login(member)
    return {"sessionid": client.cookies["sessionid"].value, "csrftoken": CSRF}


def _reply(server, cookies, thread, token):
    data = {"body": f"Shelter intake notes, round {token}.", "submission_token": token}
    data["csrfmiddlewaretoken"] = CSRF
    return server.request("POST", reverse("forum:reply", args=[thread.pk]), data, cookies)


def _posts(token):
    return Post.objects.filter(submission_token=token).count()


def test_settings_check_persistent_database_connections_before_reuse():
    assert settings.DATABASES["default"]["CONN_HEALTH_CHECKS"] is True


def test_post_create_with_idle_persistent_connections_killed_is_never_a_failure(site):
    server, killer = site
    member = make_member()
    thread = make_thread(author=member, category=make_category())
    cookies = _member_cookies(member)
    assert server.request("GET", reverse("forum:thread", args=[thread.pk]), cookies=cookies)[0] == 200
    for round_number in range(8):
        # The connection the last request left open is dropped by the database...
        assert killer.kill() >= 1, "the server kept no persistent connection to drop"
        # ...and the next request notices and reconnects instead of failing.
        token = f"idle-{round_number}"
        status, page = _reply(server, cookies, thread, token)
        assert status == 302, page[:2000]
        assert _posts(token) == 1


def test_post_create_with_connections_killed_mid_request_reports_truthfully_and_posts_once(site):
    server, killer = site
    posters = [make_member() for _ in range(3)]
    thread = make_thread(author=posters[0], category=make_category())
    outcomes = []  # (token, status, page)
    stop = threading.Event()

    def kill_repeatedly():
        rng = random.Random(9)
        while not stop.is_set():
            killer.kill()
            stop.wait(rng.uniform(0.05, 0.5))

    def post_replies(index, member):
        try:
            _post_replies(index, member)
        finally:
            connections.close_all()  # this thread's own, before the database is dropped

    def _post_replies(index, member):
        cookies = _member_cookies(member)
        for n in range(REPLIES_EACH):
            token = f"busy-{index}-{n}"
            try:
                status, page = _reply(server, cookies, thread, token)
            except OSError as exc:  # the connection to daphne itself is never the fault here
                status, page = -1, repr(exc)
            outcomes.append((token, status, page))

    workers = [threading.Thread(target=post_replies, args=(i, m)) for i, m in enumerate(posters)]
    killing = threading.Thread(target=kill_repeatedly)
    killing.start()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=300)
    stop.set()
    killing.join(timeout=10)
    assert not any(worker.is_alive() for worker in workers)
    assert killer.killed > 0

    failed = []
    for token, status, page in outcomes:
        assert status in (302, 500), (token, status, page[:500], server.log_tail())
        if status == 302:
            assert _posts(token) == 1, token
            continue
        failed.append(token)
        # The error page says one of three things, and it is true.
        said = [phrase for phrase in (SAVED, NOT_SAVED, UNKNOWN) if phrase in page]
        assert len(said) == 1, page[:2000]
        if said == [SAVED]:
            assert _posts(token) == 1, token
        elif said == [NOT_SAVED]:
            assert _posts(token) == 0, token  # never a saved reply reported as failed
            assert "Shelter intake notes" in page  # and the text is offered back
        else:
            assert _posts(token) <= 1, token
            assert "Shelter intake notes" in page

    # Sent again with the database calm, every reply is there exactly once.
    cookies = [_member_cookies(m) for m in posters]
    for token in failed:
        index = int(re.match(r"busy-(\d+)-", token).group(1))
        status, page = _reply(server, cookies[index], thread, token)
        assert status == 302, page[:2000]
    assert len(outcomes) == len(posters) * REPLIES_EACH
    for token, _status, _page in outcomes:
        assert _posts(token) == 1, token


def test_post_create_through_a_bounded_pool_never_opens_more_connections_than_the_pool(pooled_site):
    """Many replies at once wait for one of the pool's connections instead of
    each opening its own until PostgreSQL refuses more (the 500s of the reply
    load benchmark)."""
    server, killer = pooled_site
    posters = [make_member() for _ in range(4)]
    thread = make_thread(author=posters[0], category=make_category())
    cookies = [_member_cookies(m) for m in posters]
    outcomes, peak = [], [0]
    done = threading.Event()

    def watch_connections():
        import psycopg

        with psycopg.connect(killer.conn.info.dsn, autocommit=True) as conn:
            while not done.is_set():
                (count,) = conn.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s",
                    [killer.application_name],
                ).fetchone()
                peak[0] = max(peak[0], count)
                done.wait(0.02)

    def post(index):
        for n in range(4):
            token = f"pool-{index}-{n}"
            outcomes.append((token, _reply(server, cookies[index % len(cookies)], thread, token)[0]))

    watcher = threading.Thread(target=watch_connections)
    watcher.start()
    posting = [threading.Thread(target=post, args=(i,)) for i in range(12)]
    for t in posting:
        t.start()
    for t in posting:
        t.join(timeout=300)
    done.set()
    watcher.join(timeout=10)

    assert len(outcomes) == 48
    assert all(status == 302 for _token, status in outcomes), outcomes
    assert all(_posts(token) == 1 for token, _status in outcomes)
    assert 1 <= peak[0] <= POOL_MAX_SIZE


def test_post_create_with_pooled_connections_killed_is_never_a_failure(pooled_site):
    server, killer = pooled_site
    member = make_member()
    thread = make_thread(author=member, category=make_category())
    cookies = _member_cookies(member)
    assert server.request("GET", reverse("forum:thread", args=[thread.pk]), cookies=cookies)[0] == 200
    for round_number in range(6):
        # The idle connections waiting in the pool are dropped by the database;
        # the pool checks a connection before lending it, so the reply gets a live one.
        assert killer.kill() >= 1, "the pool kept no connection to drop"
        token = f"pooled-{round_number}"
        status, page = _reply(server, cookies, thread, token)
        assert status == 302, page[:2000]
        assert _posts(token) == 1
