"""Section 508 sweep: every member-facing page in a real browser.

Each page is checked with axe-core (WCAG 2.1 A/AA, serious and critical) and
with a few structural rules axe does not enforce on its own: exactly one h1,
a language on <html>, a distinct <title> that names the page, a label on every
form field and no skipped heading levels. Each account signs in once per test
(sign-in needs a fresh two-factor code), so one test per role walks its pages
in a loop. Links are followed from the demo data, never guessed by id.
"""

import re

import pytest

from tests.browser import axe_violations, sign_in

pytestmark = pytest.mark.e2e

MEMBER = "prosecutor@pbc.demo.example"
MODERATOR = "moderator@cook.demo.example"

STRUCTURE = """() => {
  const visible = (el) => !el.closest('[hidden], [aria-hidden="true"]');
  const fields = [...document.querySelectorAll('input, select, textarea')].filter(
    (el) => !['hidden', 'submit', 'button', 'reset', 'image'].includes(el.type)
  );
  const unlabelled = fields
    .filter((el) => !(el.labels && el.labels.length) && !el.getAttribute('aria-label')
      && !el.getAttribute('aria-labelledby') && !el.title)
    .map((el) => el.name || el.id || el.outerHTML.slice(0, 80));
  const skips = [];
  let previous = 0;
  for (const h of document.querySelectorAll('h1, h2, h3, h4, h5, h6')) {
    if (!visible(h)) continue;
    const level = Number(h.tagName[1]);
    if (level > previous + 1) skips.push(`h${previous} -> h${level} "${h.textContent.trim().slice(0, 50)}"`);
    previous = level;
  }
  return {
    h1: document.querySelectorAll('h1').length,
    lang: document.documentElement.getAttribute('lang'),
    title: document.title.trim(),
    unlabelled,
    skips,
  };
}"""


# Tabs through the page's controls and lists those that show no focus indicator.
FOCUS_WALK = """async () => {
  const unmarked = [];
  const seen = new Set();
  const focusables = [...document.querySelectorAll(
    'a[href], button, input:not([type=hidden]), select, textarea, [tabindex]:not([tabindex="-1"])'
  )].filter((el) => el.offsetParent !== null && !el.disabled);
  for (const el of focusables.slice(0, 60)) {
    el.focus({focusVisible: true});
    if (document.activeElement !== el || seen.has(el)) continue;
    seen.add(el);
    const style = getComputedStyle(el);
    const outlined = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0;
    if (!outlined && style.boxShadow === 'none') {
      unmarked.push(el.outerHTML.slice(0, 100));
    }
  }
  return unmarked;
}"""


# Elements that stick out past the right edge of the window, outside any
# container that scrolls on its own (a data table may scroll within its box).
OVERFLOW = """() => {
  if (document.documentElement.scrollWidth <= window.innerWidth) return [];
  const scrolls = (el) => ['auto', 'scroll'].includes(getComputedStyle(el).overflowX);
  return [...document.body.querySelectorAll('*')]
    .filter((el) => el.getBoundingClientRect().right > window.innerWidth + 1)
    .filter((el) => {
      for (let p = el.parentElement; p; p = p.parentElement) if (scrolls(p)) return false;
      return true;
    })
    .slice(-3)
    .map((el) => el.outerHTML.slice(0, 120));
}"""


