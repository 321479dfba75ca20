"""Browser-test fixtures and helpers: a real daphne server on loopback with demo data, and
Debian's Chromium driven by Playwright.

The server runs in its own process against its own SQLite database under a
temporary CONNECT_VAR_DIR, exactly as `make run` would serve it. tests/conftest.py
registers the fixtures once for the whole suite, so every browser test, in
whatever directory, shares one server and one Chromium; test modules import only
the helpers (sign_in, axe_violations).
"""

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
AXE = ROOT / "static" / "vendor" / "axe" / "axe.min.js"


LIVE_SERVER = {}


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _require_browser():
    if CHROMIUM is None or not AXE.exists():
        if os.environ.get("CI"):
            pytest.fail("Chromium and static/vendor/axe are required in CI (make browser assets)")
        pytest.skip("Chromium or axe-core missing: run `make browser assets`")


@pytest.fixture(scope="session")
def live_server_url(tmp_path_factory, migrated_site):
    _require_browser()
    var_dir = tmp_path_factory.mktemp("e2e-var")
    # Journeys that follow an emailed link read the server's mail files here.
    LIVE_SERVER["var_dir"] = var_dir
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "connect.settings.dev",
        "CONNECT_VAR_DIR": str(var_dir),
        "WHITENOISE_USE_FINDERS": "1",
        # The worker's notifications reach open pages at the sockets' re-check
        # when the channel layer is in memory (no Redis here): keep it short.
        "FORUM_LIVE_RECHECK_SECONDS": "2",
    }
    # The e2e server always uses its own SQLite file and in-memory layer.
    env.pop("DATABASE_URL", None)
    env.pop("REDIS_URL", None)
    manage = [sys.executable, str(ROOT / "manage.py")]
    migrated_site(var_dir)
    subprocess.run([*manage, "seed_demo"], env=env, check=True, cwd=ROOT, capture_output=True)
    # As `make run` does: the worker beside daphne delivers emails and keeps the
    # search index current (the seed's own index entries are tasks too).
    subprocess.run([*manage, "db_worker", "--batch", "--no-startup-delay"], env=env, check=True, cwd=ROOT)
    worker = subprocess.Popen(
        [*manage, "db_worker", "--interval", "0.2", "--no-reload", "--no-startup-delay"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "connect.asgi:application"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    # A busy two-core machine can take well over half a minute to import everything.
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=2) as response:  # noqa: S310
                if response.status == 200:
                    break
        except OSError:
            time.sleep(0.2)
    else:
        server.kill()
        worker.kill()
        raise RuntimeError("daphne did not start: " + server.stderr.read().decode()[-2000:])
    yield url
    for process in (server, worker):
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture(scope="session")
def browser():
    _require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15000)
    yield page
    context.close()


def axe_violations(page, *, impact=("serious", "critical")):
    """WCAG 2.1 A/AA violations axe-core finds on the current page."""
    # Loaded from the server's static files like any script of ours: the
    # Content-Security-Policy refuses inline scripts, which path= would inject.
    page.add_script_tag(url="/static/vendor/axe/axe.min.js")
    result = page.evaluate(
        """async () => await axe.run(document, {
            runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}
        })"""
    )
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
        for v in result["violations"]
        if v["impact"] in impact
    ]


# The server refuses a two-factor code a second time for the same account, so
# each account signs in at most once per 30-second window.
_last_window = {}


def totp_code(secret, account=None):
    from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value

    # A code read in the last seconds of its 30-second window may be stale by
    # the time a busy server checks it: wait for the next window instead.
    if 30 - time.time() % 30 < 5 or _last_window.get(account) == int(time.time()) // 30:
        time.sleep(30 - time.time() % 30 + 0.1)
    window = int(time.time()) // 30
    if account is not None:
        _last_window[account] = window
    return format_hotp_value(hotp_value(secret, window))


def sign_in(page, base_url, email):
    """Sign in as a demo account: password, then the two-factor code."""
    from connect.demo import DEMO_PASSWORD, DEMO_TOTP_SECRET

    page.goto(f"{base_url}/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/accounts/2fa/authenticate/**")
    code_input = page.locator("input[name=code]")
    code_input.fill(totp_code(DEMO_TOTP_SECRET, account=email))
    page.locator("form button[type=submit]").first.click()
    page.wait_for_url(f"{base_url}/")
