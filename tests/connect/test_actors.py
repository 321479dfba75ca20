from django.test import Client, RequestFactory

from connect.actors import Actor, ServiceError
from connect.audit import audit_record
from connect.models import AuditEvent, MembershipRequest

from .helpers import REQUEST_DATA


def test_actor_from_request_reads_the_client_behind_the_trusted_proxy(settings, member):
    settings.CONNECT_TRUSTED_PROXY_COUNT = 1
    request = RequestFactory().get(
        "/",
        HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.7",
        REMOTE_ADDR="10.0.0.2",
        HTTP_USER_AGENT="Firefox/140",
    )
    request.user = member
    actor = Actor.from_request(request)
    assert (actor.user, actor.ip_address, actor.user_agent, actor.via) == (
        member,
        "203.0.113.7",
        "Firefox/140",
        "web",
    )


def test_actor_from_request_without_a_member_acts_for_nobody(rf):
    from django.contrib.auth.models import AnonymousUser

    request = rf.get("/", REMOTE_ADDR="198.51.100.4")
    request.user = AnonymousUser()
    assert Actor.from_request(request).user is None


def test_actor_from_scope_uses_the_socket_peer_and_ignores_a_forged_header(settings, member):
    settings.CONNECT_TRUSTED_PROXY_COUNT = 0
    scope = {
        "client": ("198.51.100.9", 5555),
        "headers": [(b"x-forwarded-for", b"6.6.6.6"), (b"user-agent", b"Safari/18")],
        "user": member,
    }
    actor = Actor.from_scope(scope)
    assert (actor.user, actor.ip_address, actor.user_agent, actor.via) == (
        member,
        "198.51.100.9",
        "Safari/18",
        "websocket",
    )


def test_audit_record_takes_an_actor_where_there_is_no_request(db, member):
    event = audit_record(
        action="test.event", origin=Actor(user=member, ip_address="192.0.2.1", user_agent="cli")
    )
    assert (event.actor, event.ip_address, event.user_agent) == (member, "192.0.2.1", "cli")
    assert audit_record(action="test.event", origin=Actor.system()).actor is None


def test_service_error_carries_a_stable_code():
    error = ServiceError("Not now.", code="rate_limited")
    assert (error.code, str(error)) == ("rate_limited", "Not now.")
    assert ServiceError("x").code == "refused"


def test_membership_request_create_records_the_client_behind_the_proxy(settings, db, task_force):
    # Behind nginx REMOTE_ADDR is the proxy; the request used to record it.
    settings.CONNECT_TRUSTED_PROXY_COUNT = 1
    Client(REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="203.0.113.50").post(
        "/join/request/", {**REQUEST_DATA, "task_force": task_force.pk}
    )
    assert MembershipRequest.objects.get().ip_address == "203.0.113.50"
    assert AuditEvent.objects.get(action="membership.requested").ip_address == "203.0.113.50"


def test_member_set_role_is_seen_at_once_on_the_same_user_object(member, administrator):
    from connect import permissions, services
    from connect.models import Role

    assert not permissions.is_moderator(member)  # remembers the member's roles on the object
    services.member_set_role(user=member, role=Role.MODERATOR, by=administrator)
    assert permissions.is_moderator(member)