class Sweep:
    """Checks pages one by one and keeps every problem, so a run reports them all."""

    def __init__(self, page, base_url, titles):
        self.page = page
        self.base_url = base_url
        self.titles = titles
        self.problems = []

    def goto(self, path, name=None, *, same_title_as=None):
        self.page.goto(self.base_url + path)
        self.check(name or path, same_title_as=same_title_as)

    def check(self, name, *, same_title_as=None):
        page = self.page
        page.wait_for_load_state("load")
        where = f"{name} ({page.url.removeprefix(self.base_url)})"
        for violation in axe_violations(page, impact=("minor", "moderate", "serious", "critical")):
            self.problems.append(f"{where}: axe {violation}")
        facts = page.evaluate(STRUCTURE)
        if facts["h1"] != 1:
            self.problems.append(f"{where}: {facts['h1']} h1 elements")
        if not facts["lang"]:
            self.problems.append(f"{where}: <html> has no lang")
        page_name = facts["title"].split(" | ")[0].strip()
        if not page_name or page_name == "Task Force Connect" and not name.startswith("landing"):
            self.problems.append(f"{where}: title {facts['title']!r} does not name the page")
        key = same_title_as or name
        owner = self.titles.setdefault(facts["title"], key)
        if owner != key:
            self.problems.append(f"{where}: title {facts['title']!r} is also the title of {owner}")
        for field in facts["unlabelled"]:
            self.problems.append(f"{where}: field without a label: {field}")
        for skip in facts["skips"]:
            self.problems.append(f"{where}: heading level skipped: {skip}")

    def href(self, selector):
        return self.page.locator(selector).first.get_attribute("href")

    def follow(self, selector, name):
        self.page.locator(selector).first.click()
        self.page.wait_for_load_state("load")
        self.check(name)

    def assert_clean(self):
        assert self.problems == [], "\n".join(self.problems)


@pytest.fixture(scope="module")
def titles():
    return {}


def test_public_pages(page, live_server_url, titles):
    sweep = Sweep(page, live_server_url, titles)
    sweep.goto("/", "landing")
    sweep.goto("/accounts/login/", "login")
    page.get_by_label("Email").fill("nobody@example.org")
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state("load")
    sweep.check("login, with errors", same_title_as="login")
    sweep.goto("/join/request/", "request an account")
    # Fields about the person say what they are for, so they can be filled in for them.
    for name, token in [("first_name", "given-name"), ("last_name", "family-name"), ("email", "email")]:
        assert page.locator(f"main input[name={name}]").get_attribute("autocomplete") == token, name
    page.get_by_role("button", name="Send request").click()
    page.locator("#form-errors").wait_for(state="visible")
    sweep.check("request an account, with errors", same_title_as="request an account")
    sweep.goto("/privacy/", "privacy")
    sweep.goto("/terms/", "terms")
    sweep.goto("/accounts/password/reset/", "password reset")
    page.get_by_role("button").filter(has_text=re.compile("reset", re.I)).first.click()
    sweep.check("password reset, with errors", same_title_as="password reset")
    # A signed-out visitor to an unknown address is sent to sign in (the site is
    # private), so the not-found page is checked in the member sweep.
    sweep.assert_clean()

    page.set_viewport_size({"width": 320, "height": 800})
    for path in ["/", "/accounts/login/", "/join/request/", "/privacy/", "/accounts/password/reset/"]:
        page.goto(live_server_url + path)
        assert page.evaluate(OVERFLOW) == [], path


