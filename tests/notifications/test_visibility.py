"""One rule decides whether a member may see a notification, and the list,
the header count, immediate emails and digests all use it."""

from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from connect.models import Discipline
from connect.permissions import forget_membership_state
from forum import services
from notifications import emails, selectors
from notifications.models import Notification
from notifications.permissions import can_see_notification, visible_notifications
from tests.factories import make_member

from ..forum.factories import make_post, make_thread

pytestmark = pytest.mark.django_db

SECRET = "Operation Nightjar"


def lose_access(user):
    profile = user.profile
    profile.discipline = Discipline.PROSECUTION
    profile.save()


@pytest.fixture
def restricted_reply(officer, le_category, commit):
    """A reply in a law-enforcement-only thread the officer watches, waiting for their digest."""
    restricted = commit(make_thread, author=officer, category=le_category, title=SECRET)
    commit(make_post, author=make_member(), thread=restricted)
    return Notification.objects.get(recipient=officer)


def test_a_notification_the_member_can_no_longer_see_is_absent_everywhere(
    officer, restricted_reply, client_for
):
    client = client_for(officer)
    assert SECRET in client.get(reverse("notifications:list")).content.decode()
    assert 'aria-label="Notifications 1 unread"' in client.get("/").content.decode()
    lose_access(officer)
    client = client_for(officer)
    assert SECRET not in client.get(reverse("notifications:list")).content.decode()
    assert 'aria-label="Notifications, none unread"' in client.get("/").content.decode()
    assert client.get(reverse("notifications:open", args=[restricted_reply.pk])).status_code == 404
    assert selectors.unread_notification_count(user=officer) == 0
    assert emails.send_immediately(restricted_reply) is False
    assert emails.send_digests(now=timezone.now() + timedelta(days=8)).sent == 0
    assert not mail.outbox
    restricted_reply.refresh_from_db()
    assert restricted_reply.email_state == "skipped"


def test_visible_notifications_hides_a_hidden_post_but_keeps_the_moderation_notice(
    officer, advocate, mod, thread, commit
):
    reply = commit(make_post, author=advocate, thread=thread)
    commit(services.post_hide, moderator=mod, post=reply, reason="Contains an address")
    about_reply = Notification.objects.get(recipient=officer, kind="reply")
    notice = Notification.objects.get(recipient=advocate, kind="moderation")
    assert not can_see_notification(officer, about_reply)
    assert can_see_notification(advocate, notice)
    assert not can_see_notification(officer, notice)  # addressed to someone else
    assert can_see_notification(mod, Notification(pk=about_reply.pk, recipient_id=mod.pk)) is False


def test_visible_notifications_shows_nothing_to_a_deactivated_member(officer, advocate, thread, commit):
    commit(make_post, author=advocate, thread=thread)
    assert visible_notifications(officer).count() == 1
    officer.is_active = False
    officer.save()
    forget_membership_state(officer)
    assert visible_notifications(officer).count() == 0


def test_notification_list_query_count_does_not_grow(
    officer, advocate, thread, commit, django_assert_num_queries
):
    for _ in range(3):
        commit(make_post, author=advocate, thread=thread)
    selectors.notification_list(user=officer)  # warm the content-type cache
    with django_assert_num_queries(4) as captured:
        page = selectors.notification_list(user=officer)
    assert len(page.object_list) == 3
    for _ in range(5):
        commit(make_post, author=advocate, thread=thread)
    with django_assert_num_queries(len(captured)):
        assert len(selectors.notification_list(user=officer).object_list) == 8
