"""A member on a phone (390 px) and at a desktop (1280 px): reading a thread,
filtering the library, searching, finding their way, and writing with the
composer's toolbar and preview by keyboard. Every page visited is checked with
axe-core (no serious or critical violation), and on the phone for sideways
scrolling and for targets smaller than 24 by 24 CSS pixels (WCAG 2.2, 2.5.8).
"""

import re

import pytest

from tests.browser import axe_violations, sign_in

pytestmark = pytest.mark.e2e

# Different demo accounts, so that no test waits for another's two-factor window.
PHONE_MEMBER = "advocate@gno.demo.example"
DESKTOP_MEMBER = "officer@nd.demo.example"
WRITER = "analyst@cook.demo.example"

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}

# The page is wider than the window (it scrolls sideways).
SIDEWAYS = "() => document.documentElement.scrollWidth - window.innerWidth"

# Controls in the content and the header smaller than 24 x 24 CSS pixels. Links
# inside a sentence are exempt (2.5.8's inline exception), as are controls
# hidden from view and the skip link; a link alone in a list item or a post's
# action row is a target like a button.
SMALL_TARGETS = """() => {
  const controls = document.querySelectorAll(
    'main button, main .usa-button, main select, main summary, main input:not([type=hidden]),'
    + ' main .forum-post__actions a, main .usa-breadcrumb a, main nav a, main li > a:only-child,'
    + ' main a.usa-tag, header a, header button'
  );
  const small = [];
  for (const el of controls) {
    const box = el.getBoundingClientRect();
    if (!box.width || !box.height || el.closest('[hidden], .usa-sr-only, .usa-nav')) continue;
    if (getComputedStyle(el).visibility === 'hidden') continue;
    if (box.width < 24 || box.height < 24) {
      small.push(`${Math.round(box.width)}x${Math.round(box.height)} ${el.outerHTML.slice(0, 90)}`);
    }
  }
  return small;
}"""


# The same for the opened phone menu, which SMALL_TARGETS leaves out while it is collapsed.
MENU_SMALL_TARGETS = """() => {
  const small = [];
  for (const el of document.querySelectorAll('.usa-nav a, .usa-nav button')) {
    const box = el.getBoundingClientRect();
    if (!box.width || !box.height || el.closest('[hidden]')) continue;
    if (box.width < 24 || box.height < 24) {
      small.push(`${Math.round(box.width)}x${Math.round(box.height)} ${el.outerHTML.slice(0, 90)}`);
    }
  }
  return small;
}"""


class Visit:
    """Goes to pages and keeps every problem found, so a run reports them all."""

    def __init__(self, page, base_url, *, phone):
        self.page = page
        self.base_url = base_url
        self.phone = phone
        self.problems = []

    def check(self, name):
        page = self.page
        page.wait_for_load_state("load")
        for violation in axe_violations(page):
            self.problems.append(f"{name}: axe {violation}")
        if self.phone:
            if page.evaluate(SIDEWAYS) > 0:
                self.problems.append(f"{name}: scrolls sideways by {page.evaluate(SIDEWAYS)} px")
            for target in page.evaluate(SMALL_TARGETS):
                self.problems.append(f"{name}: small target {target}")

    def goto(self, path, name):
        self.page.goto(self.base_url + path)
        self.check(name)

    def assert_clean(self):
        assert self.problems == [], "\n".join(self.problems)


def _top(locator):
    return locator.bounding_box()["y"]


def _assert_mark_is_drawn_small(page, side):
    """The identifier's mark shows, at the 40 or 48 px USWDS gives it."""
    box = page.locator(".usa-identifier__logo-img").bounding_box()
    assert box is not None
    assert (round(box["width"]), round(box["height"])) == (side, side), box


