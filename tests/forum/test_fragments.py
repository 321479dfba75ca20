"""The discussions index, a category's thread list and the home page's recent
discussions are served from a per-member cache (connect.fragments): every
write that changes what they show is seen on the next page view, and no
member is ever served another's copy."""

import pytest

from connect.models import Discipline
from forum import services

from .factories import make_post, make_thread

pytestmark = pytest.mark.django_db


def page(client, url):
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def test_a_cached_page_costs_fewer_queries(client_for, officer, category, django_assert_max_num_queries):
    make_thread(author=officer, category=category, title="Screening questions")
    client = client_for(officer)
    page(client, "/discussions/")
    with django_assert_max_num_queries(3):  # the session, the bell's unread kinds… nothing for the lists
        assert "Screening questions" in page(client, "/discussions/")


@pytest.mark.parametrize("url", ["/discussions/", "/discussions/c/open-test/", "/"])
def test_a_new_thread_shows_at_once(client_for, officer, advocate, category, url):
    make_thread(author=advocate, category=category, title="Older thread")
    client = client_for(officer)
    assert "Older thread" in page(client, url)
    make_thread(author=advocate, category=category, title="Interview rooms")
    assert "Interview rooms" in page(client, url)


@pytest.mark.parametrize("url", ["/discussions/", "/discussions/c/open-test/", "/"])
def test_a_hidden_thread_leaves_at_once(client_for, officer, advocate, mod, category, url):
    thread = make_thread(author=advocate, category=category, title="Doxxing attempt")
    client = client_for(officer)
    assert "Doxxing attempt" in page(client, url)
    # Hiding its first post hides the thread.
    services.post_hide(moderator=mod, post=thread.first_post, reason="Personal details")
    assert "Doxxing attempt" not in page(client, url)


def test_a_reply_moves_the_reply_count_at_once(client_for, officer, advocate, category):
    thread = make_thread(author=advocate, category=category, title="Shelter beds")
    client = client_for(officer)
    assert "0 replies" in page(client, "/discussions/c/open-test/")
    make_post(author=advocate, thread=thread)
    assert "1 reply" in page(client, "/discussions/c/open-test/")


def test_reading_a_thread_drops_its_new_tag(client_for, officer, advocate, category):
    thread = make_thread(author=advocate, category=category, title="Hotline hours")
    client = client_for(officer)
    assert "connect-new" in page(client, "/discussions/")
    page(client, thread.get_absolute_url())
    assert "connect-new" not in page(client, "/discussions/")


def test_watching_a_category_shows_at_once(client_for, officer, category):
    client = client_for(officer)
    assert "Watching</span>" not in page(client, "/discussions/")
    services.category_watch_toggle(user=officer, category=category)
    assert "Watching</span>" in page(client, "/discussions/")


def test_members_never_share_a_cached_page(client_for, officer, advocate, category, le_category):
    make_thread(author=officer, category=le_category, title="Warrant templates")
    officer_client, advocate_client = client_for(officer), client_for(advocate)
    for url in ("/discussions/", "/"):
        assert "Warrant templates" in page(officer_client, url)
        assert "Warrant templates" not in page(advocate_client, url)
        assert "LE only test" not in page(advocate_client, "/discussions/")


def test_losing_a_restricted_category_drops_it_at_once(client_for, officer, le_category):
    make_thread(author=officer, category=le_category, title="Warrant templates")
    client = client_for(officer)
    assert "Warrant templates" in page(client, "/discussions/")
    assert "Warrant templates" in page(client, "/")
    profile = officer.profile
    profile.discipline = Discipline.PROSECUTION
    profile.save()
    assert "Warrant templates" not in page(client, "/discussions/")
    assert "Warrant templates" not in page(client, "/")
