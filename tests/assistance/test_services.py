"""The request and visit lifecycles, refusals from the wrong state, double
submits, the privacy guard and program roles."""

import datetime

import pytest
from django.core import mail
from django.utils import timezone

from assistance import services
from assistance.models import (
    AssistanceRequest,
    ExchangeVisit,
    Feedback,
    Kind,
    ProgramRole,
    RequestChange,
    Status,
    VisitStatus,
)
from connect.models import AuditEvent
from spotlights.models import SpotlightPage

from .conftest import submit, to_status

pytestmark = pytest.mark.django_db


def test_request_submit_creates_a_received_request_for_the_members_task_force(coordinator, topic):
    request = submit(coordinator, topic=topic, audiences=["law_enforcement"])
    assert request.status == Status.RECEIVED
    assert request.task_force_id == coordinator.profile.task_force_id
    assert request.topic == topic
    assert list(request.changes.values_list("field", "new")) == [("status", "Received")]


def test_request_submit_twice_with_one_token_makes_one_request(coordinator):
    first = submit(coordinator, submission_token="abc123")
    second = submit(coordinator, submission_token="abc123")
    assert first.pk == second.pk
    assert AssistanceRequest.objects.count() == 1


def test_request_submit_by_plain_member_refused_once_a_coordinator_exists(coordinator, colleague):
    with pytest.raises(services.NotAllowed):
        submit(colleague)
    assert AssistanceRequest.objects.count() == 0


def test_request_submit_by_any_member_while_the_task_force_has_no_coordinator(member):
    assert submit(member).requester == member


@pytest.mark.parametrize(
    "extra, field",
    [
        ({"kind": "party"}, "kind"),
        ({"urgency": 99}, "urgency"),
        ({"audiences": ["astronauts"]}, "audiences"),
        ({"description": "   "}, "description"),
        ({"description": "x" * 5001}, "description"),
        (
            {"preferred_from": datetime.date(2026, 5, 2), "preferred_until": datetime.date(2026, 5, 1)},
            "preferred_until",
        ),
    ],
)
def test_request_submit_bad_input_is_refused_with_a_message(coordinator, extra, field):
    kwargs = {"kind": Kind.TRAINING, "description": "Training please.", **extra}
    with pytest.raises(services.AssistanceError) as exc:
        services.request_submit(actor=coordinator, **kwargs)
    assert exc.value.field == field
    assert exc.value.message
    assert AssistanceRequest.objects.count() == 0


def test_request_submit_privacy_guard_asks_then_holds_for_review(coordinator, colleague, staff):
    text = "The victim, Maria Lopez, can be reached at 555-867-5309."
    with pytest.raises(services.PrivacyCheckRequired) as exc:
        submit(coordinator, description=text)
    assert {f["kind"] for f in exc.value.findings} >= {"phone"}
    assert AssistanceRequest.objects.count() == 0
    request = submit(coordinator, description=text, confirm_privacy=True)
    assert request.privacy_held
    from assistance.permissions import can_read_description

    assert not can_read_description(colleague, request)
    assert can_read_description(staff, request)
    services.request_privacy_review(actor=staff, request=request)
    request.refresh_from_db()
    assert not request.privacy_held
    assert can_read_description(colleague, request)


def test_full_request_lifecycle_records_every_change(coordinator, staff, partner):
    request = submit(coordinator)
    request = to_status(request, "closed", staff=staff, partner=partner)
    assert request.status == Status.CLOSED
    statuses = list(request.changes.filter(field="status").values_list("old", "new"))
    assert statuses == [
        ("", "Received"),
        ("Received", "Triaged"),
        ("Triaged", "Assigned"),
        ("Assigned", "Scheduled"),
        ("Scheduled", "Delivered"),
        ("Delivered", "Closed"),
    ]
    change = request.changes.get(field="partner")
    assert (change.old, change.new, change.actor) == ("—", partner.name, staff)
    assert request.attendees == {"law_enforcement": 12, "prosecution": 3}
    assert request.triaged_at and request.delivered_at and request.closed_at


WRONG_STATES = [
    ("received", "assign"),
    ("received", "schedule"),
    ("received", "deliver"),
    ("received", "close"),
    ("triaged", "triage"),
    ("triaged", "deliver"),
    ("assigned", "close"),
    ("scheduled", "triage"),
    ("delivered", "decline"),
    ("delivered", "schedule"),
    ("closed", "decline"),
    ("closed", "close"),
    ("declined", "triage"),
    ("declined", "decline"),
]


