"""The thread page is served from the member's cached copy (forum.views.thread,
connect.fragments): every write that changes what the page shows is seen on
the next view, the permission rules are asked on every request, forms carry
the request's own CSRF token and no member is ever served another's copy."""

import pytest
from django.test import Client

from connect import fragments
from connect.models import Discipline, Role
from connect.services import member_set_role
from forum import services
from forum.models import Flag, Suspension

from .factories import make_post, make_thread

pytestmark = pytest.mark.django_db


def page(client, url, status=200):
    response = client.get(url)
    assert response.status_code == status
    return response.content.decode()


def warm(client, url):
    # The first view marks the posts read (its copy is built before that, with
    # the "New" tags); the second builds the copy the third one is served from.
    page(client, url)
    return page(client, url)


@pytest.fixture
def reader_client(client_for, advocate, thread):
    client = client_for(advocate)
    warm(client, thread.get_absolute_url())
    return client


def test_a_cached_thread_page_costs_two_queries(reader_client, thread, django_assert_num_queries):
    # The session and the thread itself (its row is asked on every request: the
    # visibility rule and the cache key both read it); nothing for the posts.
    with django_assert_num_queries(2):
        html = page(reader_client, thread.get_absolute_url())
    assert "A first post about protocols." in html


def test_a_new_reply_shows_at_once(reader_client, officer, thread):
    make_post(author=officer, thread=thread, body="Interview rooms open at nine.")
    assert "Interview rooms open at nine." in page(reader_client, thread.get_absolute_url())


def test_an_edit_shows_at_once(reader_client, officer, thread):
    services.post_edit(editor=officer, post=thread.first_post, body="Screening starts with consent.")
    html = page(reader_client, thread.get_absolute_url())
    assert "Screening starts with consent." in html
    assert "A first post about protocols." not in html


def test_a_hidden_post_leaves_at_once(reader_client, officer, mod, thread):
    reply = make_post(author=officer, thread=thread, body="A name that should not be here.")
    assert "A name that should not be here." in page(reader_client, thread.get_absolute_url())
    services.post_hide(moderator=mod, post=reply, reason="Personal details")
    html = page(reader_client, thread.get_absolute_url())
    assert "A name that should not be here." not in html
    assert "A post was removed by a moderator." in html


def test_a_reaction_shows_at_once(client_for, reader_client, officer, advocate, mod, thread):
    url = thread.get_absolute_url()
    assert "Helpful · 1" not in page(reader_client, url)
    services.reaction_toggle(user=mod, post=thread.first_post, kind="helpful")
    html = page(reader_client, url)
    assert "Helpful · 1" in html
    assert mod.display_name in html


def test_a_role_change_shows_at_once(reader_client, advocate, thread, administrator):
    url = thread.get_absolute_url()
    assert "Moderator tools" not in page(reader_client, url)
    member_set_role(user=advocate, role=Role.MODERATOR, by=administrator)
    assert "Moderator tools" in page(reader_client, url)
    member_set_role(user=advocate, role=Role.MEMBER, by=administrator)
    assert "Moderator tools" not in page(reader_client, url)


def test_losing_a_restricted_category_is_a_404_at_once(client_for, officer, le_category):
    thread = make_thread(author=officer, category=le_category, title="Warrant templates")
    client = client_for(officer)
    assert "Warrant templates" in warm(client, thread.get_absolute_url())
    profile = officer.profile
    profile.discipline = Discipline.PROSECUTION
    profile.save()
    page(client, thread.get_absolute_url(), status=404)


def test_a_suspension_closes_the_reply_form_at_once(reader_client, advocate, mod, thread):
    url = thread.get_absolute_url()
    assert "Post reply" in page(reader_client, url)
    services.member_suspend(moderator=mod, user=advocate, reason="Cooling off", days=1)
    html = page(reader_client, url)
    assert "Post reply" not in html
    assert "Your account is suspended" in html
    assert ">Helpful<" not in html  # no reaction buttons either
    services.suspension_lift(moderator=mod, suspension=Suspension.objects.get(user=advocate))
    assert "Post reply" in page(reader_client, url)


