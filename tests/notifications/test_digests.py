"""Digests: the hourly command sends a member at most one daily digest a day
and one weekly digest a week, and says so when a send fails."""

from datetime import datetime, timedelta

import pytest
from django.core import mail as outbox
from django.core.management import CommandError, call_command
from django.utils import timezone

from connect import mail
from forum import services
from notifications import emails
from notifications.models import Notification
from notifications.services import preferences_update
from tests.factories import make_member

from ..forum.factories import make_post

pytestmark = pytest.mark.django_db


def local(year, month, day, hour, minute=0):
    return timezone.make_aware(datetime(year, month, day, hour, minute))


def digests_to(user):
    return [m for m in outbox.outbox if m.to == [user.email]]


def test_send_digests_hourly_sends_one_daily_digest_a_day(officer, advocate, thread, commit, at):
    # The thread's author watches it; replies wait for the daily digest.
    commit(make_post, author=advocate, thread=thread, body="First reply")
    start = timezone.now() + timedelta(days=1)
    for hour in range(3):
        at(start + timedelta(minutes=30 * hour))
        commit(call_command, "send_digests")
        commit(make_post, author=advocate, thread=thread, body=f"Reply in hour {hour}")
    assert len(digests_to(officer)) == 1
    at(start + timedelta(days=1))
    commit(call_command, "send_digests")
    assert len(digests_to(officer)) == 2


def test_send_digests_weekly_is_due_only_once_a_week(officer, advocate, thread, commit, settings):
    settings.NOTIFICATIONS_WEEKLY_DIGEST_WEEKDAY = 0
    settings.NOTIFICATIONS_DIGEST_HOUR = 7
    preferences_update(user=officer, choices={"reply": "weekly"})
    commit(make_post, author=advocate, thread=thread)
    Notification.objects.filter(recipient=officer).update(created_at=local(2030, 1, 1, 12))  # a Tuesday
    sent_at = []
    hour = local(2030, 1, 1, 13)
    while hour < local(2030, 1, 15, 0):
        if commit(emails.send_digests, now=hour).sent:
            sent_at.append(hour)
        hour += timedelta(hours=1)
    assert sent_at == [local(2030, 1, 7, 7)]  # the Monday after, at the digest hour
    assert len(digests_to(officer)) == 1


def test_send_digests_daily_carries_what_arrived_before_the_digest_hour(officer, advocate, thread, commit):
    commit(make_post, author=advocate, thread=thread)
    arrived = Notification.objects.get(recipient=officer).created_at
    same_day_digest = timezone.localtime(arrived).replace(hour=7, minute=0, second=0, microsecond=0)
    if same_day_digest > arrived:
        assert commit(emails.send_digests, now=same_day_digest - timedelta(minutes=1)).sent == 0
    assert commit(emails.send_digests, now=same_day_digest + timedelta(days=1, minutes=5)).sent == 1


def test_send_digests_command_exits_non_zero_when_a_send_fails(
    officer, advocate, thread, commit, at, monkeypatch
):
    commit(make_post, author=advocate, thread=thread)
    at(timezone.now() + timedelta(days=2))

    def broken(message):
        raise OSError("mail server down")

    monkeypatch.setattr(mail, "mail_deliver", broken)
    with pytest.raises(CommandError, match="could not be sent"):
        commit(call_command, "send_digests")
    assert Notification.objects.get(recipient=officer).email_state == "daily"
    monkeypatch.undo()
    at(timezone.now() + timedelta(days=2))
    commit(call_command, "send_digests")
    assert len(digests_to(officer)) == 1


def test_send_digests_subject_names_the_digest_not_the_thread(officer, le_category, commit):
    restricted = commit(
        services.thread_create, author=officer, category=le_category, title="Warrant for Cobalt", body="Plan"
    )
    commit(make_post, author=make_member(), thread=restricted)
    assert commit(emails.send_digests, now=timezone.now() + timedelta(days=8)).sent == 1
    (digest,) = digests_to(officer)
    assert digest.subject == "[Task Force Connect] Your daily digest: 1 update"
    assert "Cobalt" in digest.body
