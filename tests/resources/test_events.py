import datetime

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from resources.models import CalendarFeed, EventPage
from tests.factories import make_member

from .conftest import make_event

pytestmark = pytest.mark.django_db


def _feed_url(user):
    feed, _ = CalendarFeed.objects.get_or_create(user=user)
    return reverse("resources:calendar_feed", args=[feed.token])


def test_event_index_lives_at_events(event_index):
    assert event_index.url == "/events/"


def test_upcoming_and_past_lists(member_client, event_index):
    make_event(event_index, title="Next week call", days=7)
    make_event(event_index, title="Last month call", days=-30)
    make_event(event_index, title="Draft call", days=3, live=False)
    html = member_client.get("/events/").content.decode()
    assert "Next week call" in html
    assert "Last month call" not in html and "Draft call" not in html
    html = member_client.get("/events/", {"when": "past"}).content.decode()
    assert "Last month call" in html and "Next week call" not in html


def test_event_page_shows_time_zone(member_client, event_index):
    event = make_event(event_index, title="Training")
    response = member_client.get(event.url)
    assert response.status_code == 200
    html = response.content.decode()
    assert "2:00 PM" in html and "Central (Chicago)" in html
    assert event.get_absolute_url() == event.url


def test_event_times_are_stored_in_their_time_zone(event_index):
    event = make_event(event_index)
    assert event.starts_at.astimezone(datetime.UTC).hour in (19, 20)  # 14:00 Chicago (CDT/CST)
    assert event.local_start.hour == 14


def test_event_validation(event_index):
    from django.core.exceptions import ValidationError

    event = EventPage(
        title="x",
        summary="y",
        start_date=datetime.date(2030, 1, 2),
        end_date=datetime.date(2030, 1, 1),
        event_format="in_person",
        organizer="z",
    )
    with pytest.raises(ValidationError) as error:
        event.clean()
    assert "end_date" in error.value.message_dict
    assert "location" in error.value.message_dict


def test_event_ics_download(member_client, event_index):
    event = make_event(event_index, title="Coordinators call")
    response = member_client.get(reverse("resources:event_ics", args=[event.pk]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    assert "attachment" in response["Content-Disposition"]
    cal = Calendar.from_ical(response.content)
    [vevent] = cal.walk("VEVENT")
    assert str(vevent["SUMMARY"]) == "Coordinators call"
    assert vevent.decoded("DTSTART").hour == 14
    assert str(vevent["DTSTART"].params["TZID"]) == "America/Chicago"
    assert cal.walk("VTIMEZONE")


def test_event_ics_of_draft_is_404(member_client, event_index):
    event = make_event(event_index, live=False)
    assert member_client.get(reverse("resources:event_ics", args=[event.pk])).status_code == 404


def test_calendar_feed_lists_upcoming_visible_events(member, event_index):
    make_event(event_index, title="Upcoming one", days=5)
    make_event(event_index, title="Old one", days=-5)
    make_event(event_index, title="Hidden draft", days=5, live=False)
    response = Client().get(_feed_url(member))  # no session: the token is the key
    assert response.status_code == 200
    body = response.content.decode()
    assert "Upcoming one" in body
    assert "Old one" not in body and "Hidden draft" not in body


def test_calendar_feed_unknown_token_is_404(db):
    assert Client().get(reverse("resources:calendar_feed", args=["nope"])).status_code == 404


def test_calendar_feed_stops_when_membership_ends(member, event_index):
    url = _feed_url(member)
    assert Client().get(url).status_code == 200
    member.is_active = False
    member.save()
    assert Client().get(url).status_code == 404


def test_calendar_feed_reset_invalidates_old_address(member_client, member, event_index):
    from connect.models import AuditEvent

    old = _feed_url(member)
    page = member_client.get(reverse("resources:calendar_settings"))
    assert page.status_code == 200 and old in page.content.decode()
    response = member_client.post(reverse("resources:calendar_settings"))
    assert response.status_code == 302
    assert Client().get(old).status_code == 404
    assert Client().get(_feed_url(member)).status_code == 200
    event = AuditEvent.objects.get(action="calendar_feed.reset")
    assert event.actor == member and event.ip_address == "127.0.0.1"


def _writes(ctx, table):
    return [
        q["sql"]
        for q in ctx.captured_queries
        if table in q["sql"] and q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))
    ]