def test_an_authors_new_name_shows_at_once(reader_client, officer, thread):
    profile = officer.profile
    profile.display_name = "Sergeant Renamed"
    profile.save()
    assert "Sergeant Renamed" in page(reader_client, thread.get_absolute_url())


def test_watching_and_bookmarking_show_at_once(reader_client, advocate, thread):
    url = thread.get_absolute_url()
    assert "Stop watching" not in page(reader_client, url)
    services.thread_subscription_set(user=advocate, thread=thread, level="watching")
    assert "Stop watching" in page(reader_client, url)
    assert "Remove bookmark" not in page(reader_client, url)
    services.bookmark_toggle(user=advocate, thread=thread)
    assert "Remove bookmark" in page(reader_client, url)


def test_new_tags_show_at_once(reader_client, mod, thread):
    services.thread_tags_set(moderator=mod, thread=thread, tags=["shelters"])
    assert "?tag=shelters" in page(reader_client, thread.get_absolute_url())


def test_a_new_flag_shows_to_moderators_at_once(client_for, officer, advocate, mod, thread):
    client = client_for(mod)
    url = thread.get_absolute_url()
    assert "open flag" not in warm(client, url)
    Flag.objects.create(post=thread.first_post, reporter=advocate, reason=Flag.Reason.SPAM)
    assert "1 open flag" in page(client, url)


def test_forms_carry_the_requests_csrf_token(advocate, thread):
    url = thread.get_absolute_url()
    # Two browsers of one member share the cached copy, never a token.
    for _ in range(2):
        client = Client(enforce_csrf_checks=True)
        client.force_login(advocate)
        warm(client, url)
        html = page(client, url)
        assert fragments.csrf_marker() not in html
        # The bookmark button comes from the cached copy.
        response = client.post(f"/discussions/t/{thread.pk}/bookmark/", {"csrfmiddlewaretoken": _token(html)})
        assert response.status_code == 302


def _token(html):
    marker = 'name="csrfmiddlewaretoken" value="'
    start = html.index(marker) + len(marker)
    return html[start : html.index('"', start)]


def test_members_never_share_a_cached_thread_page(client_for, officer, advocate, thread):
    reply = make_post(author=advocate, thread=thread, body="My own words.")
    officer_client, advocate_client = client_for(officer), client_for(advocate)
    url = thread.get_absolute_url()
    warm(officer_client, url)
    warm(advocate_client, url)
    officer_html, advocate_html = page(officer_client, url), page(advocate_client, url)
    # Only the author may edit their reply; only the other may react to it.
    assert f"/discussions/p/{reply.pk}/edit/" in advocate_html
    assert f"/discussions/p/{reply.pk}/edit/" not in officer_html
    assert f"/discussions/p/{thread.first_post.pk}/edit/" in officer_html
    assert f"/discussions/p/{thread.first_post.pk}/edit/" not in advocate_html


def test_each_view_gets_its_own_submission_token(reader_client, advocate, thread):
    url = thread.get_absolute_url()
    first, second = page(reader_client, url), page(reader_client, url)
    assert fragments.marker("forum.submission_token") not in first
    tokens = [_value(html, 'name="submission_token" value="') for html in (first, second)]
    assert tokens[0] != tokens[1]
    # Two replies from two views of the cached page are two posts, not one resubmission.
    for n, token in enumerate(tokens):
        response = reader_client.post(
            f"/discussions/t/{thread.pk}/reply/", {"body": f"Reply number {n}.", "submission_token": token}
        )
        assert response.status_code == 302
    html = page(reader_client, url)
    assert "Reply number 0." in html and "Reply number 1." in html


def _value(html, marker):
    start = html.index(marker) + len(marker)
    return html[start : html.index('"', start)]
