"""What each person sees: the permission matrix over the pages, the forms,
the staff queue and the program report (with pinned query counts), and the
export without personal data."""

import csv
import datetime
import io

import pytest
from django.urls import reverse
from django.utils import timezone

from assistance import services
from assistance.models import AssistanceRequest, Kind, Status

from .conftest import login, submit, to_status

pytestmark = pytest.mark.django_db


@pytest.fixture
def tta(coordinator):
    return submit(coordinator, description="Training on labor trafficking indicators for patrol.")


def test_request_is_seen_by_its_task_force_and_staff_and_a_404_to_everyone_else(
    tta, coordinator, colleague, staff, other_staff, outsider, client
):
    url = tta.get_absolute_url()
    for user in (coordinator, colleague, staff, other_staff):
        assert login(user).get(url).status_code == 200, user
    assert login(outsider).get(url).status_code == 404
    response = client.get(url)
    assert response.status_code == 302  # anonymous: sign in first


def test_internal_notes_are_for_staff_only(tta, coordinator, colleague, staff):
    services.request_note_add(actor=staff, request=tta, body="Call the partner about dates.")
    assert "Call the partner" in login(staff).get(tta.get_absolute_url()).content.decode()
    for user in (coordinator, colleague):
        body = login(user).get(tta.get_absolute_url()).content.decode()
        assert "Call the partner" not in body
        assert "Internal notes" not in body
    response = login(coordinator).post(
        reverse("assistance:request_action", args=[tta.pk, "note"]), {"body": "x"}
    )
    assert response.status_code == 404


def test_member_of_another_task_force_cannot_act_on_a_request(tta, outsider):
    client = login(outsider)
    for action in ("triage", "feedback", "close", "note", "decline"):
        response = client.post(reverse("assistance:request_action", args=[tta.pk, action]), {})
        assert response.status_code == 404, action
    tta.refresh_from_db()
    assert tta.status == Status.RECEIVED


def test_plain_member_sees_the_request_but_cannot_triage(tta, colleague):
    response = login(colleague).post(
        reverse("assistance:request_action", args=[tta.pk, "triage"]), {"priority": 2}
    )
    assert response.status_code == 404
    tta.refresh_from_db()
    assert tta.status == Status.RECEIVED


def test_staff_of_another_partner_sees_but_cannot_change_an_assigned_request(
    tta, staff, other_staff, partner
):
    to_status(tta, "assigned", staff=staff, partner=partner)
    client = login(other_staff)
    assert client.get(tta.get_absolute_url()).status_code == 200
    response = client.post(
        reverse("assistance:request_action", args=[tta.pk, "schedule"]), {"scheduled_on": "2026-12-20"}
    )
    assert response.status_code == 404
    tta.refresh_from_db()
    assert tta.status == Status.ASSIGNED


def test_triage_from_the_page_and_wrong_state_message(tta, staff):
    client = login(staff)
    url = reverse("assistance:request_action", args=[tta.pk, "triage"])
    response = client.post(url, {"priority": 3, "due_on": "2027-01-15"})
    assert response.status_code == 302
    tta.refresh_from_db()
    assert tta.status == Status.TRIAGED and tta.priority == 3
    response = client.post(url, {"priority": 1})
    assert response.status_code == 400
    assert "can only be triaged when it is received" in response.content.decode()
    tta.refresh_from_db()
    assert tta.priority == 3


def test_submit_form_double_post_makes_one_request(coordinator):
    client = login(coordinator)
    data = {
        "kind": Kind.TRAINING,
        "preferred_format": "online",
        "urgency": 3,
        "description": "A training for supervisors on trauma-informed interviews.",
        "submission_token": "tok-1",
        "audiences": ["law_enforcement", "victim_services"],
    }
    first = client.post(reverse("assistance:request_create"), data)
    second = client.post(reverse("assistance:request_create"), data)
    assert first.status_code == second.status_code == 302
    assert AssistanceRequest.objects.count() == 1
    assert first["Location"] == second["Location"]