def _call(action, request, staff, partner):
    today = timezone.localdate()
    return {
        "triage": lambda: services.request_triage(actor=staff, request=request, priority=2),
        "assign": lambda: services.request_assign(
            actor=staff, request=request, partner=partner, assignee=staff
        ),
        "schedule": lambda: services.request_schedule(actor=staff, request=request, scheduled_on=today),
        "deliver": lambda: services.request_deliver(
            actor=staff, request=request, delivered_on=today, delivery_format="online"
        ),
        "close": lambda: services.request_close(actor=staff, request=request),
        "decline": lambda: services.request_decline(actor=staff, request=request, reason="Not this year."),
    }[action]()


@pytest.mark.parametrize("state, action", WRONG_STATES)
def test_state_change_from_the_wrong_state_is_refused_and_changes_nothing(
    coordinator, staff, partner, state, action
):
    request = submit(coordinator)
    if state == "declined":
        services.request_decline(actor=staff, request=request, reason="Out of scope.")
    elif state != "received":
        to_status(request, state, staff=staff, partner=partner)
    request.refresh_from_db()
    before = (request.status, request.updated_at, RequestChange.objects.count())
    with pytest.raises(services.AssistanceError) as exc:
        _call(action, request, staff, partner)
    assert exc.value.code == "wrong_state"
    assert "Nothing was changed" in exc.value.message
    request.refresh_from_db()
    assert (request.status, request.updated_at, RequestChange.objects.count()) == before


def test_decline_needs_a_reason(coordinator, staff):
    request = submit(coordinator)
    with pytest.raises(services.AssistanceError) as exc:
        services.request_decline(actor=staff, request=request, reason=" ")
    assert exc.value.field == "reason"
    request.refresh_from_db()
    assert request.status == Status.RECEIVED


def test_assign_refuses_a_staff_member_of_another_partner(coordinator, staff, other_staff, partner):
    request = submit(coordinator)
    services.request_triage(actor=staff, request=request)
    with pytest.raises(services.AssistanceError) as exc:
        services.request_assign(actor=staff, request=request, partner=partner, assignee=other_staff)
    assert exc.value.code == "wrong_assignee"


def test_staff_of_another_partner_cannot_change_an_assigned_request(coordinator, staff, other_staff, partner):
    request = to_status(submit(coordinator), "assigned", staff=staff, partner=partner)
    with pytest.raises(services.AssistanceError) as exc:
        services.request_schedule(actor=other_staff, request=request, scheduled_on=timezone.localdate())
    assert exc.value.code == "not_staff"
    request.refresh_from_db()
    assert request.status == Status.ASSIGNED


def test_members_cannot_triage(coordinator):
    request = submit(coordinator)
    with pytest.raises(services.AssistanceError):
        services.request_triage(actor=coordinator, request=request)


def test_deliver_refuses_a_future_date(coordinator, staff, partner):
    request = to_status(submit(coordinator), "scheduled", staff=staff, partner=partner)
    with pytest.raises(services.AssistanceError) as exc:
        services.request_deliver(
            actor=staff,
            request=request,
            delivered_on=timezone.localdate() + datetime.timedelta(days=3),
            delivery_format="online",
        )
    assert exc.value.field == "delivered_on"


def test_deliver_links_an_event_page_but_not_any_page(coordinator, staff, partner):
    from wagtail.models import Page

    from resources.models import EventIndexPage
    from tests.resources.conftest import make_event

    request = to_status(submit(coordinator), "scheduled", staff=staff, partner=partner)
    home = Page.objects.get(depth=2)
    with pytest.raises(services.AssistanceError) as exc:
        services.request_deliver(
            actor=staff,
            request=request,
            delivered_on=timezone.localdate(),
            delivery_format="online",
            page=home,
        )
    assert exc.value.field == "page"
    event = make_event(EventIndexPage.objects.get(), title="Recognising labor trafficking", days=-1)
    services.request_deliver(
        actor=staff, request=request, delivered_on=timezone.localdate(), delivery_format="online", page=event
    )
    request.refresh_from_db()
    assert request.delivered_page_id == event.pk


def test_feedback_once_after_delivery(coordinator, staff, partner):
    request = submit(coordinator)
    with pytest.raises(services.AssistanceError):
        services.request_feedback_submit(actor=coordinator, request=request, useful=5)
    request = to_status(request, "delivered", staff=staff, partner=partner)
    services.request_feedback_submit(actor=coordinator, request=request, useful=5, what_next="More please.")
    with pytest.raises(services.AssistanceError) as exc:
        services.request_feedback_submit(actor=coordinator, request=request, useful=1)
    assert exc.value.code == "duplicate"
    assert Feedback.objects.get().useful == 5


