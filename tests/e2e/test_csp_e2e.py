"""Under the Content-Security-Policy, pages still run their scripts: USWDS, the
mention suggestions, the two-factor pages and the Wagtail admin, with not a
single violation reported by the browser."""

import pytest

from tests.browser import sign_in

pytestmark = pytest.mark.e2e

MEMBER = "advocate@gno.demo.example"
MODERATOR = "moderator@cook.demo.example"


class Watch:
    """Collects what the browser refused under the policy and any script error."""

    def __init__(self, page):
        self.page = page
        self.problems = []
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.problems.append(f"{page.url}: script error {error}"))

    def _console(self, message):
        text = message.text
        if message.type == "error" and ("Content Security Policy" in text or "Refused to" in text):
            self.problems.append(f"{self.page.url}: {text}")

    def visit(self, url):
        self.page.goto(url)
        self.page.wait_for_load_state("load")

    def assert_uswds_ran(self):
        state = self.page.evaluate(
            "() => ({present: window.uswdsPresent === true,"
            " loading: document.documentElement.classList.contains('usa-js-loading')})"
        )
        assert state == {"present": True, "loading": False}, self.page.url


def test_public_and_member_pages_run_their_scripts_without_violations(page, live_server_url):
    watch = Watch(page)
    for path in ("/", "/accounts/login/", "/join/request/", "/privacy/"):
        watch.visit(live_server_url + path)
        watch.assert_uswds_ran()
    sign_in(page, live_server_url, MEMBER)
    for path in (
        "/",
        "/discussions/",
        "/members/",
        "/search/?q=protocol",
        "/resources/",
        "/events/",
        "/profile/",
    ):
        watch.visit(live_server_url + path)
        watch.assert_uswds_ran()
    watch.visit(live_server_url + "/discussions/")
    page.locator("main a[href*='/discussions/c/']").first.click()
    page.locator("main a[href*='/discussions/t/']").first.click()
    page.wait_for_load_state("load")
    watch.assert_uswds_ran()
    # forum.js, an ES module from static/js, sets up mention suggestions on the reply box.
    textarea = page.locator("textarea[name=body]").first
    if textarea.count():
        textarea.wait_for()
        assert textarea.get_attribute("aria-autocomplete") == "list"
    watch.visit(live_server_url + "/accounts/2fa/")
    watch.assert_uswds_ran()
    assert watch.problems == []


def test_wagtail_admin_loads_its_own_scripts_under_its_policy(page, live_server_url):
    watch = Watch(page)
    sign_in(page, live_server_url, MODERATOR)
    watch.visit(live_server_url + "/admin/")
    assert page.evaluate("() => typeof window.jQuery === 'function' && typeof window.wagtail === 'object'")
    # The sidebar is drawn by the admin's own JavaScript.
    page.locator("#wagtail-sidebar button, #wagtail-sidebar a").first.wait_for(state="attached")
    watch.visit(live_server_url + "/admin/pages/")
    edit_link = page.locator("a[href*='/admin/pages/'][href$='/edit/']").first
    edit_link.wait_for()
    edit_link.click()
    page.wait_for_load_state("load")
    page.locator("form[data-edit-form], form#page-edit-form").first.wait_for()
    watch.visit(live_server_url + "/admin/documents/")
    assert watch.problems == []