def test_moderator_pages_and_keyboard(page, live_server_url, titles):
    sign_in(page, live_server_url, MODERATOR)
    sweep = Sweep(page, live_server_url, titles)
    page.goto(live_server_url + "/discussions/")
    page.locator("main a[href*='/discussions/c/']").first.click()
    page.locator("main a[href*='/discussions/t/']").first.click()
    page.wait_for_load_state("load")
    sweep.check("thread (moderator)", same_title_as="thread")
    thread_path = page.url.removeprefix(live_server_url)
    # A mention leaves the member swept next with an unread notification, so the
    # header's notification count is checked too.
    page.goto(live_server_url + re.sub(r"/t/(\d+)/.*", r"/t/\1/reply/", thread_path))
    page.locator("textarea[name=body]").fill("Thanks, @jordan.okafor.bell this checklist helps.")
    page.get_by_role("button", name="Post reply").click()
    page.wait_for_url("**/discussions/t/**")
    page.goto(live_server_url + thread_path)
    page.locator("main a[href*='/edit/']").first.click()
    sweep.check("edit post (moderator)", same_title_as="edit post")
    box = page.locator("textarea[name=body]")
    box.fill(box.input_value() + "\n\nEdited for clarity.")
    page.get_by_role("button", name="Save changes").click()
    page.get_by_role("alert").first.wait_for()
    sweep.check("edit post (moderator), with errors", same_title_as="edit post")
    page.locator("textarea[name=reason]").fill("Clarified the wording.")
    page.get_by_role("button", name="Save changes").click()
    page.wait_for_url("**/discussions/t/**")
    sweep.follow("main a[href*='/history/']", "post history")
    page.goto(live_server_url + "/discussions/notifications/")
    sweep.check("notifications (moderator)", same_title_as="notifications")

    # Keyboard: the skip link comes first and focus is visible.
    page.goto(live_server_url + "/discussions/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent.trim()") == "Skip to main content"
    page.keyboard.press("Tab")
    outline = page.evaluate(
        "(() => { const s = getComputedStyle(document.activeElement);"
        " return [s.outlineStyle, parseFloat(s.outlineWidth)]; })()"
    )
    assert outline[0] != "none" and outline[1] > 0, outline

    # Every control reached by Tab shows where focus is (2.4.7), on a long form too.
    for path in ["/discussions/", "/discussions/settings/email/", "/profile/"]:
        page.goto(live_server_url + path)
        unmarked = page.evaluate(FOCUS_WALK)
        assert unmarked == [], (path, unmarked)

    # Content reflows at 320 CSS pixels without scrolling sideways (1.4.10).
    page.set_viewport_size({"width": 320, "height": 800})
    wide = []
    narrow = ["/", "/discussions/", thread_path, "/members/", "/resources/", "/events/"]
    narrow += ["/search/?q=trafficking", "/discussions/notifications/", "/discussions/settings/email/"]
    narrow += ["/profile/", "/task-forces/", "/library/share/", "/library/calendar/", "/accounts/2fa/"]
    for index, selector in [
        ("/spotlights/", "main .usa-collection a"),
        ("/resources/", "main .usa-collection a"),
        ("/events/", "main .usa-collection a"),
        ("/members/", "main a[href*='/members/']:not([href$='/members/'])"),
        ("/task-forces/", "main a[href*='/task-forces/']:not([href$='/task-forces/'])"),
    ]:
        page.goto(live_server_url + index)
        narrow.append(index)
        narrow.append(page.locator(selector).first.get_attribute("href"))
    for path in narrow:
        page.goto(live_server_url + path)
        overflow = page.evaluate(OVERFLOW)
        if overflow:
            wide.append((path, overflow))
    assert wide == [], "\n".join(f"{path}: {elements}" for path, elements in wide)

    # At a narrow width the menu opens from the keyboard and its links are reachable.
    page.set_viewport_size({"width": 400, "height": 800})
    page.goto(live_server_url + "/discussions/")
    for _ in range(10):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.classList.contains('usa-menu-btn')"):
            break
    else:
        pytest.fail("the Menu button cannot be reached with Tab")
    page.keyboard.press("Enter")
    assert page.locator("nav.usa-nav").is_visible()
    reached = []
    for _ in range(6):
        page.keyboard.press("Tab")
        reached.append(page.evaluate("document.activeElement.textContent.trim()"))
    assert "Discussions" in reached and "Members" in reached, reached
    sweep.check("discussions (narrow)", same_title_as="discussions")
    sweep.assert_clean()