def test_calendar_settings_get_creates_no_feed(member_client, member):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        response = member_client.get(reverse("resources:calendar_settings"))
    assert response.status_code == 200
    assert "Create my calendar address" in response.content.decode()
    assert not CalendarFeed.objects.filter(user=member).exists()
    assert _writes(ctx, "resources_calendarfeed") == []


def test_calendar_settings_first_post_creates_feed_and_audits(member_client, member, event_index):
    from connect.models import AuditEvent

    response = member_client.post(reverse("resources:calendar_settings"), follow=True)
    feed = CalendarFeed.objects.get(user=member)
    html = response.content.decode()
    assert "Your calendar address is ready." in html
    assert reverse("resources:calendar_feed", args=[feed.token]) in html
    assert AuditEvent.objects.filter(action="calendar_feed.created", actor=member).count() == 1


def test_calendar_feed_get_never_writes(member, event_index):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    url = _feed_url(member)
    with CaptureQueriesContext(connection) as ctx:
        assert Client().get(url).status_code == 200
    assert [
        q["sql"]
        for q in ctx.captured_queries
        if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))
    ] == []


def test_calendar_settings_require_membership(client, db):
    response = client.get(reverse("resources:calendar_settings"))
    assert response.status_code == 302
    client.force_login(make_member(role=None))
    assert client.get(reverse("resources:calendar_settings")).status_code == 403


def test_home_page_shows_library_panels(member_client, event_index, library):
    from .conftest import make_resource

    make_event(event_index, title="Panel event")
    make_resource(library, title="Panel resource")
    html = member_client.get("/").content.decode()
    assert "Upcoming events" in html and "Panel event" in html
    assert "New resources" in html and "Panel resource" in html


def test_search_finds_only_live_pages(member, library, event_index):
    from resources.models import ResourcePage

    from .conftest import make_resource

    make_resource(library, title="Findable trafficking guide")
    make_resource(library, title="Unpublished trafficking guide", live=False)
    titles = [p.title for p in ResourcePage.searchable_for(member).search("trafficking")]
    assert titles == ["Findable trafficking guide"]
    assert list(ResourcePage.searchable_for(make_member(role=None))) == []


