"""The pages of private conversations, and what each outsider gets: a 404 and nothing else."""

import pytest
from django.urls import reverse

from connect.models import AuditEvent
from conversations import services
from conversations.models import Conversation, Message, MessageReport
from notifications.models import Notification

from .conftest import actor

pytestmark = pytest.mark.django_db


@pytest.fixture
def private(start, alice, bob):
    return start(alice, [bob], subject="Operation Kestrel", body="Kestrel timetable is attached.")


@pytest.mark.parametrize("who", ["carol", "mod", "blocked dave", "left bob"])
def test_outsiders_get_404_and_see_nothing_anywhere(
    who, private, alice, bob, carol, mod, dave, client_for, commit, send
):
    """A member of another task force, a moderator without a report, a blocked
    member and a member who left: a 404 and nothing in counts, search or notifications."""
    services.member_block(actor=actor(alice), blocked=dave)
    if who == "left bob":
        commit(services.conversation_leave, actor=actor(bob), conversation=private)
    user = {"carol": carol, "mod": mod, "blocked dave": dave, "left bob": bob}[who]
    client = client_for(user)
    message = private.messages.filter(kind=Message.Kind.TEXT).first()
    urls = [
        reverse("conversations:detail", args=[private.pk]),
        reverse("conversations:leave", args=[private.pk]),
        reverse("conversations:add_participant", args=[private.pk]),
        reverse("conversations:report", args=[private.pk, message.seq]),
    ]
    for url in urls:
        assert client.get(url).status_code == 404, url
    assert (
        client.post(reverse("conversations:detail", args=[private.pk]), {"body": "Let me in"}).status_code
        == 404
    )
    assert (
        client.post(
            reverse("conversations:participant_settings", args=[private.pk]), {"action": "mute"}
        ).status_code
        == 404
    )
    inbox = client.get(reverse("conversations:inbox")).content.decode()
    assert "Kestrel" not in inbox
    assert "Messages, none unread" in inbox
    search = client.get(reverse("site_search:search"), {"q": "witness schedule"}).content.decode()
    assert "Operation Kestrel" not in search and "Kestrel timetable" not in search
    assert (
        not Notification.objects.filter(recipient=user, kind="private_message", read_at__isnull=True).exists()
        or who == "left bob"
    )
    assert Message.objects.filter(pk=message.pk).exists()


def test_participant_reads_conversation_and_unread_count_clears(private, bob, client_for):
    client = client_for(bob)
    inbox = client.get(reverse("conversations:inbox")).content.decode()
    assert "Operation Kestrel" in inbox and "1 unread" in inbox and "Messages 1 unread" in inbox
    page = client.get(private.get_absolute_url()).content.decode()
    assert "Kestrel timetable" in page
    assert "Messages, none unread" in client.get(reverse("conversations:inbox")).content.decode()
    assert not Notification.objects.filter(recipient=bob, read_at__isnull=True).exists()


def test_search_finds_own_messages_only(private, bob, carol, client_for):
    mine = client_for(bob).get(reverse("site_search:search"), {"q": "timetable"}).content.decode()
    assert "Operation Kestrel" in mine
    theirs = client_for(carol).get(reverse("site_search:search"), {"q": "timetable"}).content.decode()
    assert "Operation Kestrel" not in theirs


def test_send_from_the_page_and_double_submit_makes_one(private, bob, client_for):
    client = client_for(bob)
    data = {"body": "Thanks, received.", "submission_token": "double-1"}
    first = client.post(private.get_absolute_url(), data)
    second = client.post(private.get_absolute_url(), data)
    assert first.status_code == second.status_code == 302
    assert private.messages.filter(body="Thanks, received.").count() == 1


def test_empty_and_oversized_messages_get_clear_errors(private, bob, client_for):
    client = client_for(bob)
    response = client.post(private.get_absolute_url(), {"body": "   "})
    assert response.status_code == 400 and "the message is empty" in response.content.decode()
    response = client.post(private.get_absolute_url(), {"body": "x" * 20_001})
    assert response.status_code == 400 and "the limit is 20,000" in response.content.decode()
    response = client.post(private.get_absolute_url(), {"body": "a\u202eb"})
    assert response.status_code == 400 and "invisible characters" in response.content.decode()


def test_privacy_guard_on_the_page(private, bob, client_for):
    client = client_for(bob)
    response = client.post(private.get_absolute_url(), {"body": "Her SSN is 123-45-6789."})
    assert response.status_code == 400 and "This may identify a victim" in response.content.decode()
    response = client.post(
        private.get_absolute_url(), {"body": "Her SSN is 123-45-6789.", "confirm_privacy": "on"}
    )
    assert response.status_code == 302
    assert private.messages.get(seq=2).status == Message.Status.HELD


