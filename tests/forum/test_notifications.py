"""What discussions notify and email: mentions, replies, quotes, reactions,
moderation, digests of replies and the one-click unsubscribe."""

from datetime import timedelta

import pytest
from django.core import mail
from django.test import TestCase
from django.urls import reverse
from django.utils import timezone

from connect.models import Discipline
from forum import services
from notifications import emails
from notifications.models import EmailFrequency, Notification, NotificationPreference
from notifications.selectors import email_preferences
from notifications.services import preferences_update
from tests.factories import make_member

from .factories import make_post, make_thread

pytestmark = pytest.mark.django_db


def digests(frequency):
    """Send the digests of ``frequency`` as a run a week from now would."""
    later = timezone.now() + timedelta(days=8)
    # The digest email is a task owed by the digest's transaction: run it.
    with TestCase.captureOnCommitCallbacks(execute=True):
        return emails.send_digests(now=later, frequencies=(frequency,)).sent


def kinds_for(user):
    return sorted(Notification.objects.filter(recipient=user).values_list("kind", flat=True))


def test_mention_notifies_member(officer, advocate, thread, commit):
    handle = services.handle_for(advocate)
    commit(make_post, author=officer, thread=thread, body=f"Thoughts, @{handle}?")
    assert kinds_for(advocate) == ["mention"]


def test_mention_of_non_member_notifies_nobody(officer, thread, commit):
    commit(make_post, author=officer, thread=thread, body="Ask @nobody.here about it")
    assert not Notification.objects.exists()


def test_mention_of_member_who_cannot_see_category_notifies_nobody(officer, advocate, le_category, commit):
    handle = services.handle_for(advocate)
    commit(make_thread, author=officer, category=le_category, body=f"@{handle} look at this")
    assert not Notification.objects.filter(recipient=advocate).exists()
    assert not mail.outbox


def test_mention_of_deactivated_member_notifies_nobody(officer, thread, commit):
    gone = make_member()
    handle = services.handle_for(gone)
    gone.is_active = False
    gone.save()
    commit(make_post, author=officer, thread=thread, body=f"@{handle} hello")
    assert not Notification.objects.filter(recipient=gone).exists()


def test_reply_notifies_watchers_but_not_muted_or_author(officer, advocate, thread, commit):
    other = make_member(discipline=Discipline.PROSECUTION)
    services.thread_subscription_set(user=other, thread=thread, level="muted")
    commit(make_post, author=advocate, thread=thread)
    assert kinds_for(officer) == ["reply"]
    assert kinds_for(other) == []
    assert kinds_for(advocate) == []


def test_category_watch_notifies_new_threads(officer, advocate, category, commit):
    services.category_watch_toggle(user=advocate, category=category)
    commit(make_thread, author=officer, category=category)
    assert kinds_for(advocate) == ["new_thread"]


def test_category_watch_notifies_replies_unless_the_thread_is_muted(officer, advocate, mod, category, commit):
    thread = commit(make_thread, author=officer, category=category)
    services.category_watch_toggle(user=advocate, category=category)
    commit(make_post, author=mod, thread=thread)
    assert kinds_for(advocate) == ["reply"]
    services.thread_subscription_set(user=advocate, thread=thread, level="muted")
    commit(make_post, author=mod, thread=thread)
    assert kinds_for(advocate) == ["reply"]


def test_quote_notifies_quoted_author(officer, advocate, thread, commit):
    services.thread_subscription_set(user=officer, thread=thread, level=None)
    body = services.quote_markdown(thread.first_post) + "Agreed."
    commit(make_post, author=advocate, thread=thread, body=body)
    assert kinds_for(officer) == ["quote"]


def test_reaction_and_accepted_answer_notify_author(officer, advocate, category, commit):
    question = commit(make_thread, author=advocate, category=category, is_question=True)
    answer = commit(make_post, author=officer, thread=question)
    Notification.objects.all().delete()
    commit(services.reaction_toggle, user=advocate, post=answer, kind="thanks")
    commit(services.answer_accept, user=advocate, thread=question, post=answer)
    assert kinds_for(officer) == ["accepted", "reaction"]


def test_held_post_notifies_nobody_until_approved(officer, advocate, mod, thread, commit):
    handle = services.handle_for(advocate)
    post = commit(
        make_post,
        author=officer,
        thread=thread,
        body=f"@{handle} her cell is 614-555-0199",
        confirm_privacy=True,
    )
    assert not Notification.objects.filter(recipient=advocate).exists()
    commit(services.post_approve, moderator=mod, post=post)
    assert kinds_for(advocate) == ["mention"]
    assert kinds_for(officer) == ["moderation"]


def test_immediate_email_has_no_body_and_unsubscribe_headers(officer, advocate, thread, commit):
    handle = services.handle_for(advocate)
    commit(make_post, author=officer, thread=thread, body=f"@{handle} the secret detail is Bluebird")
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [advocate.email]
    assert "Bluebird" not in message.body and "Bluebird" not in message.subject
    assert message.subject == "[Task Force Connect] You were mentioned in a discussion"
    assert thread.title in message.body and officer.display_name in message.body
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "/notifications/unsubscribe/" in message.extra_headers["List-Unsubscribe"]
    assert Notification.objects.get(recipient=advocate).email_state == "sent"


