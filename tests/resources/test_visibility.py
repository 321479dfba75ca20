"""One meaning of a visible resource and event (connect.permissions.visible_pages:
live, not expired, passing view restrictions for this member), the same on
the page's own URL, the library and events pages, the home panels, related
lists, search, downloads, the .ics download and the calendar feed."""

import datetime

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from wagtail.models import PageViewRestriction

from connect.models import Role
from connect.permissions import visible_pages
from resources.models import CalendarFeed, EventPage, ResourcePage

from .conftest import make_document, make_event, make_resource

pytestmark = pytest.mark.django_db


def _expire(page):
    # Live but past its expiry date: Wagtail's command has not unpublished it yet.
    type(page).objects.filter(pk=page.pk).update(expire_at=timezone.now() - datetime.timedelta(minutes=5))
    page.refresh_from_db()
    assert page.live


def _restrict_to_moderators(page):
    restriction = PageViewRestriction.objects.create(page=page, restriction_type=PageViewRestriction.GROUPS)
    restriction.groups.set([Group.objects.get(name=Role.MODERATOR)])


def _feed_url(user):
    feed, _ = CalendarFeed.objects.get_or_create(user=user)
    return reverse("resources:calendar_feed", args=[feed.token])


def test_visible_pages_leaves_out_expired_and_restricted_pages(member, moderator, library):
    shown = make_resource(library, title="Shown")
    expired = make_resource(library, title="Expired")
    _expire(expired)
    for_moderators = make_resource(library, title="For moderators")
    _restrict_to_moderators(for_moderators)
    for_members = make_resource(library, title="Signed-in members")
    PageViewRestriction.objects.create(page=for_members, restriction_type=PageViewRestriction.LOGIN)
    by_password = make_resource(library, title="Shared password")
    PageViewRestriction.objects.create(
        page=by_password, restriction_type=PageViewRestriction.PASSWORD, password="x"
    )
    titles = set(visible_pages(member, ResourcePage.objects.all()).values_list("title", flat=True))
    assert titles == {"Shown", "Signed-in members"}
    titles = set(visible_pages(moderator, ResourcePage.objects.all()).values_list("title", flat=True))
    assert titles == {"Shown", "Signed-in members", "For moderators"}
    assert not visible_pages(None, ResourcePage.objects.all()).exists()
    assert shown.pk in ResourcePage.searchable_for(member).values_list("pk", flat=True)


@pytest.mark.parametrize("hide", [_expire, _restrict_to_moderators], ids=["expired", "restricted"])
def test_resource_page_the_member_may_not_see_is_404(member_client, moderator_client, library, hide):
    page = make_resource(library, title="Hidden guide")
    hide(page)
    assert member_client.get(page.url).status_code == 404
    if hide is _restrict_to_moderators:
        assert moderator_client.get(page.url).status_code == 200


@pytest.mark.parametrize("hide", [_expire, _restrict_to_moderators], ids=["expired", "restricted"])
def test_event_page_and_ics_the_member_may_not_see_are_404(member_client, event_index, hide):
    event = make_event(event_index, title="Hidden briefing")
    hide(event)
    assert member_client.get(event.url).status_code == 404
    assert member_client.get(reverse("resources:event_ics", args=[event.pk])).status_code == 404


def test_library_events_and_home_leave_out_expired_and_restricted_pages(member_client, library, event_index):
    make_resource(library, title="Open guide")
    make_event(event_index, title="Open briefing")
    for page in (
        make_resource(library, title="Expired guide"),
        make_event(event_index, title="Expired briefing"),
    ):
        _expire(page)
    for page in (
        make_resource(library, title="Moderators guide"),
        make_event(event_index, title="Moderators briefing"),
    ):
        _restrict_to_moderators(page)
    for path in ("/resources/", "/events/", "/"):
        html = member_client.get(path).content.decode()
        assert "Open guide" in html or "Open briefing" in html, path
        for hidden in ("Expired guide", "Expired briefing", "Moderators guide", "Moderators briefing"):
            assert hidden not in html, (path, hidden)


def test_search_page_leaves_out_expired_and_restricted_resources(member_client, library):
    make_resource(library, title="Findable labor guide")
    _expire(make_resource(library, title="Expired labor guide"))
    _restrict_to_moderators(make_resource(library, title="Moderators labor guide"))
    html = member_client.get("/search/", {"q": "labor"}).content.decode()
    html = html.replace("<mark>", "").replace("</mark>", "")  # the matched words are marked
    assert "Findable labor guide" in html
    assert "Expired labor guide" not in html and "Moderators labor guide" not in html


def test_related_lists_show_only_pages_the_member_may_see(member_client, library, event_index):
    shown = make_resource(library, title="Shown resource")
    restricted = make_resource(library, title="Restricted resource")
    _restrict_to_moderators(restricted)
    expired = make_resource(library, title="Expired resource")
    _expire(expired)
    event = make_event(event_index, title="Briefing")
    event.related_resources.set([shown, restricted, expired])
    event.save_revision().publish()
    html = member_client.get(event.url).content.decode()
    assert "Shown resource" in html
    assert "Restricted resource" not in html and "Expired resource" not in html

    hidden_event = make_event(event_index, title="Restricted event")
    hidden_event.related_resources.set([shown])
    hidden_event.save_revision().publish()
    _restrict_to_moderators(hidden_event)
    html = member_client.get(shown.url).content.decode()
    assert "Briefing" in html and "Restricted event" not in html


def test_document_of_expired_or_restricted_resource_is_404(member_client, library):
    expired_doc = make_document("Expired toolkit")
    _expire(make_resource(library, title="Expired", document=expired_doc, external_url=""))
    restricted_doc = make_document("Restricted toolkit")
    _restrict_to_moderators(
        make_resource(library, title="Restricted", document=restricted_doc, external_url="")
    )
    assert member_client.get(expired_doc.url).status_code == 404
    assert member_client.get(restricted_doc.url).status_code == 404


def test_calendar_feed_leaves_out_expired_and_restricted_events(member, moderator, event_index):
    make_event(event_index, title="Open training")
    _expire(make_event(event_index, title="Expired training"))
    _restrict_to_moderators(make_event(event_index, title="Moderators training"))
    body = Client().get(_feed_url(member)).content.decode()
    assert "Open training" in body
    assert "Expired training" not in body and "Moderators training" not in body
    assert "Moderators training" in Client().get(_feed_url(moderator)).content.decode()


def test_searchable_for_of_events_follows_the_rule(member, event_index):
    shown = make_event(event_index, title="Shown")
    _expire(make_event(event_index, title="Expired"))
    assert list(EventPage.searchable_for(member).values_list("pk", flat=True)) == [shown.pk]