@pytest.mark.parametrize("useful", [0, 6, "x"])
def test_feedback_score_must_be_1_to_5(coordinator, staff, partner, useful):
    request = to_status(submit(coordinator), "delivered", staff=staff, partner=partner)
    with pytest.raises(services.AssistanceError) as exc:
        services.request_feedback_submit(actor=coordinator, request=request, useful=useful)
    assert exc.value.field == "useful"


def test_status_change_notifies_and_emails_the_requester_without_request_text(
    coordinator, staff, partner, django_capture_on_commit_callbacks
):
    secret = "Our informant on Elm Street needs a training about sensitive things."
    request = submit(coordinator, description=secret, confirm_privacy=True)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.request_triage(actor=staff, request=request)
    from notifications.models import Notification

    notification = Notification.objects.get(recipient=coordinator, kind=services.KIND_REQUEST_UPDATED)
    assert notification.url == request.get_absolute_url()
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [coordinator.email]
    assert f"#{request.pk}" in message.body and "Triaged" in message.body
    html = message.alternatives[0][0]
    for part in (message.subject, message.body, html):
        assert "Elm Street" not in part and "informant" not in part


def test_notification_disappears_for_someone_who_can_no_longer_see_the_request(coordinator, staff, outsider):
    from notifications.models import Notification
    from notifications.permissions import visible_notifications

    request = submit(coordinator)
    note = Notification.objects.create(
        recipient=outsider,
        kind=services.KIND_REQUEST_UPDATED,
        target_type_id=__import__("django.contrib.contenttypes.models", fromlist=["ContentType"])
        .ContentType.objects.get_for_model(AssistanceRequest)
        .pk,
        target_id=request.pk,
    )
    assert not visible_notifications(outsider).filter(pk=note.pk).exists()


# --- Visits ----------------------------------------------------------------------------


def _peer_request(coordinator, staff, partner):
    request = submit(
        coordinator, kind=Kind.PEER_EXCHANGE, description="We want to learn co-located operations."
    )
    return to_status(request, "assigned", staff=staff, partner=partner)


def test_full_visit_lifecycle(
    coordinator, staff, partner, host_task_force, host_coordinator, django_capture_on_commit_callbacks
):
    request = _peer_request(coordinator, staff, partner)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        visit = services.visit_propose(
            actor=staff, request=request, host=host_task_force, focus="Co-location"
        )
    assert [m.to for m in mail.outbox] == [[host_coordinator.email]]
    assert "co-located" not in mail.outbox[0].body.lower()
    visit = services.visit_respond(actor=host_coordinator, visit=visit, accept=True)
    assert visit.status == VisitStatus.ACCEPTED
    start = timezone.localdate() - datetime.timedelta(days=2)
    services.visit_schedule(
        actor=staff,
        visit=visit,
        starts_on=start,
        ends_on=start + datetime.timedelta(days=1),
        place="Main office",
    )
    request.refresh_from_db()
    assert request.status == Status.SCHEDULED
    with pytest.raises(services.AssistanceError) as exc:
        services.visit_close(actor=staff, visit=visit)
    assert exc.value.code == "reports_missing"
    services.visit_report_file(actor=coordinator, visit=visit, learned="Shared intake.")
    with pytest.raises(services.AssistanceError) as exc:
        services.visit_report_file(actor=coordinator, visit=visit, learned="Again.")
    assert exc.value.code == "duplicate"
    services.visit_report_file(actor=host_coordinator, visit=visit, learned="Fresh eyes.")
    visit = services.visit_close(actor=staff, visit=visit)
    assert visit.status == VisitStatus.CLOSED
    assert {r.side for r in visit.reports.all()} == {"visitor", "host"}
    request.refresh_from_db()
    assert request.status == Status.DELIVERED


def test_visit_decline_needs_a_reason_and_only_the_host_answers(
    coordinator, staff, partner, host_task_force, host_coordinator, outsider
):
    visit = services.visit_propose(
        actor=staff,
        request=_peer_request(coordinator, staff, partner),
        host=host_task_force,
        focus="Navigators",
    )
    with pytest.raises(services.AssistanceError) as exc:
        services.visit_respond(actor=host_coordinator, visit=visit, accept=False)
    assert exc.value.field == "reason"
    with pytest.raises(services.AssistanceError):
        services.visit_respond(actor=coordinator, visit=visit, accept=True)
    with pytest.raises(services.NotAllowed):
        services.visit_respond(actor=outsider, visit=visit, accept=True)
    visit.refresh_from_db()
    assert visit.status == VisitStatus.PROPOSED
    services.visit_respond(actor=host_coordinator, visit=visit, accept=False, reason="In trial all spring.")
    visit.refresh_from_db()
    assert visit.status == VisitStatus.DECLINED
    with pytest.raises(services.AssistanceError) as exc:
        services.visit_respond(actor=host_coordinator, visit=visit, accept=True)
    assert exc.value.code == "wrong_state"


