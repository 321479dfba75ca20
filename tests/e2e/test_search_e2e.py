"""The search page and the header box's suggestions in a real browser, on the demo data."""

import re

import pytest

from tests.browser import axe_violations, sign_in

pytestmark = pytest.mark.e2e

MEMBER = "prosecutor@pbc.demo.example"


def test_header_suggestions_are_keyboard_usable_and_accessible(page, live_server_url):
    sign_in(page, live_server_url, MEMBER)
    box = page.locator("#header-search")
    box.click()
    box.press_sequentially("protoc", delay=30)
    listbox = page.locator("#header-search-listbox")
    listbox.wait_for(state="visible")
    assert box.get_attribute("role") == "combobox"
    assert box.get_attribute("aria-expanded") == "true"
    options = listbox.get_by_role("option")
    assert options.count() >= 1
    assert "Protocol development checklists" in listbox.inner_text()
    assert re.search(r"\d+ suggestions?\.", page.locator("#header-search-status").inner_text())

    box.press("ArrowDown")
    active = box.get_attribute("aria-activedescendant")
    assert active and page.locator(f"#{active}").get_attribute("aria-selected") == "true"
    assert page.evaluate("document.activeElement.id") == "header-search"
    assert axe_violations(page) == []

    box.press("Escape")
    assert not listbox.is_visible() and box.get_attribute("aria-expanded") == "false"
    box.press("ArrowDown")
    target = page.locator(f"#{box.get_attribute('aria-activedescendant')}").get_attribute("data-url")
    box.press("Enter")
    page.wait_for_url(f"**{target}")


def test_search_page_keeps_the_query_and_passes_axe(page, live_server_url):
    sign_in(page, live_server_url, MEMBER)
    page.goto(f"{live_server_url}/search/?q=protocol+checklists")
    assert page.locator("#header-search").input_value() == "protocol checklists"
    assert page.locator("#search-q").input_value() == "protocol checklists"
    assert page.locator(".search-hit").count() >= 1
    assert page.locator(".search-hit mark").count() >= 1
    assert page.get_by_text(re.compile(r"\d+ results? for “protocol checklists”")).is_visible()
    assert axe_violations(page) == []
    # Filters are plain links: no script needed.
    page.get_by_role("navigation", name="Kinds of results").get_by_role("link").first.click()
    assert "kind=" in page.url
