"""What the issue asks of deliveries, visits and the program report, as a
coordinator or a staff member would notice it: the feedback form, the host
suggestions, the agenda document, the spotlight draft in the workflow, and
the report's medians and breakdowns."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from assistance import selectors, services
from assistance.models import AssistanceRequest, ExchangeVisit, Feedback, Kind, Status, VisitStatus

from .conftest import login, submit, to_status

pytestmark = pytest.mark.django_db


def _feedback_url(request):
    return reverse("assistance:request_action", args=[request.pk, "feedback"])


def test_feedback_form_once_by_the_requester_and_its_answers_shown_to_staff(
    coordinator, colleague, staff, partner
):
    request = to_status(submit(coordinator), "delivered", staff=staff, partner=partner)
    client = login(coordinator)
    assert "How useful was it?" in client.get(request.get_absolute_url()).content.decode()
    # A colleague who neither asked nor coordinates has no form to send.
    assert login(colleague).post(_feedback_url(request), {"useful": 2}).status_code == 404
    response = client.post(_feedback_url(request), {"useful": 6, "what_next": ""})
    assert response.status_code == 400
    assert not Feedback.objects.exists()
    response = client.post(_feedback_url(request), {"useful": 4, "what_next": "A follow-up on labor cases."})
    assert response.status_code == 302
    client.post(_feedback_url(request), {"useful": 1, "what_next": "Again"})
    assert Feedback.objects.get(request=request).useful == 4
    body = login(staff).get(request.get_absolute_url()).content.decode()
    assert "4 out of 5" in body and "A follow-up on labor cases." in body


def _peer(coordinator, staff, partner, topic=None):
    request = submit(coordinator, kind=Kind.PEER_EXCHANGE, topic=topic, description="Learn co-location.")
    return to_status(request, "assigned", staff=staff, partner=partner)


def _held_visit(request, staff, host, host_speaker, *, days_ago=10):
    visit = services.visit_propose(actor=staff, request=request, host=host, focus="Co-located operations")
    services.visit_respond(actor=host_speaker, visit=visit, accept=True)
    start = timezone.localdate() - datetime.timedelta(days=days_ago)
    return services.visit_schedule(
        actor=staff, visit=visit, starts_on=start, ends_on=start, place="Main office"
    )


def test_host_suggestions_name_task_forces_that_hosted_on_the_topic_and_never_the_requester(
    coordinator, staff, partner, topic, host_task_force, host_coordinator, make_member_fixture
):
    earlier = _peer(coordinator, staff, partner, topic=topic)
    _held_visit(earlier, staff, host_task_force, host_coordinator)
    asking = make_member_fixture()
    new = _peer(asking, staff, partner, topic=topic)
    suggestions = {s["pk"]: s for s in selectors.host_suggestions(new)}
    assert host_task_force.pk in suggestions
    assert "Hosted 1 visit(s) on this topic" in suggestions[host_task_force.pk]["reasons"]
    assert asking.profile.task_force_id not in suggestions
    # And the staff member sees them where they propose a host.
    body = login(staff).get(new.get_absolute_url()).content.decode()
    assert "Hosts that might fit" in body and host_task_force.name in body


def test_agenda_document_reaches_both_task_forces_and_staff_only(
    coordinator, staff, partner, host_task_force, host_coordinator, outsider
):
    visit = _held_visit(_peer(coordinator, staff, partner), staff, host_task_force, host_coordinator)
    schedule = reverse("assistance:visit_action", args=[visit.pk, "schedule"])
    fields = {"starts_on": visit.starts_on, "ends_on": visit.ends_on, "place": "Main office"}
    fields["travellers"] = "Two investigators\nOne victim advocate"
    response = login(staff).post(schedule, {**fields, "agenda": SimpleUploadedFile("agenda.exe", b"MZ")})
    assert response.status_code == 400
    assert "must be a PDF, Word or text file" in response.content.decode()
    # Named as a PDF, but an executable: refused by its content, nothing stored.
    response = login(staff).post(
        schedule, {**fields, "agenda": SimpleUploadedFile("agenda.pdf", b"MZ\x90\x00")}
    )
    assert response.status_code == 400
    assert "does not match its name" in response.content.decode()
    visit.refresh_from_db()
    assert visit.agenda_id is None
    response = login(staff).post(
        schedule, {**fields, "agenda": SimpleUploadedFile("agenda.pdf", b"%PDF-1.4 agenda")}
    )
    assert response.status_code == 302
    visit.refresh_from_db()
    assert visit.agenda.collection.name == services.AGENDA_COLLECTION
    url = reverse("assistance:visit_agenda", args=[visit.pk])
    for user in (coordinator, host_coordinator, staff):
        response = login(user).get(url)
        assert response.status_code == 200, user
        assert b"".join(response.streaming_content) == b"%PDF-1.4 agenda"
    assert login(outsider).get(url).status_code == 404
    # The document server itself keeps it from members: it is linked from no page.
    assert login(coordinator).get(visit.agenda.url).status_code == 404
    body = login(host_coordinator).get(visit.get_absolute_url()).content.decode()
    assert "One victim advocate" in body and "Download the agenda" in body


def test_spotlight_draft_enters_the_wagtail_workflow(
    coordinator, staff, partner, host_task_force, host_coordinator
):
    visit = _held_visit(_peer(coordinator, staff, partner), staff, host_task_force, host_coordinator)
    page = services.visit_spotlight_draft(actor=staff, visit=visit)
    workflow = page.get_workflow()
    assert workflow is not None, "the spotlight section has a review workflow"
    page.refresh_from_db()
    assert page.workflow_in_progress
    assert page.current_workflow_state.workflow == workflow


def test_report_medians_and_breakdowns_by_quarter_task_force_state_kind_topic_partner(
    coordinator, staff, partner, topic
):
    now = timezone.now()
    first = to_status(submit(coordinator, topic=topic), "delivered", staff=staff, partner=partner)
    second = to_status(submit(coordinator, topic=topic), "delivered", staff=staff, partner=partner)
    third = submit(coordinator, kind=Kind.RESOURCE)
    # Received 10 and 20 days before triage, 30 and 50 days before delivery.
    for request, triage, delivery in [(first, 10, 30), (second, 20, 50)]:
        created = now - datetime.timedelta(days=delivery)
        AssistanceRequest.objects.filter(pk=request.pk).update(
            created_at=created,
            triaged_at=created + datetime.timedelta(days=triage),
            delivered_at=now,
        )
    services.request_triage(actor=staff, request=third, priority=2)
    AssistanceRequest.objects.filter(pk=third.pk).update(
        triaged_at=third.created_at + datetime.timedelta(days=3)
    )
    response = login(staff).get(reverse("assistance:report"))
    totals = response.context["totals"]
    assert totals["received"] == 3 and totals["deliveries"] == 2 and totals["trainings"] == 2
    assert totals["median_days_to_triage"] == 10
    assert totals["median_days_to_delivery"] == 40
    assert totals["attendees"]["law_enforcement"] == 24 and totals["attendees"]["prosecution"] == 6
    tables = {t["name"]: {row["value"]: row for row in t["rows"]} for t in response.context["tables"]}
    assert set(tables) == {"quarter", "task_force", "state", "kind", "topic", "partner"}
    task_force = coordinator.profile.task_force
    assert tables["task_force"][task_force.name]["received"] == 3
    assert tables["state"][task_force.get_state_display()]["received"] == 3
    assert tables["kind"]["Training"]["deliveries"] == 2 and tables["kind"]["Resource"]["deliveries"] == 0
    assert tables["topic"][topic.name]["received"] == 2 and tables["topic"]["No topic"]["received"] == 1
    assert tables["partner"][partner.name]["deliveries"] == 2
    assert tables["partner"]["Not assigned"]["received"] == 1
    assert sum(row["received"] for row in tables["quarter"].values()) == 3


def test_report_counts_visits_completed_against_the_target(
    coordinator, staff, partner, host_task_force, host_coordinator
):
    visit = _held_visit(_peer(coordinator, staff, partner), staff, host_task_force, host_coordinator)
    services.visit_report_file(actor=coordinator, visit=visit, learned="Shared intake.")
    services.visit_report_file(actor=host_coordinator, visit=visit, learned="Fresh eyes.")
    services.visit_close(actor=staff, visit=visit)
    assert ExchangeVisit.objects.get().status == VisitStatus.CLOSED
    response = login(staff).get(reverse("assistance:report"))
    assert response.context["totals"]["visits"] == 1
    assert response.context["visit_target"] == 40 and response.context["training_target"] == 25
    assert AssistanceRequest.objects.get().status == Status.DELIVERED