def test_visit_wrong_states_are_refused(coordinator, staff, partner, host_task_force):
    visit = services.visit_propose(
        actor=staff,
        request=_peer_request(coordinator, staff, partner),
        host=host_task_force,
        focus="Navigators",
    )
    today = timezone.localdate()
    for call in [
        lambda: services.visit_schedule(actor=staff, visit=visit, starts_on=today, ends_on=today, place="X"),
        lambda: services.visit_report_file(actor=coordinator, visit=visit, learned="x"),
        lambda: services.visit_close(actor=staff, visit=visit),
        lambda: services.visit_spotlight_draft(actor=staff, visit=visit),
    ]:
        with pytest.raises(services.AssistanceError) as exc:
            call()
        assert exc.value.code == "wrong_state"
    visit.refresh_from_db()
    assert visit.status == VisitStatus.PROPOSED


def test_visit_propose_refuses_own_task_force_and_non_peer_requests(
    coordinator, staff, partner, host_task_force
):
    request = _peer_request(coordinator, staff, partner)
    with pytest.raises(services.AssistanceError) as exc:
        services.visit_propose(actor=staff, request=request, host=coordinator.profile.task_force, focus="x")
    assert exc.value.field == "host"
    training = to_status(submit(coordinator), "triaged", staff=staff, partner=partner)
    with pytest.raises(services.AssistanceError) as exc:
        services.visit_propose(actor=staff, request=training, host=host_task_force, focus="x")
    assert exc.value.code == "wrong_kind"
    services.visit_propose(actor=staff, request=request, host=host_task_force, focus="x")
    with pytest.raises(services.AssistanceError):
        services.visit_propose(actor=staff, request=request, host=host_task_force, focus="x")
    assert ExchangeVisit.objects.count() == 1


def test_visit_turns_into_a_linked_spotlight_draft_once(
    coordinator, staff, partner, host_task_force, host_coordinator
):
    visit = services.visit_propose(
        actor=staff,
        request=_peer_request(coordinator, staff, partner),
        host=host_task_force,
        focus="Navigators",
    )
    services.visit_respond(actor=host_coordinator, visit=visit, accept=True)
    today = timezone.localdate()
    services.visit_schedule(actor=staff, visit=visit, starts_on=today, ends_on=today, place="Office")
    page = services.visit_spotlight_draft(actor=staff, visit=visit)
    again = services.visit_spotlight_draft(actor=staff, visit=visit)
    assert page.pk == again.pk
    spotlight = SpotlightPage.objects.get(pk=page.pk)
    assert not spotlight.live
    assert spotlight.task_force == host_task_force
    assert spotlight.get_latest_revision() is not None
    visit.refresh_from_db()
    assert visit.spotlight_page_id == page.pk


# --- Roles ---------------------------------------------------------------------------------


def test_role_grant_by_administrator_is_audited(administrator_member, member):
    role = services.role_grant(
        actor=administrator_member,
        user=member,
        kind=ProgramRole.Kind.COORDINATOR,
        task_force=member.profile.task_force,
    )
    assert role.granted_by == administrator_member
    event = AuditEvent.objects.get(action="assistance.role_granted")
    assert event.actor == administrator_member
    assert event.target_id == str(member.pk)
    services.role_revoke(actor=administrator_member, role=role)
    assert AuditEvent.objects.filter(action="assistance.role_revoked").count() == 1
    assert not ProgramRole.objects.exists()


def test_role_grant_refuses_coordinating_another_task_force(administrator_member, member, host_task_force):
    with pytest.raises(services.AssistanceError) as exc:
        services.role_grant(
            actor=administrator_member,
            user=member,
            kind=ProgramRole.Kind.COORDINATOR,
            task_force=host_task_force,
        )
    assert "their own" in exc.value.message or "belong" in exc.value.message
    assert not ProgramRole.objects.exists()


def test_role_grant_by_non_administrator_is_refused(staff, member):
    with pytest.raises(services.NotAllowed):
        services.role_grant(actor=staff, user=member, kind=ProgramRole.Kind.COORDINATOR, task_force=None)
