"""The writes of private conversations, as a member (or an attacker) would notice them."""

import pytest
from django.core import mail
from django.utils import timezone

from connect.models import AuditEvent
from conversations import permissions, services
from conversations.models import (
    DELETED_PLACEHOLDER,
    RETAINED_PLACEHOLDER,
    Conversation,
    Message,
    MessagingPreference,
    Participant,
)
from notifications.models import Notification
from tests.factories import make_member

from .conftest import actor

pytestmark = pytest.mark.django_db


def test_conversation_start_makes_participants_and_first_message(start, alice, bob):
    conversation = start(alice, [bob])
    assert set(conversation.participants.values_list("user_id", flat=True)) == {alice.pk, bob.pk}
    message = conversation.messages.get()
    assert (message.seq, message.sender, message.status) == (1, alice, Message.Status.VISIBLE)
    assert "<p>Can we talk" in message.body_html


def test_conversation_start_twice_with_one_token_makes_one(start, alice, bob):
    first = start(alice, [bob], submission_token="tok-1")
    second = start(alice, [bob], submission_token="tok-1")
    assert first.pk == second.pk
    assert Conversation.objects.count() == 1 and Message.objects.count() == 1


def test_message_send_twice_with_one_token_makes_one(start, send, alice, bob):
    conversation = start(alice, [bob])
    one = send(bob, conversation, submission_token="tok-2")
    two = send(bob, conversation, submission_token="tok-2")
    assert one.pk == two.pk and conversation.messages.count() == 2


def test_message_send_numbers_messages_in_order(start, send, alice, bob):
    conversation = start(alice, [bob])
    seqs = [send(bob if i % 2 else alice, conversation, body=f"Note {i}").seq for i in range(4)]
    assert seqs == [2, 3, 4, 5]
    conversation.refresh_from_db()
    assert conversation.message_seq == 5


def test_message_markdown_is_sanitised(start, alice, bob):
    conversation = start(
        alice,
        [bob],
        body="<script>alert(1)</script> [x](javascript:alert(1)) **ok** ![i](http://x.example/p.png)",
    )
    html = conversation.messages.get().body_html
    assert "<script" not in html and 'href="javascript' not in html and "<img" not in html
    assert "<strong>ok</strong>" in html


def test_privacy_guard_asks_then_holds_for_review(start, send, alice, bob):
    conversation = start(alice, [bob])
    with pytest.raises(services.PrivacyCheckRequired) as caught:
        send(alice, conversation, body="The victim's phone is 555-201-3344.")
    assert caught.value.findings[0]["kind"] == "phone"
    assert conversation.messages.count() == 1
    held = send(alice, conversation, body="The victim's phone is 555-201-3344.", confirm_privacy=True)
    assert held.status == Message.Status.HELD
    assert permissions.can_see_message(alice, held)
    assert not permissions.can_see_message(bob, held)


def test_held_message_approved_becomes_the_newest(start, send, alice, bob, mod):
    conversation = start(alice, [bob])
    held = send(alice, conversation, body="Call 555-201-3344 about it.", confirm_privacy=True)
    send(bob, conversation, body="Anything new?")
    services.held_message_decide(actor=actor(mod), message=held, approve=True)
    held.refresh_from_db()
    assert held.status == Message.Status.VISIBLE and held.seq == 4
    assert permissions.can_see_message(bob, held)


def test_added_participant_sees_history_from_when_added(start, send, alice, bob, dave, commit):
    conversation = start(alice, [bob], body="Before Dave arrived.")
    commit(services.participant_add, actor=actor(alice), conversation=conversation, user=dave)
    after = send(bob, conversation, body="Welcome, Dave.")
    visible = list(permissions.visible_messages(dave).values_list("body", flat=True))
    assert "Before Dave arrived." not in visible
    assert after.body in visible
    assert any("added" in body for body in visible)


def test_conversation_leave_hides_it_everywhere(start, alice, bob, commit):
    conversation = start(alice, [bob])
    commit(services.conversation_leave, actor=actor(bob), conversation=conversation)
    assert not permissions.can_see_conversation(bob, conversation)
    assert not permissions.visible_messages(bob).exists()
    assert not permissions.visible_conversations(bob).exists()


def test_blocked_member_cannot_start_a_conversation(start, alice, bob):
    services.member_block(actor=actor(bob), blocked=alice)
    with pytest.raises(services.ConversationError) as caught:
        start(alice, [bob])
    assert "cannot receive" in caught.value.message and "block" not in caught.value.message.lower()
    with pytest.raises(services.ConversationError):
        start(bob, [alice])
    assert not Conversation.objects.exists()


def test_task_force_only_refuses_outsiders(start, alice, bob, carol):
    MessagingPreference.objects.create(user=bob, task_force_only=True)
    with pytest.raises(services.ConversationError):
        start(carol, [bob])
    assert start(alice, [bob]).pk


def test_deactivated_and_suspended_members_cannot_send_and_leave_the_picker(
    start, send, alice, bob, dave, mod
):
    from forum.models import Suspension

    conversation = start(alice, [bob, dave])
    Suspension.objects.create(user=bob, reason="Spam", created_by=mod)
    bob = type(bob).objects.get(pk=bob.pk)
    with pytest.raises(services.ConversationError):
        send(bob, conversation)
    dave.is_active = False
    dave.save()
    picker = set(permissions.messageable_users(alice).values_list("pk", flat=True))
    assert bob.pk not in picker and dave.pk not in picker


