"""Any app can notify through the floor by registering a kind: its members get
the same list, preferences, digests and one-click unsubscribe."""

from datetime import timedelta

import pytest
from django.core import mail
from django.test import TestCase
from django.urls import reverse
from django.utils import timezone
from wagtail import hooks

from connect.models import DeliveredEmail
from notifications import emails
from notifications.kinds import EmailFrequency, EmailTopic, NotificationKind, registered_kinds
from notifications.models import Notification
from notifications.selectors import email_preferences
from notifications.services import notify

pytestmark = pytest.mark.django_db

EVENTS = EmailTopic(key="test_events", label="new trainings", field_label="Emails about new trainings")


def events_kind():
    return NotificationKind(
        key="test_event",
        label="posted a training you may attend",
        topic=EVENTS,
        subject="A new training was posted",
        visible=lambda user, qs: qs,
    )


@pytest.fixture
def registered():
    with hooks.register_temporarily("register_notification_kind", events_kind):
        yield


def test_registered_kind_notifies_through_the_same_list_and_digest(registered, officer, advocate, client_for):
    assert "test_event" in registered_kinds()
    (notification,) = notify(
        recipient_ids=[officer.pk], kind="test_event", actor_id=advocate.pk, url="/events/"
    )
    assert notification.email_state == EmailFrequency.DAILY
    page = client_for(officer).get(reverse("notifications:list")).content.decode()
    assert "posted a training you may attend" in page
    settings_page = client_for(officer).get(reverse("notifications:preferences")).content.decode()
    assert "Emails about new trainings" in settings_page
    with TestCase.captureOnCommitCallbacks(execute=True):  # the digest email is a task run on commit
        assert emails.send_digests(now=timezone.now() + timedelta(days=2)).sent == 1
    (digest,) = mail.outbox
    assert "new trainings" in digest.body
    assert "/events/" in digest.body


def test_registered_kind_unsubscribes_in_one_click(registered, officer, client):
    token = emails.unsubscribe_token(officer, EVENTS.key)
    response = client.post(
        reverse("notifications:email_unsubscribe", args=[token]), {"List-Unsubscribe": "One-Click"}
    )
    assert response.status_code == 200
    assert email_preferences(officer)[EVENTS.key] == EmailFrequency.NEVER


def test_unregistered_kind_is_seen_by_nobody(officer, client_for):
    Notification.objects.create(recipient=officer, kind="from_an_app_since_removed", url="/")
    assert "from_an_app_since_removed" not in registered_kinds()
    page = client_for(officer).get("/").content.decode()
    # The header (its phone bar and its full menu) counts nothing unread.
    assert 'aria-label="Notifications, none unread"' in page and "Notifications 1 unread" not in page


def test_notify_refuses_an_unknown_kind(officer):
    with pytest.raises(ValueError, match="register_notification_kind"):
        notify(recipient_ids=[officer.pk], kind="nonsense")


def test_notify_keeps_nothing_for_a_recipient_who_may_not_see_it(officer):
    def private():
        return NotificationKind(
            key="test_private", label="shared a secret", visible=lambda user, qs: qs.none()
        )

    with hooks.register_temporarily("register_notification_kind", private):
        assert notify(recipient_ids=[officer.pk], kind="test_private") == []
    assert not Notification.objects.exists()


def test_notify_once_notifies_and_emails_a_recipient_once_however_often_it_runs(officer, thread, commit):
    post = thread.first_post
    for _ in range(3):  # a task run again after its worker was killed
        commit(notify, recipient_ids=[officer.pk], kind="mention", target=post, once=True)
    assert Notification.objects.filter(recipient=officer, kind="mention").count() == 1
    assert len([m for m in mail.outbox if officer.email in m.to]) == 1
    # Without ``once`` each call is a new notification (a moderator's notices).
    commit(notify, recipient_ids=[officer.pk], kind="mention", target=post)
    assert Notification.objects.filter(recipient=officer, kind="mention").count() == 2


def test_notify_once_queues_the_email_a_killed_run_owed(officer, thread, commit):
    post = thread.first_post
    commit(notify, recipient_ids=[officer.pk], kind="mention", target=post, once=True)
    # As if the run had stopped between keeping the notification and queueing its email.
    Notification.objects.filter(recipient=officer).update(email_state=Notification.EmailState.NONE)
    DeliveredEmail.objects.all().delete()
    mail.outbox.clear()
    commit(notify, recipient_ids=[officer.pk], kind="mention", target=post, once=True)
    assert Notification.objects.get(recipient=officer, kind="mention").email_state == "sent"
    assert len(mail.outbox) == 1
