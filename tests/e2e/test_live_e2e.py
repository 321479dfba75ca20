"""Live discussions in a real browser: a reply from one member appears on another
member's open thread page without a reload, and is announced politely; when the
reply mentions the reader, the header's notification count goes up without a
reload too."""

import re
from urllib.parse import unquote

import pytest
from playwright.sync_api import expect

from tests.browser import sign_in

pytestmark = [pytest.mark.e2e]

READER = "officer@nd.demo.example"
WRITER = "prosecutor@pbc.demo.example"
THREAD = "Screening questions for agricultural labor cases"
READER_HANDLE = "dana.whitfield"  # the demo officer, Dana Whitfield
# The full menu's link; the phone bar beside the Menu button repeats it (PHONE_BELL).
BELL = 'header .usa-nav a[data-header-count="notifications"]'
PHONE_BELL = '.usa-navbar a[data-header-count="notifications"]'


def _unread(page):
    tag = page.locator(f"{BELL} .usa-tag")
    return int(tag.text_content()) if tag.count() else 0


def _open_thread(page, base_url):
    page.goto(f"{base_url}/discussions/")
    page.get_by_role("link", name=re.compile("Labor trafficking", re.I)).first.click()
    page.get_by_role("link", name=THREAD).first.click()
    page.locator("[data-live-thread]").wait_for()


def test_thread_page_shows_a_reply_from_another_member_without_reloading(browser, live_server_url):
    reader_context = browser.new_context(viewport={"width": 1280, "height": 2400})
    writer_context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        reader = reader_context.new_page()
        writer = writer_context.new_page()
        for page in (reader, writer):
            page.set_default_timeout(15000)
        sign_in(reader, live_server_url, READER)
        sign_in(writer, live_server_url, WRITER)
        _open_thread(reader, live_server_url)
        reader.evaluate("window.__notReloaded = true")
        # The socket is open once the page has the viewers' list or its ready message.
        reader.wait_for_timeout(1000)

        _open_thread(writer, live_server_url)
        unread_before = _unread(reader)
        text = f"@{READER_HANDLE} our wage-deduction worksheet is in the resource library now."
        writer.locator("#reply-heading ~ form textarea").fill(text)
        writer.get_by_role("button", name="Post reply").click()
        writer.wait_for_load_state("load")

        reader.locator(".forum-posts li", has_text="our wage-deduction worksheet").wait_for()
        assert reader.evaluate("window.__notReloaded") is True
        reader.wait_for_function(
            "document.getElementById('live-region').textContent.includes('New reply posted')"
        )
        # The live region announced it without moving focus into the posts.
        assert reader.evaluate("document.activeElement === document.body")

        # The mention becomes a notification (saved by the worker) and the bell follows.
        expect(reader.locator(f"{BELL} .usa-tag")).to_have_text(str(unread_before + 1), timeout=15000)
        label = f"Notifications {unread_before + 1} unread"
        expect(reader.locator(BELL)).to_have_attribute("aria-label", label)
        expect(reader.locator(f"{PHONE_BELL} .usa-tag")).to_have_text(str(unread_before + 1))
        expect(reader.locator(PHONE_BELL)).to_have_attribute("aria-label", label)
        # Polling a string predicate would need eval, which the page's CSP refuses.
        expect(reader.locator("#live-region")).to_contain_text("New notification")
        assert reader.evaluate("window.__notReloaded") is True
    finally:
        reader_context.close()
        writer_context.close()


def test_signing_out_in_another_tab_stops_live_updates_and_sends_the_next_link_to_sign_in(
    browser, live_server_url
):
    context = browser.new_context(viewport={"width": 1280, "height": 1200})
    try:
        reader = context.new_page()
        reader.set_default_timeout(15000)
        sign_in(reader, live_server_url, "coordinator@wdny.demo.example")
        _open_thread(reader, live_server_url)
        reader.wait_for_timeout(1000)  # both sockets open

        other_tab = context.new_page()
        other_tab.goto(f"{live_server_url}/")
        other_tab.get_by_role("button", name="Sign out").first.click()
        other_tab.wait_for_load_state("load")

        # The open page hears of it at once (4401) and says so, without reloading.
        notice = reader.locator("[data-live-status]")
        expect(notice).to_contain_text("Your session has ended")
        expect(reader.locator("#live-region")).to_contain_text("Your session has ended")
        # The next link the reader follows goes to sign in, and back here afterwards.
        reader.get_by_role("link", name="Discussions").first.click()
        reader.wait_for_url("**/accounts/login/?next=*")
        assert "/discussions/t/" in unquote(reader.url)
    finally:
        context.close()