def test_phone_member_reads_a_thread_filters_the_library_and_searches(page, live_server_url):
    page.set_viewport_size(PHONE)
    sign_in(page, live_server_url, PHONE_MEMBER)
    visit = Visit(page, live_server_url, phone=True)
    visit.check("home")
    _assert_mark_is_drawn_small(page, 40)

    # The unread counts are in the collapsed header, beside the Menu button.
    assert page.get_by_role("button", name="Menu").is_visible()
    bell = page.locator(".usa-navbar a[data-header-count='notifications']")
    assert bell.is_visible()
    assert re.match(r"Notifications( \d+ unread|, none unread)", bell.get_attribute("aria-label"))
    # The opened menu's links and buttons are targets of 24 by 24 px too.
    page.get_by_role("button", name="Menu").click()
    page.locator(".usa-nav.is-visible").wait_for()
    assert page.locator(".usa-nav__secondary-links a").first.is_visible()
    assert page.evaluate(MENU_SMALL_TARGETS) == []
    page.locator(".usa-nav__close").click()

    # Discussions: categories are stacked rows, not a table clipped at the edge.
    visit.goto("/discussions/", "discussions")
    row = page.locator(".forum-categories tbody tr").first
    name, threads, latest = (
        row.locator(cell) for cell in ("th", "td[data-label=Threads]", "td[data-label=Latest]")
    )
    assert _top(name) < _top(threads) < _top(latest)
    assert row.bounding_box()["width"] <= PHONE["width"]
    assert page.get_by_role("link", name="New thread").is_visible()

    # A category, then a thread in it.
    page.locator("main .forum-categories a[href*='/discussions/c/']").first.click()
    visit.check("category")
    page.locator("main .forum-threads a.usa-link[href*='/discussions/t/']").first.click()
    page.wait_for_url("**/discussions/t/**")
    visit.check("thread")
    thread_url = page.url
    # Watch, Mute and Bookmark sit in one row.
    tops = {round(_top(page.get_by_role("button", name=label, exact=True))) for label in ("Watch", "Mute")}
    tops.add(round(_top(page.locator(".forum-thread-actions button", has_text="ookmark"))))
    assert len(tops) == 1, tops
    assert page.locator(".forum-post").first.is_visible()

    # The library: the filters fold behind a "Filters" button, so results come first.
    visit.goto("/resources/", "library")
    summary = page.locator("main summary", has_text="Filters")
    guide = page.get_by_role("link", name="Guide", exact=True)
    assert summary.is_visible() and not guide.is_visible()
    first_result = page.locator("main .usa-collection__item").first
    assert _top(first_result) > _top(summary)
    summary.click()
    guide.click()
    page.wait_for_url("**type=guide**")
    visit.check("library, filtered")
    assert re.search(r"\d+ resources? match", page.get_by_role("status").first.inner_text())
    # Folded again after the choice, saying that one filter is in force.
    assert not page.locator("nav[aria-label='Filter resources'] a[aria-current]").is_visible()
    assert "1 chosen" in page.locator("main summary", has_text="Filters").inner_text()

    # Search from the search page: its button shows an icon and is named.
    visit.goto("/search/", "search")
    button = page.locator("main form[role=search] button[type=submit]")
    assert button.is_visible() and button.bounding_box()["width"] >= 24
    assert page.get_by_role("button", name="Search", exact=True).count() >= 1
    page.locator("#search-q").fill("trafficking")
    button.click()
    page.wait_for_url("**/search/?q=trafficking**")
    visit.check("search results")
    assert page.locator("main .search-results li").count() > 0
    assert page.locator("main summary", has_text="Filters").is_visible()

    for path, name in [("/members/", "directory"), ("/task-forces/", "task forces")]:
        visit.goto(path, name)
    page.goto(thread_url)
    visit.assert_clean()


