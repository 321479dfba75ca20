"""The Wagtail admin's list of discussion threads, and the queue's links."""

import pytest

from forum import services
from forum.models import Flag, Post, Thread

from .factories import make_category, make_post, make_thread

pytestmark = pytest.mark.django_db

URL = "/admin/discussions/threads/"


def _rows(response):
    html = response.content.decode()
    if "<tbody>" not in html:
        return ""
    return html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]


@pytest.fixture
def threads(officer, mod, category):
    other = make_category(name="Prosecution test", slug="prosecution-test")
    plain = make_thread(author=officer, category=category, title="Screening questions for farms")
    pinned = make_thread(author=officer, category=other, title="Restitution case law roundup")
    services.thread_set_pinned(moderator=mod, thread=pinned, pinned=True)
    locked = make_thread(author=officer, category=category, title="Old protocol thread")
    services.thread_set_locked(moderator=mod, thread=locked, locked=True, reason="Outdated.")
    held = make_thread(author=officer, category=category, title="Thread with a held reply")
    reply = make_post(author=officer, thread=held)
    Post.objects.filter(pk=reply.pk).update(status=Post.Status.HELD)
    hidden = make_thread(author=officer, category=category, title="A hidden thread")
    Thread.objects.filter(pk=hidden.pk).update(is_hidden=True)
    return {
        "plain": plain,
        "pinned": pinned,
        "locked": locked,
        "held": held,
        "hidden": hidden,
        "other": other,
    }


def test_thread_list_shows_every_thread_with_links_to_its_tools(mod, client_for, threads):
    response = client_for(mod).get(URL)
    assert response.status_code == 200
    rows = _rows(response)
    for thread in threads.values():
        if isinstance(thread, Thread):
            assert thread.title in rows
            assert f'href="/admin/discussions/threads/{thread.pk}/"' in rows
            assert f'href="{thread.get_absolute_url()}"' in rows
    assert "Hidden" in rows and "Pinned" in rows and "Locked" in rows and "Held posts" in rows


@pytest.mark.parametrize("state", ["pinned", "locked", "hidden", "held"])
def test_thread_list_filters_by_state(mod, client_for, threads, state):
    rows = _rows(client_for(mod).get(URL, {"state": state}))
    assert threads[state].title in rows
    others = [t for key, t in threads.items() if key not in (state, "other")]
    assert not any(t.title in rows for t in others)


def test_thread_list_searches_titles_and_numbers_and_filters_by_category(mod, client_for, threads):
    client = client_for(mod)
    rows = _rows(client.get(URL, {"q": "restitution"}))
    assert threads["pinned"].title in rows and threads["plain"].title not in rows
    rows = _rows(client.get(URL, {"q": str(threads["locked"].pk)}))
    assert threads["locked"].title in rows
    rows = _rows(client.get(URL, {"category": threads["other"].pk}))
    assert threads["pinned"].title in rows and threads["plain"].title not in rows


def test_thread_list_leaves_out_categories_outside_the_moderators_audience(mod, le_mod, client_for, threads):
    le_only = make_category(name="LE only admin test", slug="le-only-admin", disciplines=["law_enforcement"])
    secret = make_thread(author=le_mod, category=le_only, title="Deconfliction for the operation")
    response = client_for(mod).get(URL)
    assert secret.title not in response.content.decode()
    assert "LE only admin test" not in response.content.decode()
    assert client_for(mod).get(URL, {"category": le_only.pk}).status_code == 200
    assert secret.title in _rows(client_for(le_mod).get(URL))


def test_thread_list_is_for_moderators_only(officer, client_for, threads):
    assert client_for(officer).get(URL).status_code == 404


def test_thread_list_is_in_the_moderators_admin_menu(mod, client_for):
    # Wagtail renders its menu from JSON in the page.
    body = client_for(mod).get("/admin/").content.decode()
    assert "Discussion threads" in body
    assert URL in body


def test_thread_list_queries_do_not_grow_with_the_page(mod, officer, category, client_for):
    client = client_for(mod)
    make_thread(author=officer, category=category)
    client.get(URL)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        client.get(URL)
    for _ in range(8):
        make_thread(author=officer, category=category)
    with CaptureQueriesContext(connection) as many:
        client.get(URL)
    assert len(many) == len(few)


def test_moderation_queue_links_to_an_edited_posts_history(mod, officer, client_for, thread):
    reply = make_post(author=officer, thread=thread, body="First words.")
    services.post_edit(editor=officer, post=reply, body="Better words.")
    services.flag_create(reporter=mod, post=reply, reason=Flag.Reason.OTHER, details="Check this.")
    html = client_for(mod).get("/admin/discussions/queue/").content.decode()
    assert f'href="/discussions/p/{reply.pk}/history/"' in html


def test_moderator_makes_a_thread_the_one_welcome_thread(mod, officer, category, client_for):
    first = make_thread(author=officer, category=category, title="Say hello")
    second = make_thread(author=officer, category=category, title="Introductions 2027")
    client = client_for(mod)
    client.post(f"/admin/discussions/threads/{first.pk}/", {"action": "welcome"})
    assert list(Thread.objects.filter(is_welcome=True)) == [first]
    client.post(f"/admin/discussions/threads/{second.pk}/", {"action": "welcome"})
    assert list(Thread.objects.filter(is_welcome=True)) == [second]
    assert "Welcome thread" in _rows(client.get(URL, {"q": "Introductions"}))


def test_welcome_thread_cannot_be_in_a_restricted_category(le_mod, client_for):
    le_only = make_category(name="LE only welcome", slug="le-only-welcome", disciplines=["law_enforcement"])
    thread = make_thread(author=le_mod, category=le_only, title="LE hello")
    response = client_for(le_mod).post(f"/admin/discussions/threads/{thread.pk}/", {"action": "welcome"})
    assert response.status_code == 200
    assert "every member can read" in response.content.decode()
    assert not Thread.objects.filter(is_welcome=True).exists()


def test_thread_page_and_lists_show_the_authors_initials(officer, client_for, thread):
    from connect.templatetags.avatars import initials

    client = client_for(officer)
    page = client.get(thread.get_absolute_url()).content.decode()
    assert f'aria-hidden="true">{initials(officer.display_name)}</span><a class="text-bold"' in page
    board = client.get(thread.category.get_absolute_url()).content.decode()
    assert "connect-avatar--xs" in board
