"""Discussions in a real browser against daphne: keyboard paths and WCAG checks.

The browser runs in a thread of its own: tests/e2e keeps its Playwright
session open for the whole run, and Playwright's sync API allows one per thread.
"""

import threading

import pytest

from tests.e2e.conftest import CHROMIUM, _require_browser, axe_violations, live_server_url, sign_in  # noqa: F401

pytestmark = pytest.mark.e2e

OFFICER = "officer@nd.demo.example"


def _in_browser(body):
    _require_browser()
    errors = []

    def run():
        from playwright.sync_api import sync_playwright

        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-gpu"]
                )
                try:
                    context = browser.new_context(viewport={"width": 1280, "height": 900})
                    page = context.new_page()
                    page.set_default_timeout(15000)
                    body(page)
                finally:
                    browser.close()
        except BaseException as exc:  # noqa: BLE001 - re-raised in the test's thread
            errors.append(exc)

    worker = threading.Thread(target=run)
    worker.start()
    worker.join()
    if errors:
        raise errors[0]


def test_member_starts_thread_is_warned_about_privacy_then_mentions_by_keyboard(live_server_url):  # noqa: F811
    _in_browser(lambda page: _start_thread_and_mention(page, live_server_url))


def _start_thread_and_mention(page, live_server_url):  # noqa: F811
    sign_in(page, live_server_url, OFFICER)
    page.goto(f"{live_server_url}/discussions/")
    assert axe_violations(page) == []
    page.get_by_role("link", name="Investigations", exact=True).click()
    assert axe_violations(page) == []
    page.get_by_role("link", name="Start a thread").click()
    page.get_by_label("Title").fill("Interview room set-up")
    page.get_by_label("First post").fill("The minor, Jane Doerr, was interviewed at 1428 Elm Street.")
    page.get_by_role("button", name="Post thread").click()
    page.get_by_role("heading", name="This may identify a victim").wait_for()
    assert page.get_by_label("Title").input_value() == "Interview room set-up"
    assert axe_violations(page) == []
    page.get_by_label("First post").fill("We set up a soft interview room with a separate entrance.")
    page.get_by_role("button", name="Post thread").click()
    page.wait_for_url("**/discussions/t/**")
    page.get_by_role("heading", name="Interview room set-up").wait_for()
    assert axe_violations(page) == []

    # Mention suggestions, by keyboard. (One sign-in per test: a TOTP code
    # can't be used twice.)
    page.goto(f"{live_server_url}/discussions/")
    page.get_by_role("link", name="Screening questions for agricultural labor cases").first.click()
    box = page.get_by_label("Your reply")
    box.click()
    box.type("Thanks @Riley")
    page.get_by_role("option").first.wait_for()
    box.press("Enter")
    assert "@riley.santangelo" in box.input_value()
    assert axe_violations(page) == []
