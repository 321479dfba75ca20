"""Signed out after 30 minutes idle while writing: the reply is not lost."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.browser import sign_in

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
MEMBER = "prosecutor@pbc.demo.example"
TEXT = "We added a second interpreter to every interview after the last case; it halved the delays."

AGE_SESSION = """
import sys, time
from django.contrib.sessions.backends.db import SessionStore
session = SessionStore(session_key=sys.argv[-1])
assert session.exists(sys.argv[-1])
session["connect_last_seen"] = time.time() - 31 * 60
session.save()
"""


def _age_session(tmp_path_factory, session_key):
    """Make the live server's session 31 minutes idle, as if the member had
    left the tab open (the server's own database and secret, in its var dir)."""
    (var_dir,) = tmp_path_factory.getbasetemp().glob("e2e-var[0-9]*")
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "connect.settings.dev", "CONNECT_VAR_DIR": str(var_dir)}
    env.pop("DATABASE_URL", None)
    env.pop("REDIS_URL", None)
    subprocess.run([sys.executable, "-c", _SCRIPT, session_key], env=env, cwd=ROOT, check=True, timeout=120)


_SCRIPT = "import django; django.setup(); exec(" + repr(AGE_SESSION) + ")"


def test_reply_sent_after_the_idle_timeout_is_offered_back_after_signing_in(
    page, live_server_url, tmp_path_factory
):
    sign_in(page, live_server_url, MEMBER)
    page.goto(f"{live_server_url}/discussions/")
    page.get_by_role("link", name="Screening questions for agricultural labor cases").first.click()
    thread_url = page.url
    page.get_by_label("Your reply").fill(TEXT)
    (cookie,) = [c for c in page.context.cookies() if c["name"] == "sessionid"]
    _age_session(tmp_path_factory, cookie["value"])

    page.get_by_role("button", name="Post reply").click()
    page.wait_for_url("**/accounts/login/**")
    page.get_by_text("You were signed out after 30 minutes without activity").wait_for()

    sign_in(page, live_server_url, MEMBER)
    page.goto(thread_url)
    page.locator("#main-content [data-draft-message]").wait_for()
    assert page.get_by_label("Your reply").input_value() == TEXT

    page.get_by_role("button", name="Post reply").click()
    page.wait_for_url("**/discussions/t/**")
    page.get_by_text(TEXT[:40]).first.wait_for()