def test_moderator_creates_event_in_admin_and_member_reads_it(
    moderator_client, member_client, event_index, library
):
    from .conftest import make_resource

    resource = make_resource(library, title="Interview guide")
    url = reverse("wagtailadmin_pages:add", args=("resources", "eventpage", event_index.pk))
    assert moderator_client.get(url).status_code == 200
    day = (datetime.date.today() + datetime.timedelta(days=10)).isoformat()
    response = moderator_client.post(
        url,
        {
            "title": "Victim interview training",
            "slug": "victim-interview-training",
            "summary": "A day on recorded, trauma-informed interviews.",
            "start_date": day,
            "start_time": "09:00",
            "end_date": "",
            "end_time": "16:30",
            "time_zone": "America/Los_Angeles",
            "event_format": "in_person",
            "location": "County training center",
            "organizer": "A training provider",
            "related_resources": [resource.pk],
            "action-publish": "publish",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    event = EventPage.objects.get(slug="victim-interview-training")
    assert event.live and event.local_start.hour == 9
    html = member_client.get(event.url).content.decode()
    assert "9:00 AM" in html and "4:30 PM" in html and "Pacific (Los Angeles)" in html
    assert "Interview guide" in html


def test_event_ics_has_utc_stamp_stable_uid_and_chicago_times(member_client, member, event_index):
    event = make_event(event_index, title="Chicago training", days=20)
    url = reverse("resources:event_ics", args=[event.pk])
    first = member_client.get(url).content
    second = member_client.get(url).content
    raw = first.decode()
    assert "DTSTART;TZID=America/Chicago:" in raw and "DTEND;TZID=America/Chicago:" in raw
    stamp_line = next(line for line in raw.splitlines() if line.startswith("DTSTAMP"))
    assert stamp_line.startswith("DTSTAMP:") and stamp_line.endswith("Z")  # UTC, no TZID
    [vevent] = Calendar.from_ical(first).walk("VEVENT")
    [again] = Calendar.from_ical(second).walk("VEVENT")
    assert str(vevent["UID"]) == str(again["UID"]) == f"event-{event.pk}@testserver"
    start = vevent.decoded("DTSTART")
    assert (start.hour, start.minute) == (14, 0)
    assert start.astimezone(datetime.UTC) == event.starts_at.astimezone(datetime.UTC)
    [zone] = Calendar.from_ical(first).walk("VTIMEZONE")
    assert str(zone["TZID"]) == "America/Chicago"
    # The feed describes the same event with the same UID.
    feed = Calendar.from_ical(Client().get(_feed_url(member)).content)
    assert str(vevent["UID"]) in [str(e["UID"]) for e in feed.walk("VEVENT")]


def test_all_day_event_ics_uses_dates(member_client, event_index):
    start = timezone.localdate() + datetime.timedelta(days=30)
    event = make_event(
        event_index,
        title="Conference",
        days=30,
        start_time=None,
        end_time=None,
        end_date=start + datetime.timedelta(days=1),
    )
    raw = member_client.get(reverse("resources:event_ics", args=[event.pk])).content.decode()
    assert f"DTSTART;VALUE=DATE:{event.start_date:%Y%m%d}" in raw
    assert f"DTEND;VALUE=DATE:{event.start_date + datetime.timedelta(days=2):%Y%m%d}" in raw


def test_event_in_chicago_shown_in_chicago_time_not_site_time(member_client, event_index):
    # The site runs on Eastern time; a 2 PM Chicago event must not read 3 PM.
    event = make_event(event_index, title="Central time call")
    html = member_client.get(event.url).content.decode()
    assert "2:00 PM" in html and "3:00 PM" in html  # 2 to 3 PM
    assert "4:00 PM" not in html
    assert "CST" in html or "CDT" in html
    html = member_client.get("/events/").content.decode()
    assert "2:00 PM" in html


def test_calendar_feed_is_per_member_and_skips_restricted_events(member, event_index):
    from django.contrib.auth.models import Group
    from wagtail.models import PageViewRestriction

    from connect.models import Role

    make_event(event_index, title="Open training", days=5)
    restricted = make_event(event_index, title="Restricted briefing", days=5)
    restriction = PageViewRestriction.objects.create(
        page=restricted, restriction_type=PageViewRestriction.GROUPS
    )
    restriction.groups.set([Group.objects.get(name=Role.MODERATOR)])
    body = Client().get(_feed_url(member)).content.decode()
    assert "Open training" in body and "Restricted briefing" not in body
    other = make_member()
    assert _feed_url(other) != _feed_url(member)


def test_calendar_feed_stops_when_role_is_removed(member, event_index):
    url = _feed_url(member)
    assert Client().get(url).status_code == 200
    outsider = make_member(role=None)
    assert Client().get(_feed_url(outsider)).status_code == 404


def _queries(client, path):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from connect import fragments

    fragments.bump(fragments.PAGES)  # the home page's panels are built again, not served from the cache
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(path)
    assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("path", ["/events/", "/events/?when=past", "/"])
def test_event_lists_query_count_does_not_grow(member_client, event_index, path):
    for n in range(2):
        make_event(event_index, title=f"Upcoming {n}", days=n + 1)
        make_event(event_index, title=f"Past {n}", days=-(n + 1))
    member_client.get(path)
    few = _queries(member_client, path)
    for n in range(2, 9):
        make_event(event_index, title=f"Upcoming {n}", days=n + 1)
        make_event(event_index, title=f"Past {n}", days=-(n + 1))
    many = _queries(member_client, path)
    assert many == few, f"{few} queries with 2 events, {many} with 9"


def _heading_levels(html):
    import re

    return [int(level) for level in re.findall(r"<h([1-6])[\s>]", html)]


def test_event_pages_headings_never_skip_a_level(member_client, event_index):
    event = make_event(event_index, title="Training")
    for path in ("/events/", event.url):
        levels = _heading_levels(member_client.get(path).content.decode().split("<main", 1)[-1])
        assert levels[0] == 1, path
        assert all(b - a <= 1 for a, b in zip(levels, levels[1:], strict=False)), (path, levels)
