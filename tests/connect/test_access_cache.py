"""A member's access state is read once and kept across requests, and every
change that could take access away (or grant it) is seen on the next request."""

import time

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.usersessions.models import UserSession
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext

from connect import services
from connect.middleware import UserSessionActivityMiddleware
from connect.models import Role
from tests.factories import make_member

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.connect.trivial_urls")]


def _warm(client):
    for _ in range(2):
        assert client.get("/trivial/").status_code == 200


def test_members_only_request_costs_one_query_once_warm(member_client, django_assert_num_queries):
    _warm(member_client)
    # Only the session row: the account, its address, roles and authenticators
    # come from the access cache, and nothing is written.
    with django_assert_num_queries(1):
        assert member_client.get("/trivial/").status_code == 200


def test_members_only_request_writes_nothing_between_activity_stamps(member_client):
    _warm(member_client)
    with CaptureQueriesContext(connection) as ctx:
        for _ in range(3):
            member_client.get("/trivial/")
    writes = [q["sql"] for q in ctx.captured_queries if not q["sql"].lstrip().upper().startswith("SELECT")]
    assert writes == []


def test_session_activity_is_recorded_at_once_then_once_a_minute(member_client, member):
    member_client.get("/trivial/")
    record = UserSession.objects.get(user=member)
    first_seen = record.last_seen_at
    member_client.get("/trivial/")
    record.refresh_from_db()
    assert record.last_seen_at == first_seen
    # A minute later the member's session list shows the new activity.
    session = member_client.session
    key, stamp = session[UserSessionActivityMiddleware.SESSION_KEY]
    session[UserSessionActivityMiddleware.SESSION_KEY] = [key, stamp - 61]
    session.save()
    member_client.get("/trivial/")
    record.refresh_from_db()
    assert record.last_seen_at > first_seen


def test_idle_stamp_is_written_at_most_once_a_minute(member_client):
    member_client.get("/trivial/")
    seen = member_client.session["connect_last_seen"]
    member_client.get("/trivial/")
    assert member_client.session["connect_last_seen"] == seen
    session = member_client.session
    session["connect_last_seen"] = time.time() - 61
    session.save()
    member_client.get("/trivial/")
    assert member_client.session["connect_last_seen"] > time.time() - 5


def test_role_change_is_seen_on_the_next_request(member_client, member, administrator):
    _warm(member_client)
    assert member_client.get("/admin/").status_code == 404
    services.member_set_role(user=member, role=Role.MODERATOR, by=administrator)
    assert member_client.get("/admin/").status_code == 200
    services.member_set_role(user=member, role=Role.MEMBER, by=administrator)
    assert member_client.get("/admin/").status_code == 404


def test_losing_every_role_is_seen_on_the_next_request(member_client, member):
    _warm(member_client)
    member.groups.clear()
    assert member_client.get("/trivial/").status_code == 403


def test_removal_from_the_role_group_is_seen_on_the_next_request(member_client, member):
    _warm(member_client)
    Group.objects.get(name=Role.MEMBER).user_set.remove(member)
    assert member_client.get("/trivial/").status_code == 403


def test_a_deleted_role_group_is_seen_on_the_next_request(member_client, member):
    # Roles are read by group name: deleting the group takes the role away
    # without a membership change of the member's own.
    _warm(member_client)
    Group.objects.get(name=Role.MEMBER).delete()
    assert member_client.get("/trivial/").status_code == 403


def test_deactivation_is_seen_on_the_next_request(member_client, member, administrator):
    _warm(member_client)
    services.member_deactivate(user=member, by=administrator)
    response = member_client.get("/trivial/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_removed_authenticator_is_seen_on_the_next_request(member_client, member):
    _warm(member_client)
    for authenticator in Authenticator.objects.filter(user=member):
        authenticator.delete()
    response = member_client.get("/trivial/")
    assert response.status_code == 302
    assert "/accounts/2fa/" in response["Location"]


def test_unverified_address_is_seen_on_the_next_request(member_client, member):
    _warm(member_client)
    address = EmailAddress.objects.get(user=member)
    address.verified = False
    address.save()
    response = member_client.get("/trivial/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_changed_login_address_is_seen_on_the_next_request(member_client, member):
    """A new account address that is not verified yet does not keep access."""
    _warm(member_client)
    member.email = "new-address@tf.test.example"
    member.save()
    response = member_client.get("/trivial/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_access_cache_is_per_member(client, member, moderator):
    client.force_login(member)
    _warm(client)
    assert client.get("/trivial/").content == f"ok {member.pk}".encode()
    client.force_login(moderator)
    assert client.get("/trivial/").content == f"ok {moderator.pk}".encode()
    assert client.get("/admin/").status_code == 200


def test_rolled_back_change_is_not_cached(member_client, member):
    """State read inside a transaction that is then rolled back is never shared."""
    from django.core.cache import cache
    from django.db import transaction

    from connect.access import cache_key, member_get

    class Rollback(Exception):
        pass

    with pytest.raises(Rollback), transaction.atomic():
        member.groups.clear()
        cache.delete(cache_key(member.pk))
        assert member_get(member.pk).role_names == frozenset()
        raise Rollback
    assert cache.get(cache_key(member.pk)) is None
    assert member_client.get("/trivial/").status_code == 200


def test_new_member_is_not_served_someone_elses_state(client, db):
    first = make_member()
    client.force_login(first)
    _warm(client)
    other = make_member(role=None)
    client.force_login(other)
    assert client.get("/trivial/").status_code == 403


def test_entry_stored_just_after_a_change_is_not_used(member_client, member):
    """A request that read the rows just before a change and stores its entry
    just after the change (after the invalidation) must not keep the old state."""
    from django.core.cache import cache

    from connect.access import cache_key

    _warm(member_client)
    stale = cache.get(cache_key(member.pk))
    member.groups.clear()
    cache.set(cache_key(member.pk), stale)
    assert member_client.get("/trivial/").status_code == 403