def test_never_preference_sends_no_email(officer, advocate, thread, commit):
    preferences_update(
        user=advocate, choices={"mention": EmailFrequency.NEVER, "reply": EmailFrequency.NEVER}
    )
    commit(make_post, author=officer, thread=thread, body=f"@{services.handle_for(advocate)} hi")
    assert not mail.outbox
    assert kinds_for(advocate) == ["mention"]


def test_send_digests_is_idempotent(officer, advocate, thread, commit):
    # The thread author watches it; replies go to the daily digest by default.
    commit(make_post, author=advocate, thread=thread, body="First reply with private words")
    commit(make_post, author=advocate, thread=thread, body="Second reply")
    assert not mail.outbox
    assert digests("daily") == 1
    digest = mail.outbox[0]
    assert digest.to == [officer.email]
    assert "private words" not in digest.body
    assert digest.body.count("/discussions/p/") == 2
    assert digests("daily") == 0
    assert len(mail.outbox) == 1


def test_digest_skips_items_no_longer_visible(officer, advocate, mod, thread, commit):
    reply = commit(make_post, author=advocate, thread=thread, body="Soon hidden")
    commit(services.post_hide, moderator=mod, post=reply, reason="Off topic")
    assert digests("daily") == 0
    assert not [m for m in mail.outbox if m.to == [officer.email]]


def test_weekly_digest_waits_for_weekly_run(officer, advocate, thread, commit):
    preferences_update(user=officer, choices={"reply": EmailFrequency.WEEKLY})
    commit(make_post, author=advocate, thread=thread)
    assert digests("daily") == 0
    assert digests("weekly") == 1


def test_changing_the_preference_applies_to_what_waits_for_a_digest(officer, advocate, thread, commit):
    commit(make_post, author=advocate, thread=thread)  # waits for officer's daily digest
    preferences_update(user=officer, choices={"reply": EmailFrequency.WEEKLY})
    assert digests("daily") == 0
    assert digests("weekly") == 1
    commit(make_post, author=advocate, thread=thread)
    preferences_update(user=officer, choices={"reply": EmailFrequency.NEVER})
    assert digests("weekly") == 0
    assert digests("daily") == 0


def test_unsubscribe_get_shows_form_and_reveals_nothing(client, officer):
    token = emails.unsubscribe_token(officer, "reply")
    response = client.get(reverse("notifications:email_unsubscribe", args=[token]))
    assert response.status_code == 200
    content = response.content.decode()
    assert officer.email not in content and officer.first_name not in content
    assert NotificationPreference.objects.filter(user=officer).count() == 0


def test_unsubscribe_post_stops_that_kind(client, officer):
    token = emails.unsubscribe_token(officer, "reply")
    response = client.post(reverse("notifications:email_unsubscribe", args=[token]))
    assert response.status_code == 200
    # Only the discussions' topics here: other apps register topics of their own.
    assert {k: email_preferences(officer)[k] for k in ("mention", "reply")} == {
        "mention": "immediate",
        "reply": "never",
    }
    assert not NotificationPreference.objects.filter(user=officer, topic="mention").exists()


def test_unsubscribe_one_click_post(client, officer):
    token = emails.unsubscribe_token(officer, "mention")
    response = client.post(
        reverse("notifications:email_unsubscribe", args=[token]), {"List-Unsubscribe": "One-Click"}
    )
    assert response.status_code == 200
    assert email_preferences(officer)["mention"] == "never"


@pytest.mark.parametrize("token", ["garbage", "eyJ1IjoxfQ:bad:sig"])
def test_unsubscribe_bad_token_is_404(client, token):
    assert client.get(reverse("notifications:email_unsubscribe", args=[token])).status_code == 404
    assert client.post(reverse("notifications:email_unsubscribe", args=[token])).status_code == 404


def test_notifications_page_and_mark_all_read(client_for, officer, advocate, thread, commit):
    commit(make_post, author=advocate, thread=thread)
    client = client_for(officer)
    response = client.get(reverse("notifications:list"))
    assert response.status_code == 200
    assert "replied in a thread you watch" in response.content.decode()
    home = client.get("/")
    assert 'aria-label="Notifications 1 unread"' in home.content.decode()
    client.post(reverse("notifications:read"), {"all": "1"})
    assert not Notification.objects.filter(recipient=officer, read_at__isnull=True).exists()


def test_notification_open_marks_read_and_redirects(client_for, officer, advocate, thread, commit):
    commit(make_post, author=advocate, thread=thread)
    n = Notification.objects.get(recipient=officer)
    response = client_for(officer).get(reverse("notifications:open", args=[n.pk]))
    assert response.status_code == 302
    n.refresh_from_db()
    assert n.read_at is not None
    assert client_for(advocate).get(reverse("notifications:open", args=[n.pk])).status_code == 404