def test_submit_form_shows_privacy_findings_and_keeps_nothing(coordinator):
    client = login(coordinator)
    data = {
        "kind": Kind.TRAINING,
        "preferred_format": "online",
        "urgency": 2,
        "description": "Call the survivor at 555-867-5309 for details.",
        "submission_token": "tok-2",
    }
    response = client.post(reverse("assistance:request_create"), data)
    assert response.status_code == 400
    body = response.content.decode()
    assert "This may identify a victim" in body and "555-867-5309" in body
    assert AssistanceRequest.objects.count() == 0
    response = client.post(reverse("assistance:request_create"), {**data, "confirm_privacy": "on"})
    assert response.status_code == 302
    assert AssistanceRequest.objects.get().privacy_held


def test_submit_form_bad_input_is_a_clear_message(coordinator):
    client = login(coordinator)
    response = client.post(
        reverse("assistance:request_create"),
        {"kind": "nope", "preferred_format": "online", "urgency": "x", "description": ""},
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "Describe what you need" in body


def test_plain_member_cannot_open_the_form_once_a_coordinator_exists(coordinator, colleague):
    assert login(colleague).get(reverse("assistance:request_create")).status_code == 404
    assert login(coordinator).get(reverse("assistance:request_create")).status_code == 200


def test_visit_is_seen_by_both_task_forces_and_staff_only(
    coordinator, staff, partner, host_task_force, host_coordinator, outsider
):
    request = to_status(
        submit(coordinator, kind=Kind.PEER_EXCHANGE), "assigned", staff=staff, partner=partner
    )
    visit = services.visit_propose(actor=staff, request=request, host=host_task_force, focus="Co-location")
    for user in (coordinator, host_coordinator, staff):
        assert login(user).get(visit.get_absolute_url()).status_code == 200
    assert login(outsider).get(visit.get_absolute_url()).status_code == 404
    # The host reads the visit, not the visiting task force's request.
    assert login(host_coordinator).get(request.get_absolute_url()).status_code == 404
    response = login(host_coordinator).post(
        reverse("assistance:visit_action", args=[visit.pk, "respond"]), {"decision": "accept"}
    )
    assert response.status_code == 302
    visit.refresh_from_db()
    assert visit.status == "accepted"


def test_home_panel_shows_a_coordinator_what_waits(
    coordinator, staff, partner, host_task_force, host_coordinator
):
    request = to_status(
        submit(coordinator, kind=Kind.PEER_EXCHANGE), "assigned", staff=staff, partner=partner
    )
    services.visit_propose(actor=staff, request=request, host=host_task_force, focus="Co-location")
    body = login(host_coordinator).get("/").content.decode()
    assert "would like to visit your task force" in body


def test_task_force_page_lists_visits_hosted_and_made(
    coordinator, staff, partner, host_task_force, host_coordinator, outsider
):
    request = to_status(
        submit(coordinator, kind=Kind.PEER_EXCHANGE), "assigned", staff=staff, partner=partner
    )
    visit = services.visit_propose(
        actor=staff, request=request, host=host_task_force, focus="Regional navigators"
    )
    services.visit_respond(actor=host_coordinator, visit=visit, accept=True)
    day = timezone.localdate() + datetime.timedelta(days=9)
    services.visit_schedule(actor=staff, visit=visit, starts_on=day, ends_on=day, place="Office")
    body = login(outsider).get(host_task_force.get_absolute_url()).content.decode()
    assert "Peer exchange visits" in body and "Regional navigators" in body


# --- Queue and report -----------------------------------------------------------------


def _many(coordinator, n):
    return [submit(coordinator, description=f"Training number {i}.") for i in range(n)]


def test_queue_is_staff_only(coordinator, colleague, outsider, staff):
    url = reverse("assistance:queue")
    for user in (coordinator, colleague, outsider):
        assert login(user).get(url).status_code == 404
    assert login(staff).get(url).status_code == 200


def test_queue_filters_counts_and_sorts_without_javascript(coordinator, staff, partner, topic):
    urgent = submit(coordinator, urgency=4, topic=topic)
    low = submit(coordinator, urgency=1)
    triaged = to_status(submit(coordinator), "triaged", staff=staff, partner=partner)
    client = login(staff)
    response = client.get(reverse("assistance:queue"))
    requests = list(response.context["requests"])
    assert requests[0] == urgent and requests[-1] in (low, triaged)
    counts = {c["value"]: c["count"] for c in response.context["status_counts"]}
    assert counts["open"] == 3 and counts["received"] == 2 and counts["triaged"] == 1
    response = client.get(reverse("assistance:queue"), {"status": "received", "topic": topic.pk})
    assert list(response.context["requests"]) == [urgent]
    AssistanceRequest.objects.filter(pk=low.pk).update(
        created_at=timezone.now() - datetime.timedelta(days=40)
    )
    response = client.get(reverse("assistance:queue"), {"age": "30"})
    assert list(response.context["requests"]) == [low]
    response = client.get(reverse("assistance:queue"), {"sort": "waiting"})
    assert list(response.context["requests"])[0] == low
    response = client.get(reverse("assistance:queue"), {"status": "bogus", "topic": "x", "age": "<script>"})
    assert response.status_code == 200


def test_queue_query_count_does_not_grow_with_requests(coordinator, staff, django_assert_num_queries):
    client = login(staff)
    _many(coordinator, 3)
    client.get(reverse("assistance:queue"))  # warm the session and caches
    with django_assert_num_queries(QUEUE_QUERIES):
        client.get(reverse("assistance:queue"))
    _many(coordinator, 20)
    with django_assert_num_queries(QUEUE_QUERIES):
        client.get(reverse("assistance:queue"))


# The header's counts and the member's program roles are cached per member (connect.fragments).
QUEUE_QUERIES = 7
REPORT_QUERIES = 3


def test_report_query_count_does_not_grow_with_requests(
    coordinator, staff, partner, django_assert_num_queries
):
    client = login(staff)
    to_status(submit(coordinator), "delivered", staff=staff, partner=partner)
    client.get(reverse("assistance:report"))
    with django_assert_num_queries(REPORT_QUERIES):
        client.get(reverse("assistance:report"))
    for request in _many(coordinator, 10):
        to_status(request, "closed", staff=staff, partner=partner)
    with django_assert_num_queries(REPORT_QUERIES):
        client.get(reverse("assistance:report"))


def test_report_is_staff_only(coordinator, outsider, staff):
    for name, args in (("assistance:report", []), ("assistance:report_export", ["csv"])):
        for user in (coordinator, outsider):
            assert login(user).get(reverse(name, args=args)).status_code == 404
    assert login(staff).get(reverse("assistance:report_export", args=["pdf"])).status_code == 404


def test_report_counts_against_the_targets_and_draws_an_accessible_chart(coordinator, staff, partner):
    request = to_status(submit(coordinator), "delivered", staff=staff, partner=partner)
    services.request_feedback_submit(actor=coordinator, request=request, useful=4)
    submit(coordinator)
    response = login(staff).get(reverse("assistance:report"))
    totals = response.context["totals"]
    assert totals["received"] == 2 and totals["deliveries"] == 1 and totals["trainings"] == 1
    assert totals["feedback_average"] == 4
    assert totals["attendees"]["law_enforcement"] == 12
    body = response.content.decode()
    assert "of a target of 25" in body and "of a target of 40" in body
    # Counts read as sentences: one event, two requests, no visits.
    assert "<strong>1</strong> training event delivered" in body
    assert "<strong>2</strong> requests received" in body
    assert "<strong>0</strong> peer exchange visits completed" in body
    assert 'role="img"' in body and "<desc" in body and "striped" in body


def test_export_has_numbers_and_no_personal_data(coordinator, staff, partner):
    request = to_status(
        submit(coordinator, description="Secret words about the Elm Street case."),
        "delivered",
        staff=staff,
        partner=partner,
    )
    services.request_feedback_submit(
        actor=coordinator, request=request, useful=5, what_next="Private thoughts"
    )
    services.request_note_add(actor=staff, request=request, body="Internal remark")
    client = login(staff)
    response = client.get(reverse("assistance:report_export", args=["csv"]))
    assert response.status_code == 200
    text = response.content.decode()
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][0] == "dimension" and "requests_received" in rows[0]
    assert any(row[0] == "total" and row[2] == "1" for row in rows)
    xlsx = client.get(reverse("assistance:report_export", args=["xlsx"]))
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    cells = " ".join(str(c.value) for row in sheet.iter_rows() for c in row)
    for secret in [
        coordinator.email,
        coordinator.first_name,
        coordinator.last_name,
        staff.email,
        staff.last_name,
        "Elm Street",
        "Private thoughts",
        "Internal remark",
    ]:
        assert secret not in text, secret
        assert secret not in cells, secret