def test_conversation_start_rate_limit(settings, start, alice, bob):
    settings.CONVERSATIONS_START_RATE_LIMITS = ((2, 3600),)
    start(alice, [bob], subject="One")
    start(alice, [bob], subject="Two")
    with pytest.raises(services.ConversationError) as caught:
        start(alice, [bob], subject="Three")
    assert caught.value.code == "rate_limited"
    assert Conversation.objects.count() == 2


def test_message_rate_limit(settings, start, send, alice, bob):
    settings.CONVERSATIONS_MESSAGE_RATE_LIMITS = ((3, 3600),)
    conversation = start(alice, [bob])
    send(alice, conversation)
    send(alice, conversation)
    with pytest.raises(services.ConversationError):
        send(alice, conversation)


def test_too_many_participants_refused(start, alice, home_tf):
    others = [make_member(task_force=home_tf) for _ in range(20)]
    with pytest.raises(services.ConversationError) as caught:
        start(alice, others)
    assert "at most 20" in caught.value.message


def test_new_message_notifies_once_and_email_says_only_who(start, send, alice, bob):
    conversation = start(alice, [bob], subject="Operation Nightingale", body="The safe house is on Elm.")
    send(alice, conversation, body="Second note about Elm.")
    notes = Notification.objects.filter(recipient=bob)
    assert notes.count() == 1
    assert not Notification.objects.filter(recipient=alice).exists()
    assert len(mail.outbox) == 1
    email = mail.outbox[0]
    text = email.subject + email.body + "".join(c for c, _ in email.alternatives)
    assert alice.display_name in email.body
    for secret in ("Nightingale", "Elm", "safe house", "Referrals"):
        assert secret not in text
    assert "List-Unsubscribe" in email.extra_headers


def test_reading_clears_and_muting_silences(start, send, alice, bob, commit):
    conversation = start(alice, [bob])
    commit(services.conversation_mark_read, user=bob, conversation=conversation)
    assert not Notification.objects.filter(recipient=bob, read_at__isnull=True).exists()
    services.participant_update(user=bob, conversation=conversation, muted=True)
    send(alice, conversation)
    assert not Notification.objects.filter(recipient=bob, read_at__isnull=True).exists()


def test_left_member_gets_no_notification(start, send, alice, bob, dave, commit):
    conversation = start(alice, [bob, dave])
    commit(services.conversation_leave, actor=actor(dave), conversation=conversation)
    Notification.objects.all().delete()
    send(alice, conversation)
    assert not Notification.objects.filter(recipient=dave).exists()


def test_report_records_and_moderator_removal(start, send, alice, bob, mod):
    conversation = start(alice, [bob])
    message = conversation.messages.get()
    report = services.message_report(actor=actor(bob), message=message, reason="Harassing")
    assert AuditEvent.objects.filter(action="conversations.message_reported").exists()
    with pytest.raises(services.ConversationError):
        services.message_report(actor=actor(alice), message=message, reason="My own")
    services.report_resolve(actor=actor(mod), report=report, remove=True)
    assert not permissions.can_see_message(bob, message)


def test_deleting_an_account_keeps_a_placeholder(start, send, alice, bob):
    conversation = start(alice, [bob])
    send(bob, conversation, body="My own words.")
    bob.delete()
    message = conversation.messages.get(seq=2)
    assert message.body == DELETED_PLACEHOLDER and message.sender is None and message.body_html == ""
    assert conversation.messages.get(seq=1).body.startswith("Can we talk")


def test_retention_erases_old_messages_and_keeps_recent(start, send, alice, bob):
    old = start(alice, [bob], subject="Old")
    Conversation.objects.filter(pk=old.pk).update(
        last_message_at=timezone.now() - timezone.timedelta(days=40)
    )
    recent = start(alice, [bob], subject="Recent")
    send(bob, recent, body="Fresh")
    Message.objects.filter(conversation=recent, seq=1).update(
        created_at=timezone.now() - timezone.timedelta(days=40)
    )
    assert services.retention_apply(days=None) == (0, 0)
    erased, gone = services.retention_apply(days=30)
    assert gone == 1 and not Conversation.objects.filter(pk=old.pk).exists()
    assert erased == 1
    assert recent.messages.get(seq=1).body == RETAINED_PLACEHOLDER
    assert recent.messages.get(seq=2).body == "Fresh"


def test_retention_runs_in_housekeeping(start, alice, bob):
    from connect.tasks import housekeeping
    from conversations.models import ConversationSettings

    conversation = start(alice, [bob])
    Conversation.objects.filter(pk=conversation.pk).update(
        last_message_at=timezone.now() - timezone.timedelta(days=9)
    )
    housekeeping.send(sender=None)
    assert Conversation.objects.filter(pk=conversation.pk).exists()  # indefinitely by default
    settings_row = ConversationSettings.load()
    settings_row.retention_days = 7
    settings_row.save()
    housekeeping.send(sender=None)
    assert not Conversation.objects.filter(pk=conversation.pk).exists()


def test_participant_remove_only_by_starter(start, alice, bob, dave, commit):
    conversation = start(alice, [bob, dave])
    with pytest.raises(services.ConversationError):
        services.participant_remove(actor=actor(bob), conversation=conversation, user=dave)
    commit(services.participant_remove, actor=actor(alice), conversation=conversation, user=dave)
    assert Participant.objects.get(conversation=conversation, user=dave).left_at is not None
