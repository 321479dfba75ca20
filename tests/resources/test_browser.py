"""Library, events and spotlights in a real browser: WCAG 2.1 AA checks and
the no-JavaScript paths (filters are links, sorting is a GET form)."""

import pytest

from tests.browser import axe_violations, sign_in

pytestmark = [pytest.mark.e2e]

MEMBER = "advocate@gno.demo.example"


def test_content_pages_are_accessible_and_work_without_scripts(page, live_server_url):
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
