"""Private messages in a real browser: two members in two browser contexts
exchange messages live, and the reader's unread count updates without a reload.
The writer formats the first message by keyboard and previews it."""

import pytest

from tests.browser import axe_violations, sign_in

pytestmark = [pytest.mark.e2e]

WRITER = "advocate@gno.demo.example"  # Riley Santangelo
READER = "analyst@cook.demo.example"  # Sam Delacroix-Ito


def test_two_members_exchange_messages_live(browser, live_server_url):
    reader_context = browser.new_context(viewport={"width": 1280, "height": 1600})
    writer_context = browser.new_context(viewport={"width": 1280, "height": 1600})
    try:
        reader = reader_context.new_page()
        writer = writer_context.new_page()
        for page in (reader, writer):
            page.set_default_timeout(20000)
        sign_in(reader, live_server_url, READER)
        sign_in(writer, live_server_url, WRITER)

        reader.goto(f"{live_server_url}/messages/")
        reader.evaluate("window.__notReloaded = true")
        # The header shows the link twice (the phone bar and the full menu).
        reader.locator('.usa-nav a[aria-label="Messages, none unread"]').wait_for()
        reader.wait_for_timeout(1000)  # the inbox socket is open

        writer.goto(f"{live_server_url}/messages/new/")
        writer.get_by_label("Find a member by name").fill("Sam")
        writer.get_by_role("button", name="Find").click()
        writer.get_by_role("link", name="Add Sam Delacroix-Ito").click()
        writer.get_by_label("Subject").fill("Data sharing agreement")
        # The composer's toolbar and preview, by keyboard: Control+B makes the
        # selected word bold, and the preview is the server's rendering, announced.
        writer.get_by_role("toolbar", name="Formatting").wait_for()
        box = writer.locator("#id_body")
        box.focus()
        writer.keyboard.type("Could you send me the template")
        for _ in range(len("template")):
            writer.keyboard.press("Shift+ArrowLeft")
        writer.keyboard.press("Control+b")
        writer.keyboard.press("End")
        writer.keyboard.type(" you use?")
        assert box.input_value() == "Could you send me the **template** you use?"
        writer.keyboard.press("Shift+Tab")
        assert writer.evaluate("document.activeElement.dataset.format") == "bold"
        assert writer.get_by_role("toolbar", name="Formatting").get_by_role("button").count() == 5
        writer.get_by_role("button", name="Preview").focus()
        writer.keyboard.press("Enter")
        region = writer.get_by_role("region", name="Preview")
        region.locator("strong", has_text="template").wait_for()
        status = writer.locator(".composer-preview-area [role=status]")
        writer.wait_for_function("el => el.textContent === 'Preview updated'", arg=status.element_handle())
        assert axe_violations(writer) == []
        writer.get_by_role("button", name="Send").click()
        writer.locator("[data-conversation-socket]").wait_for()

        # The reader's header count and inbox update live, in the full menu and
        # beside the Menu button, where a phone shows it with the menu collapsed.
        reader.locator('.usa-nav a[aria-label="Messages 1 unread"]').wait_for()
        phone_bar = reader.locator('.usa-navbar a[data-header-count="messages"]')
        assert phone_bar.get_attribute("aria-label") == "Messages 1 unread"
        assert phone_bar.locator(".usa-tag").inner_text() == "1"
        reader.get_by_role("link", name="Data sharing agreement", exact=True).wait_for()
        assert reader.evaluate("window.__notReloaded") is True

        reader.get_by_role("link", name="Data sharing agreement", exact=True).click()
        reader.locator("[data-conversation-socket]").wait_for()
        reader.evaluate("window.__notReloaded = true")
        reader.wait_for_timeout(1000)
        writer.locator("#conversation-seen", has_text="Seen by 1").wait_for()
        writer.locator("#conversation-messages strong", has_text="template").wait_for()
        assert writer.get_by_role("toolbar", name="Formatting").is_visible()

        writer.locator("#id_body").fill("Thanks in advance.")
        writer.get_by_role("button", name="Send").click()
        reader.locator("#conversation-messages li", has_text="Thanks in advance.").wait_for()
        assert reader.evaluate("window.__notReloaded") is True

        # The writer's page was reloaded by sending (no JavaScript needed to send): let its socket open.
        writer.wait_for_load_state("load")
        writer.wait_for_timeout(1000)
        reader.locator("#id_body").fill("Sending it this afternoon.")
        writer.locator("#conversation-typing", has_text="Sam Delacroix-Ito is writing").wait_for()
        reader.get_by_role("button", name="Send").click()
        writer.locator("#conversation-messages li", has_text="Sending it this afternoon.").wait_for()

        # The pages pass axe (WCAG 2.1 A/AA, serious and critical), live content included.
        assert axe_violations(writer) == []
        for path in ("/messages/", "/messages/new/?q=Sam", "/messages/settings/"):
            writer.goto(live_server_url + path)
            assert axe_violations(writer) == [], path
    finally:
        reader_context.close()
        writer_context.close()
