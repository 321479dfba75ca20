"""The directory's "Message" buttons follow blocks and messaging preferences at
once, although the listing around them is cached (connect.views.member_directory
asks the register_member_actions hooks on every request)."""

import pytest
from django.urls import reverse

from conversations import services

from .conftest import actor

pytestmark = pytest.mark.django_db


def message_button(client, user):
    html = client.get(reverse("connect:member_directory")).content.decode().replace("&amp;", "&")
    return f'href="{reverse("conversations:start")}?to={user.pk}"' in html


def test_a_block_removes_the_message_button_at_once_both_ways(alice, bob, client_for):
    alice_client, bob_client = client_for(alice), client_for(bob)
    assert message_button(alice_client, bob) and message_button(bob_client, alice)
    services.member_block(actor=actor(bob), blocked=alice)
    assert not message_button(alice_client, bob)
    assert not message_button(bob_client, alice)
    services.member_unblock(actor=actor(bob), blocked=alice)
    assert message_button(alice_client, bob) and message_button(bob_client, alice)


def test_a_task_force_only_preference_removes_the_button_for_outsiders_at_once(alice, bob, carol, client_for):
    carol_client, bob_client = client_for(carol), client_for(bob)
    assert message_button(carol_client, alice)
    services.messaging_preference_set(user=alice, task_force_only=True)
    assert not message_button(carol_client, alice)
    assert message_button(bob_client, alice)  # same task force


def test_a_suspension_removes_the_button_at_once_and_its_lift_brings_it_back(alice, bob, mod, client_for):
    from forum.models import Suspension
    from forum.services import member_suspend, suspension_lift

    alice_client = client_for(alice)
    assert message_button(alice_client, bob)
    member_suspend(moderator=mod, user=bob, reason="Cooling off", days=1)
    assert not message_button(alice_client, bob)
    suspension_lift(moderator=mod, suspension=Suspension.objects.get(user=bob))
    assert message_button(alice_client, bob)


def test_a_suspended_viewer_is_offered_no_button_at_once(alice, bob, mod, client_for):
    from forum.services import member_suspend

    alice_client = client_for(alice)
    assert message_button(alice_client, bob)
    member_suspend(moderator=mod, user=alice, reason="Cooling off", days=1)
    assert not message_button(alice_client, bob)


def test_a_suspension_that_lapses_brings_the_button_back_with_no_save(alice, bob, mod, client_for):
    import time
    from datetime import timedelta

    from django.utils import timezone

    from forum.models import Suspension

    alice_client = client_for(alice)
    Suspension.objects.create(
        user=bob, reason="Brief", created_by=mod, ends_at=timezone.now() + timedelta(seconds=1.5)
    )
    assert not message_button(alice_client, bob)
    time.sleep(1.6)
    assert message_button(alice_client, bob)


def test_a_deactivated_members_button_leaves_at_once(alice, bob, client_for):
    alice_client = client_for(alice)
    assert message_button(alice_client, bob)
    bob.is_active = False
    bob.save()
    assert not message_button(alice_client, bob)


def test_the_buttons_are_cached_per_viewer(alice, bob, dave, client_for):
    # Bob blocks Alice only: Dave, who saw the same page of cards, still may write to Bob.
    alice_client, dave_client = client_for(alice), client_for(dave)
    assert message_button(alice_client, bob) and message_button(dave_client, bob)
    services.member_block(actor=actor(bob), blocked=alice)
    assert not message_button(alice_client, bob)
    assert message_button(dave_client, bob)
