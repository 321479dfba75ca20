"""The words survive in the browser: a reply sent with a stale CSRF token comes back."""

import pytest

from tests.browser import axe_violations, sign_in

pytestmark = pytest.mark.e2e

MEMBER = "prosecutor@pbc.demo.example"
TEXT = "Our office now meets every referring agency within a week; here is how we set it up."


def test_reply_sent_with_a_stale_csrf_token_is_kept_and_offered_back(page, live_server_url):
    sign_in(page, live_server_url, MEMBER)
    page.goto(f"{live_server_url}/discussions/")
    page.get_by_role("link", name="Screening questions for agricultural labor cases").first.click()
    thread_url = page.url
    box = page.get_by_label("Your reply")
    box.fill(TEXT)
    # As if the page had been open across a sign-in elsewhere: its token no
    # longer matches the browser's CSRF cookie.
    page.context.clear_cookies(name="csrftoken")
    page.get_by_role("button", name="Post reply").click()

    page.get_by_role("heading", name="The form could not be sent").wait_for()
    assert TEXT in page.locator("textarea[readonly]").first.input_value()
    assert axe_violations(page) == []

    page.goto(thread_url)
    page.locator("#main-content [data-draft-message]").wait_for()
    assert page.get_by_label("Your reply").input_value() == TEXT
    assert axe_violations(page) == []

    page.get_by_role("button", name="Post reply").click()
    page.wait_for_url("**/discussions/t/**")
    page.get_by_text(TEXT[:40]).first.wait_for()
    page.goto(thread_url)
    assert page.get_by_label("Your reply").input_value() == ""
    assert page.locator("#main-content [data-draft-message]").count() == 0
