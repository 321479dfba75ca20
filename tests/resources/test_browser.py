"""Library, events and spotlights in a real browser: WCAG 2.1 AA checks and
the no-JavaScript paths (filters are links, sorting is a GET form)."""

from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.e2e.conftest import CHROMIUM, _require_browser, axe_violations, live_server_url, sign_in  # noqa: F401

pytestmark = [pytest.mark.e2e]

MEMBER = "advocate@gno.demo.example"


def _in_browser(check):
    """Run ``check(page)`` in Chromium on a thread of its own: Playwright's sync
    API refuses a thread where an asyncio loop is running, as it may be after
    the suite's async tests."""

    def run():
        from playwright.sync_api import sync_playwright

        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-gpu"]
            )
            try:
                page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
                page.set_default_timeout(20000)
                check(page)
            finally:
                browser.close()

    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(run).result()


def test_content_pages_are_accessible_and_work_without_scripts(live_server_url):  # noqa: F811
    _require_browser()

    def check(page):
        sign_in(page, live_server_url, MEMBER)
        assert "This week’s spotlight" in page.content()

        for path in ["/spotlights/", "/resources/", "/events/", "/events/?when=past", "/library/share/"]:
            page.goto(live_server_url + path)
            assert axe_violations(page) == [], path

        page.goto(live_server_url + "/resources/")
        page.get_by_role("link", name="Guide", exact=True).click()
        page.wait_for_url("**type=guide**")
        page.get_by_label("Sort by").select_option("title")
        page.get_by_role("button", name="Sort").click()
        page.wait_for_url("**sort=title**")
        assert "type=guide" in page.url
        page.locator("main .usa-collection a").first.click()
        page.wait_for_load_state()
        assert axe_violations(page) == []

        page.goto(live_server_url + "/spotlights/")
        page.locator("main .usa-collection a").first.click()
        page.wait_for_load_state()
        assert page.get_by_role("heading", level=1).is_visible()
        assert axe_violations(page) == []

        page.goto(live_server_url + "/events/")
        page.locator("main .usa-collection a").first.click()
        page.wait_for_load_state()
        assert axe_violations(page) == []

        page.goto(live_server_url + "/library/share/")
        page.get_by_role("button", name="Submit for review").click()
        page.wait_for_load_state()
        assert page.get_by_role("alert").first.is_visible()
        assert axe_violations(page) == []

    _in_browser(check)