def test_desktop_member_finds_their_way(page, live_server_url):
    page.set_viewport_size(DESKTOP)
    sign_in(page, live_server_url, DESKTOP_MEMBER)
    visit = Visit(page, live_server_url, phone=False)
    visit.check("home")
    _assert_mark_is_drawn_small(page, 48)
    # The content uses the page's width, not a narrow column.
    assert page.locator("main .grid-container").bounding_box()["width"] >= 1200
    # The phone header's counts are not repeated on a desktop.
    assert not page.locator(".usa-navbar a[data-header-count='notifications']").is_visible()

    # Events in the main navigation; Task forces and Suggestions under "More", by keyboard.
    nav = page.get_by_role("navigation", name="Primary navigation")
    assert nav.get_by_role("link", name="Events").is_visible()
    more = nav.get_by_role("button", name="More")
    more.focus()
    page.keyboard.press("Enter")
    assert more.get_attribute("aria-expanded") == "true"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent.trim()") == "Task forces"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent.trim()") == "Suggestions"
    page.keyboard.press("Enter")
    page.wait_for_url("**/discussions/c/suggestions/")
    visit.check("suggestions")

    # "New thread" on the discussions index lists where a thread can go.
    visit.goto("/discussions/", "discussions")
    page.get_by_role("link", name="New thread").click()
    page.wait_for_url("**/discussions/new/")
    visit.check("start a thread")
    page.locator("main .usa-collection a").first.click()
    page.wait_for_url("**/discussions/c/*/new/")
    visit.check("new thread")

    # The library's filters are open beside the results on a desktop.
    visit.goto("/resources/", "library")
    assert page.get_by_role("link", name="Guide", exact=True).is_visible()
    assert not page.locator("main summary", has_text="Filters").is_visible()

    # Breadcrumbs on task-force and profile pages.
    page.goto(live_server_url + "/task-forces/")
    page.locator("main a[href*='/task-forces/']:not([href$='/task-forces/'])").first.click()
    visit.check("task force")
    crumbs = page.get_by_role("navigation", name="Breadcrumbs")
    assert crumbs.get_by_role("link", name="Task forces").is_visible()
    page.goto(live_server_url + "/members/")
    page.locator("main a[href*='/members/']:not([href$='/members/'])").first.click()
    visit.check("member profile")
    crumbs = page.get_by_role("navigation", name="Breadcrumbs")
    assert crumbs.get_by_role("link", name="Members").is_visible()
    visit.assert_clean()


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_composer_toolbar_and_preview_by_keyboard(page, live_server_url, viewport):
    page.set_viewport_size(viewport)
    sign_in(page, live_server_url, WRITER)
    page.goto(live_server_url + "/discussions/")
    page.locator("main .forum-threads a.usa-link[href*='/discussions/t/']").first.click()
    page.wait_for_url("**/discussions/t/**")
    page.goto(re.sub(r"/t/(\d+)/.*", r"/t/\1/reply/", page.url))
    box = page.get_by_label("Your reply")
    box.focus()
    page.keyboard.type("interview checklist")
    # Control+B makes the selected words bold.
    for _ in range(len("checklist")):
        page.keyboard.press("Shift+ArrowLeft")
    page.keyboard.press("Control+b")
    assert box.input_value() == "interview **checklist**"

    # The toolbar is one tab stop before the text; the arrow keys move along it.
    page.keyboard.press("Shift+Tab")
    toolbar = page.get_by_role("toolbar", name="Formatting")
    assert page.evaluate("document.activeElement.dataset.format") == "bold"
    page.keyboard.press("End")
    assert page.evaluate("document.activeElement.dataset.format") == "quote"
    page.keyboard.press("Enter")
    assert box.input_value() == "> interview **checklist**"
    assert page.evaluate("document.activeElement.name") == "body"
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("ArrowLeft")
    assert page.evaluate("document.activeElement.dataset.format") == "list"
    assert toolbar.get_by_role("button").count() == 5

    # The preview is the server's rendering, and is announced.
    preview = page.get_by_role("button", name="Preview")
    preview.focus()
    page.keyboard.press("Enter")
    region = page.get_by_role("region", name="Preview")
    region.locator("blockquote strong").wait_for()
    assert region.locator("blockquote strong").inner_text() == "checklist"
    status = page.locator(".composer-preview-area [role=status]")
    page.wait_for_function("el => el.textContent === 'Preview updated'", arg=status.element_handle())
    # Typing keeps the open preview current.
    box.focus()
    page.keyboard.press("End")
    page.keyboard.type(" and _more_ <script>alert(1)</script>")
    region.locator("em", has_text="more").wait_for()
    # Sanitised as a posted body is: the script is shown as text, never run.
    assert region.locator("script").count() == 0
    assert axe_violations(page) == []
    if viewport is PHONE:
        assert page.evaluate(SIDEWAYS) <= 0
        assert page.evaluate(SMALL_TARGETS) == []


def test_reactions_read_naturally_and_say_who(page, live_server_url):
    page.set_viewport_size(DESKTOP)
    sign_in(page, live_server_url, WRITER)
    page.goto(live_server_url + "/profile/")
    me = page.get_by_label("Display name").input_value()
    page.goto(live_server_url + "/discussions/")
    threads = page.eval_on_selector_all(
        "main .forum-threads a.usa-link[href*='/discussions/t/']", "links => links.map(a => a.href)"
    )
    # A post the member may react to (not their own, in a thread open to them);
    # other tests leave the board in any order.
    reactable = ".forum-post:has(button[name=kind][value=helpful])"
    for url in threads:
        page.goto(url)
        if page.locator(reactable).count():
            break
    else:
        pytest.fail("no post in the recent threads can be reacted to")
    post_id = page.locator(reactable).first.get_attribute("id")

    def helpful():
        return page.locator(f"#{post_id} button[name=kind][value=helpful]")

    if helpful().get_attribute("aria-pressed") == "true":
        with page.expect_navigation():
            helpful().click()
    label = helpful().inner_text()
    count = int(label.split("·")[1]) if "·" in label else 0
    with page.expect_navigation():
        helpful().click()
    # "Helpful · 3", pressed, and described by who found it helpful.
    assert helpful().get_attribute("aria-pressed") == "true"
    assert helpful().inner_text().startswith(f"Helpful · {count + 1}")
    who = page.locator(f"#{helpful().get_attribute('aria-describedby')}")
    assert not who.is_visible()
    helpful().focus()
    assert who.is_visible()
    assert who.inner_text().startswith("Found helpful by") and me in who.inner_text()
    helpful().blur()
    helpful().hover()
    assert who.is_visible()
    assert axe_violations(page) == []
