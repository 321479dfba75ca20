"""iCalendar output for events."""

from django.conf import settings
from icalendar import Calendar, Event


def _host():
    from urllib.parse import urlsplit

    return urlsplit(settings.WAGTAILADMIN_BASE_URL).hostname or "connect.localhost"


def calendar_for(events, *, name, base_url):
    cal = Calendar()
    cal.add("prodid", "-//Task Force Connect//Events//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", name)
    for event in events:
        cal.add_component(_event(event, base_url))
    cal.add_missing_timezones()
    return cal.to_ical()


def _event(page, base_url):
    import datetime

    item = Event()
    # The page id never changes, so calendars update the event rather than
    # adding a copy each time they refresh.
    item.add("uid", f"event-{page.pk}@{_host()}")
    item.add("summary", page.title)
    # RFC 5545: DTSTAMP is always UTC; the last publication is when it changed.
    stamp = page.last_published_at or page.latest_revision_created_at or page.starts_at
    item.add("dtstamp", stamp.astimezone(datetime.UTC))
    if page.last_published_at:
        item.add("last-modified", page.last_published_at.astimezone(datetime.UTC))
    if page.all_day:
        item.add("dtstart", page.start_date)
        item.add("dtend", (page.end_date or page.start_date) + datetime.timedelta(days=1))
    else:
        item.add("dtstart", page.local_start)
        item.add("dtend", page.local_end)
    url = base_url.rstrip("/") + (page.get_url() or "")
    description = f"{page.summary}\n\nOrganizer: {page.organizer}"
    if page.registration_url:
        description += f"\n\nRegister: {page.registration_url}"
    if page.joining_url:
        description += f"\n\nJoin online: {page.joining_url}"
    description += f"\n\nDetails: {url}"
    item.add("description", description)
    item.add("url", url)
    location = page.location or page.joining_url
    if location:
        item.add("location", location)
    return item
