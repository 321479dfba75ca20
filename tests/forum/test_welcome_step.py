"""The welcome thread step of the home page's first-visit welcome."""

import pytest

from forum.models import Thread
from forum.services import post_create

from .factories import make_category, make_thread

pytestmark = pytest.mark.django_db


def _welcome(client):
    html = client.get("/").content.decode()
    if 'id="welcome-heading"' not in html:
        return None
    return html.split('id="welcome-heading"', 1)[1].split("</section>", 1)[0]


@pytest.fixture
def welcome_thread(mod, category):
    thread = make_thread(author=mod, category=category, title="Introduce yourself here")
    Thread.objects.filter(pk=thread.pk).update(is_welcome=True)
    return thread


def test_welcome_links_to_the_welcome_thread_until_the_member_posts_there(
    officer, client_for, welcome_thread, django_capture_on_commit_callbacks
):
    client = client_for(officer)
    panel = _welcome(client)
    step = panel.split("Introduce yourself", 1)[1].split("</li>", 1)[0]
    assert f'href="{welcome_thread.get_absolute_url()}"' in panel
    assert "(not done yet)" in step
    assert "0 of 3 done" in panel

    with django_capture_on_commit_callbacks(execute=True):
        post_create(author=officer, thread=welcome_thread, body="Hello, I investigate labor cases in Fargo.")
    step = _welcome(client).split("Introduce yourself", 1)[1].split("</li>", 1)[0]
    assert "(done)" in step


def test_a_post_elsewhere_does_not_tick_the_welcome_step(officer, client_for, welcome_thread, category):
    make_thread(author=officer, category=category, title="Another thread")
    assert "1 of 3 done" not in _welcome(client_for(officer))


def test_welcome_thread_the_member_may_not_see_offers_no_step(advocate, le_mod, client_for):
    le_only = make_category(name="LE welcome", slug="le-welcome", disciplines=["law_enforcement"])
    thread = make_thread(author=le_mod, category=le_only, title="LE introductions")
    Thread.objects.filter(pk=thread.pk).update(is_welcome=True)
    panel = _welcome(client_for(advocate))
    assert "Introduce yourself" not in panel
    assert "LE introductions" not in panel


def test_demo_seed_marks_one_pinned_welcome_thread():
    from django.core.management import call_command

    call_command("seed_demo", stdout=open("/dev/null", "w"))
    call_command("seed_demo", stdout=open("/dev/null", "w"))
    welcome = Thread.objects.get(is_welcome=True)
    assert welcome.is_pinned
    assert welcome.category.slug == "task-force-operations"
    assert welcome.category.allowed_disciplines == [] and welcome.category.allowed_roles == []


def test_the_welcome_step_is_cached_until_the_board_changes(
    officer, mod, client_for, welcome_thread, django_assert_max_num_queries
):
    client = client_for(officer)
    assert "Introduce yourself here" in _welcome(client)
    # Served from the member's cached step: neither the welcome thread nor
    # their posts are asked again.
    with django_assert_max_num_queries(20) as counted:
        _welcome(client)
    sql = " ".join(query["sql"] for query in counted.captured_queries)
    assert '"is_welcome"' not in sql
    # A renamed welcome thread (a save: the board's generation moves) shows at once.
    welcome_thread.title = "Say hello to the network"
    welcome_thread.is_welcome = True  # the fixture set it with an update, not on this object
    welcome_thread.save()
    assert "Say hello to the network" in _welcome(client)


def test_a_new_welcome_thread_is_offered_at_once(officer, mod, client_for, category):
    client = client_for(officer)
    assert _welcome(client) is None or "Introduce yourself" not in _welcome(client)
    thread = make_thread(author=mod, category=category, title="Welcome, newcomers")
    thread.is_welcome = True
    thread.save()
    assert "Welcome, newcomers" in _welcome(client)
