"""The email settings page lists every registered topic and writes only when a member saves."""

import pytest
from django.urls import reverse

from notifications.models import NotificationPreference
from notifications.selectors import email_preferences

pytestmark = pytest.mark.django_db


def test_preferences_get_writes_nothing(client_for, officer):
    client = client_for(officer)
    for path in (reverse("notifications:preferences"), "/discussions/settings/email/"):
        response = client.get(path, follow=True)
        assert response.status_code == 200
        assert "Emails about mentions of you in discussions" in response.content.decode()
    assert not NotificationPreference.objects.filter(user=officer).exists()


def test_preferences_post_saves_each_topic(client_for, officer):
    response = client_for(officer).post(
        reverse("notifications:preferences"),
        {"mention_email": "weekly", "reply_email": "never", "private_message_email": "daily"},
    )
    assert response.status_code == 302
    assert email_preferences(officer) == {"mention": "weekly", "reply": "never", "private_message": "daily"}
    assert NotificationPreference.objects.filter(user=officer).count() == 3


def test_preferences_post_with_an_unknown_choice_says_so(client_for, officer):
    response = client_for(officer).post(
        reverse("notifications:preferences"), {"mention_email": "hourly", "reply_email": "never"}
    )
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not NotificationPreference.objects.filter(user=officer).exists()


def test_moved_pages_redirect_to_their_new_place(client_for, officer):
    client = client_for(officer)
    assert client.get("/discussions/notifications/?unread=1")["Location"] == "/notifications/?unread=1"
    assert client.get("/discussions/settings/email/")["Location"] == reverse("notifications:preferences")


def test_unsubscribe_links_in_emails_already_sent_still_work(client, officer):
    from notifications.emails import unsubscribe_token

    token = unsubscribe_token(officer, "reply")
    response = client.post(f"/discussions/unsubscribe/{token}/", {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert email_preferences(officer)["reply"] == "never"
