"""The header's unread count is cached per member (connect.fragments) and
follows every write that changes it: a new notification, reading them, a
post hidden, a member's access or profile changing."""

import pytest
from django.test import Client

from connect.models import Discipline, Role, User
from connect.services import member_deactivate, member_set_role
from forum import services
from notifications import selectors
from notifications.models import Notification
from notifications.services import notification_mark_read
from tests.factories import make_member

from ..forum.factories import make_category, make_post, make_thread

pytestmark = pytest.mark.django_db


def bell(client):
    html = client.get("/discussions/").content.decode()
    if 'aria-label="Notifications, none unread"' in html:
        return 0
    marker = 'aria-label="Notifications '
    start = html.index(marker) + len(marker)
    return int(html[start : html.index(" ", start)])


@pytest.fixture
def watched(officer, category, commit):
    """A thread the officer started (and so watches), with one reply from someone else."""
    thread = commit(make_thread, author=officer, category=category, title="Screening questions")
    commit(make_post, author=make_member(), thread=thread)
    return thread


@pytest.fixture
def officer_client(officer):
    client = Client()
    client.force_login(officer)
    return client


def test_the_count_is_cached_between_pages(officer, watched, officer_client, django_assert_num_queries):
    assert bell(officer_client) == 1
    with django_assert_num_queries(0):
        assert selectors.unread_notification_count(user=officer) == 1


def test_a_new_notification_moves_the_cached_count(officer, watched, officer_client, commit):
    assert bell(officer_client) == 1
    commit(make_post, author=make_member(), thread=watched)
    assert bell(officer_client) == 2


def test_reading_the_notifications_drops_the_cached_count(officer, watched, officer_client):
    assert bell(officer_client) == 1
    notification_mark_read(user=officer)
    assert bell(officer_client) == 0


def test_hiding_the_post_drops_the_cached_count(officer, watched, officer_client, mod, commit):
    assert bell(officer_client) == 1
    reply = watched.posts.order_by("-id").first()
    commit(services.post_hide, moderator=mod, post=reply, reason="Off topic")
    assert bell(officer_client) == 0


def test_losing_a_restricted_category_drops_the_cached_count(officer, le_category, commit):
    thread = commit(make_thread, author=officer, category=le_category, title="Warrant templates")
    commit(make_post, author=make_member(discipline=Discipline.LAW_ENFORCEMENT), thread=thread)
    client = Client()
    client.force_login(officer)
    assert bell(client) == 1
    profile = officer.profile
    profile.discipline = Discipline.PROSECUTION  # the profile save is all that changes
    profile.save()
    assert bell(client) == 0


def test_a_role_change_rebuilds_the_cached_count(officer, officer_client, commit):
    """A reply in a category open to moderators only: the count follows the member's role."""
    staff_only = make_category(
        name="Moderators only test", slug="moderators-only-test", roles=[Role.MODERATOR]
    )
    admin = make_member(role=Role.ADMINISTRATOR)
    moderator = make_member(role=Role.MODERATOR)
    thread = commit(make_thread, author=moderator, category=staff_only, title="Roster")
    reply = commit(make_post, author=moderator, thread=thread)
    # Written directly: the service notifies nobody who cannot read the post.
    Notification.objects.create(
        recipient=officer, kind="reply", actor=moderator, target=reply, url="/", message="replied"
    )
    assert bell(officer_client) == 0
    commit(member_set_role, user=officer, role=Role.MODERATOR, by=admin)
    assert bell(officer_client) == 1
    commit(member_set_role, user=officer, role=Role.MEMBER, by=admin)
    assert bell(officer_client) == 0


def test_a_deactivated_member_counts_nothing(officer, watched, commit):
    assert selectors.unread_notification_count(user=officer) == 1
    commit(member_deactivate, user=officer, by=make_member(role=Role.ADMINISTRATOR))
    assert selectors.unread_notification_count(user=User.objects.get(pk=officer.pk)) == 0
