"""The membership pages in a real browser: sign-in with two factors, the
pages a member uses first, keyboard paths and WCAG 2.1 AA checks."""

import pytest
from playwright.sync_api import expect

from tests.browser import axe_violations, sign_in

pytestmark = [pytest.mark.e2e]

MEMBER = "officer@nd.demo.example"


def test_public_pages_have_no_serious_accessibility_violations(page, live_server_url):
    for path in ["/", "/accounts/login/", "/join/request/", "/privacy/", "/terms/"]:
        page.goto(live_server_url + path)
        assert axe_violations(page) == [], path


def test_skip_link_is_first_and_moves_focus_to_main(page, live_server_url):
    page.goto(live_server_url + "/accounts/login/")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.textContent.trim()")
    assert focused == "Skip to main content"
    page.keyboard.press("Enter")
    assert page.evaluate("location.hash") == "#main-content"


def test_request_form_keeps_input_and_explains_errors(page, live_server_url):
    page.goto(live_server_url + "/join/request/")
    page.get_by_label("First name").fill("Quinn")
    page.get_by_role("button", name="Send request").click()
    page.locator("#form-errors").wait_for(state="visible")
    assert page.get_by_role("alert").first.is_visible()
    assert page.get_by_label("First name").input_value() == "Quinn"
    assert axe_violations(page) == []


def test_member_signs_in_with_totp_and_uses_the_directory(page, live_server_url):
    sign_in(page, live_server_url, MEMBER)
    assert page.get_by_role("heading", level=1).inner_text().startswith("Welcome")
    assert axe_violations(page) == []

    page.get_by_role("link", name="Members", exact=True).first.click()
    page.wait_for_url("**/members/")
    assert axe_violations(page) == []
    page.get_by_label("Discipline").select_option("victim_services")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url("**discipline=victim_services**")
    page.wait_for_load_state("load")
    assert "Riley Santangelo" in page.content()
    assert "Dana Whitfield" not in page.locator("main ul").first.inner_text()

    page.get_by_role("link", name="Riley Santangelo", exact=True).click()
    # The initials avatar beside the name is hidden from assistive technology,
    # so the heading is announced as the name alone.
    expect(page.get_by_role("heading", level=1)).to_have_accessible_name("Riley Santangelo")
    assert axe_violations(page) == []


def test_profile_edit_renders_markup_inert(page, live_server_url):
    sign_in(page, live_server_url, "analyst@cook.demo.example")
    page.goto(live_server_url + "/profile/")
    assert axe_violations(page) == []
    page.get_by_label("Short bio").fill('<img src=x onerror="window.__pwned=1"> hello')
    page.get_by_role("button", name="Save profile").click()
    assert page.evaluate("window.__pwned === undefined")
    assert "<img src=x" in page.locator("main").inner_text()
