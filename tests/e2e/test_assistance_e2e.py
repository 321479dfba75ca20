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