def test_start_from_profile_message_button(alice, bob, client_for):
    client = client_for(alice)
    profile = client.get(bob.profile.get_absolute_url()).content.decode()
    start_url = f"{reverse('conversations:start')}?to={bob.pk}"
    assert start_url in profile
    directory = client.get(reverse("connect:member_directory")).content.decode()
    assert f'href="{start_url}"' in directory.replace("&amp;", "&")
    page = client.get(start_url).content.decode()
    assert bob.display_name in page
    response = client.post(
        reverse("conversations:start"),
        {"to": [bob.pk], "subject": "Hello", "body": "Hi Bob", "submission_token": "s-1"},
    )
    conversation = Conversation.objects.get()
    assert response.status_code == 302 and response["Location"] == conversation.get_absolute_url()


def test_blocked_member_gets_no_message_button_and_cannot_start(alice, bob, client_for):
    services.member_block(actor=actor(bob), blocked=alice)
    client = client_for(alice)
    profile = client.get(bob.profile.get_absolute_url()).content.decode()
    assert f"?to={bob.pk}" not in profile
    response = client.post(reverse("conversations:start"), {"to": [bob.pk], "subject": "Hi", "body": "Hi"})
    assert response.status_code == 400 and not Conversation.objects.exists()


def test_quote_prefills_the_reply(private, bob, client_for):
    page = client_for(bob).get(private.get_absolute_url() + "?quote=1").content.decode()
    assert "&gt; Kestrel timetable" in page


def test_add_participant_page_says_history_starts_at_joining(private, alice, dave, client_for):
    client = client_for(alice)
    response = client.post(reverse("conversations:add_participant", args=[private.pk]), {"member": dave.pk})
    assert response.status_code == 302
    page = client_for(dave).get(private.get_absolute_url()).content.decode()
    assert "you see the messages from then on" in page
    assert "Kestrel timetable" not in page


def test_report_goes_to_queue_and_moderator_view_is_audited(private, bob, mod, client_for, send):
    for i in range(6):
        send(bob, private, body=f"Context line {i}")
    client = client_for(bob)
    response = client.post(reverse("conversations:report", args=[private.pk, 1]), {"reason": "Threatening"})
    assert response.status_code == 302
    report = MessageReport.objects.get()
    moderator = client_for(mod)
    assert "Report by" in moderator.get(reverse("conversations_admin:queue")).content.decode()
    page = moderator.get(reverse("conversations_admin:report", args=[report.pk])).content.decode()
    assert "Kestrel timetable" in page
    assert "Context line 0" in page and "Context line 1" in page and "Context line 2" not in page
    assert "Operation Kestrel" not in page  # never the subject
    event = AuditEvent.objects.get(action="conversations.report_viewed")
    assert event.actor == mod and event.detail["conversation"] == private.pk
    # A moderator still cannot open the conversation itself.
    assert moderator.get(private.get_absolute_url()).status_code == 404


def test_members_cannot_reach_the_report_queue(bob, client_for):
    assert client_for(bob).get(reverse("conversations_admin:queue")).status_code in (302, 403, 404)


def test_leave_and_archive_and_mute_from_the_page(private, bob, client_for):
    client = client_for(bob)
    client.post(reverse("conversations:participant_settings", args=[private.pk]), {"action": "archive"})
    assert "Operation Kestrel" not in client.get(reverse("conversations:inbox")).content.decode()
    assert "Operation Kestrel" in client.get(reverse("conversations:inbox") + "?archived=1").content.decode()
    client.post(reverse("conversations:participant_settings", args=[private.pk]), {"action": "mute"})
    client.post(reverse("conversations:leave", args=[private.pk]))
    assert client.get(private.get_absolute_url()).status_code == 404


def test_moderator_opening_a_held_message_is_audited(private, bob, mod, client_for):
    client_for(bob).post(
        private.get_absolute_url(), {"body": "Her SSN is 123-45-6789.", "confirm_privacy": "on"}
    )
    held = private.messages.get(seq=2)
    moderator = client_for(mod)
    assert "Held by the privacy guard" in moderator.get(reverse("conversations_admin:queue")).content.decode()
    assert (
        "123-45-6789" in moderator.get(reverse("conversations_admin:held", args=[held.pk])).content.decode()
    )
    assert AuditEvent.objects.filter(action="conversations.held_viewed", actor=mod).count() == 1
    moderator.post(reverse("conversations_admin:held_decide", args=[held.pk]), {"action": "approve"})
    held.refresh_from_db()
    assert held.status == Message.Status.VISIBLE
    assert client_for(bob).get(reverse("conversations_admin:queue")).status_code in (302, 403, 404)
