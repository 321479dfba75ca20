"""The TTA pages in a real browser, with the demo data: axe-core and the
structural rules of the accessibility sweep, for staff and a coordinator."""

import pytest

from tests.browser import sign_in
from tests.e2e.test_accessibility_sweep import Sweep

pytestmark = pytest.mark.e2e

STAFF = "admin@wdny.demo.example"
COORDINATOR = "coordinator@wdny.demo.example"


@pytest.fixture
def titles():
    # Per test: staff and the coordinator may open the same request.
    return {}


def test_staff_pages(page, live_server_url, titles):
    sign_in(page, live_server_url, STAFF)
    sweep = Sweep(page, live_server_url, titles)
    sweep.goto("/assistance/queue/", "TTA queue")
    page.get_by_label("Kind").select_option("training")
    page.get_by_role("button", name="Show requests").click()
    page.wait_for_url("**kind=training**")
    sweep.check("TTA queue, filtered", same_title_as="TTA queue")
    sweep.follow("main a[href*='/assistance/requests/']", "request (staff)")
    page.get_by_role("button", name="Add note").click()
    page.wait_for_load_state("load")
    sweep.check("request, note with errors", same_title_as="request (staff)")
    sweep.goto("/assistance/queue/?status=closed", "TTA queue, closed", same_title_as="TTA queue")
    sweep.follow("main a[href*='/assistance/requests/']", "delivered request (staff)")
    sweep.goto("/assistance/report/", "TTA program report")
    assert page.locator("svg[role=img]").count() == 1
    sweep.goto("/assistance/", "assistance (staff)")
    sweep.assert_clean()


def test_coordinator_pages(page, live_server_url, titles):
    sign_in(page, live_server_url, COORDINATOR)
    sweep = Sweep(page, live_server_url, titles)
    sweep.check("home (coordinator)")
    sweep.goto("/assistance/", "assistance")
    sweep.goto("/assistance/new/", "ask for assistance")
    page.get_by_role("button", name="Send the request").click()
    page.get_by_role("alert").first.wait_for()
    sweep.check("ask for assistance, with errors", same_title_as="ask for assistance")
    sweep.goto("/assistance/", "assistance", same_title_as="assistance")
    sweep.follow("main a[href*='/assistance/requests/']", "request")
    sweep.goto("/assistance/", "assistance", same_title_as="assistance")
    if page.locator("main a[href*='/assistance/visits/']").count():
        sweep.follow("main a[href*='/assistance/visits/']", "visit")
    sweep.assert_clean()


TRAINER = "trainer@wdny.demo.example"


def test_staff_admin_pages(page, live_server_url):
    """What a TTA trainer (staff, not a moderator) sees of the Wagtail admin:
    axe-core on the lists, a filtered list and a request's and a visit's pages."""
    from tests.browser import axe_violations

    sign_in(page, live_server_url, TRAINER)
    found = {}
    page.goto(live_server_url + "/admin/")
    assert page.get_by_role("link", name="TTA requests").count() or page.locator("text=TTA program").count()
    found["admin home"] = axe_violations(page)
    page.goto(live_server_url + "/admin/tta_requests/")
    found["TTA requests"] = axe_violations(page)
    page.goto(live_server_url + "/admin/tta_requests/?status=received")
    found["TTA requests, received"] = axe_violations(page)
    page.locator("a[href*='/admin/tta_requests/inspect/']").first.click()
    page.wait_for_load_state("load")
    assert page.get_by_role("button", name="Mark triaged").count() == 1
    found["request (admin)"] = axe_violations(page)
    page.goto(live_server_url + "/admin/tta_visits/")
    found["visits"] = axe_violations(page)
    page.locator("a[href*='/admin/tta_visits/inspect/']").first.click()
    page.wait_for_load_state("load")
    found["visit (admin)"] = axe_violations(page)
    # The rest of the admin does not exist for staff.
    response = page.goto(live_server_url + "/admin/pages/")
    assert response.status == 404
    # Wagtail's own filter button names itself "Filter" while it shows the
    # number of filters in use; that markup is Wagtail's, not this app's.
    wagtail_own = "label-content-name-mismatch (serious): Elements must have their visible text"
    found = {
        name: [
            v for v in violations if not (v.startswith(wagtail_own) and "w-slim-header-action-button" in v)
        ]
        for name, violations in found.items()
    }
    assert {name: v for name, v in found.items() if v} == {}