def test_member_pages(page, live_server_url, titles):
    sign_in(page, live_server_url, MEMBER)
    sweep = Sweep(page, live_server_url, titles)
    sweep.check("home")

    # Discussions.
    sweep.goto("/discussions/", "discussions")
    sweep.follow("main a[href*='/discussions/c/']", "category")
    category_url = page.url
    sweep.follow("main a:text-is('Start a thread')", "new thread")
    page.get_by_role("button", name="Post thread").click()
    page.get_by_role("alert").first.wait_for()
    sweep.check("new thread, with errors", same_title_as="new thread")
    page.goto(category_url)
    sweep.follow("main a[href*='/discussions/t/']", "thread")
    thread_url = page.url
    reply = re.sub(r"/t/(\d+)/.*", r"/t/\1/reply/", thread_url)
    page.goto(reply)
    page.get_by_role("button", name="Post reply").click()
    page.get_by_role("alert").first.wait_for()
    sweep.check("reply, with errors")
    # A reply of the member's own gives a post they may edit.
    page.get_by_label("Your reply").fill("Our office uses the same checklist for intake interviews.")
    page.get_by_role("button", name="Post reply").click()
    page.wait_for_url("**/discussions/t/**")
    thread_url = page.url
    sweep.follow("main a[href*='/edit/']", "edit post")
    page.goto(thread_url)
    sweep.follow("main a[href*='/delete/']", "delete post")
    page.goto(thread_url)
    sweep.follow("main a[href*='/flag/']", "flag post")
    sweep.goto("/discussions/notifications/", "notifications")
    sweep.goto("/discussions/bookmarks/", "bookmarks")
    sweep.goto("/discussions/settings/email/", "email settings")
    page.goto(live_server_url + "/discussions/")
    page.locator("main a[href*='/discussions/c/']", has_text=re.compile("suggestion", re.I)).first.click()
    sweep.follow("main a:text-is('Most votes')", "suggestions by votes")
    sweep.follow("main a:text-is('Make a suggestion')", "new suggestion")

    # Members and task forces.
    sweep.goto("/members/", "member directory")
    page.get_by_label("Discipline").select_option("victim_services")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url("**discipline=victim_services**")
    sweep.check("member directory, filtered", same_title_as="member directory")
    sweep.follow("main a[href*='/members/']:not([href$='/members/'])", "member profile")
    sweep.goto("/profile/", "profile edit")
    page.get_by_label("Display name").fill(" ")
    page.get_by_role("button", name="Save profile").click()
    page.get_by_role("alert").first.wait_for()
    sweep.check("profile edit, with errors", same_title_as="profile edit")
    sweep.goto("/task-forces/", "task forces")
    sweep.follow("main a[href*='/task-forces/']:not([href$='/task-forces/'])", "task force")

    # Search, with and without hits.
    page.get_by_label("Search Task Force Connect").fill("trafficking")
    page.get_by_label("Search Task Force Connect").press("Enter")
    page.wait_for_url("**/search/**")
    sweep.check("search results", same_title_as="search")
    assert page.locator("main a[href*='/discussions/'], main a[href*='/resources/']").count() > 0
    sweep.goto("/search/?q=zqxjvwk", "search")

    # Spotlights, resources, sharing and events.
    sweep.goto("/spotlights/", "spotlights")
    sweep.follow("main .usa-collection a", "spotlight")
    sweep.goto("/resources/", "resources")
    page.get_by_role("link", name="Guide", exact=True).click()
    page.wait_for_url("**type=guide**")
    sweep.check("resources, filtered", same_title_as="resources")
    sweep.follow("main .usa-collection a", "resource")
    sweep.goto("/library/share/", "share a resource")
    page.get_by_role("button", name="Submit for review").click()
    page.get_by_role("alert").first.wait_for()
    sweep.check("share a resource, with errors", same_title_as="share a resource")
    sweep.goto("/library/my-shares/", "my shares")
    sweep.goto("/events/", "events")
    sweep.goto("/events/?when=past", "events, past")
    page.goto(live_server_url + "/events/")
    sweep.follow("main .usa-collection a", "event")
    sweep.goto("/library/calendar/", "calendar settings")

    # Account security.
    sweep.goto("/accounts/2fa/", "two-factor authentication")
    mfa_links = page.eval_on_selector_all(
        "main a[href^='/accounts/2fa/']", "links => [...new Set(links.map(a => a.getAttribute('href')))]"
    )
    for href in mfa_links:
        page.goto(live_server_url + href)
        # Sensitive steps first ask for the password again: that is one page.
        confirm = "reauthenticate/" in page.url
        sweep.check(href, same_title_as="confirm access" if confirm else None)
    sweep.goto("/accounts/password/change/", "change password")
    sweep.goto("/no-such-page/", "not found")
    sweep.assert_clean()


def test_menu_reachable_when_signed_out_at_narrow_width(page, live_server_url):
    page.set_viewport_size({"width": 400, "height": 800})
    page.goto(live_server_url + "/accounts/login/")
    menu = page.get_by_role("button", name="Menu")
    menu.focus()
    page.keyboard.press("Enter")
    assert page.get_by_role("link", name="Request an account").first.is_visible()
