"""The demo has requests and visits in every state; the admin views for the
program answer to whom they should, and role grants are audited there too."""

from io import StringIO

import pytest
from django.core.management import call_command

from assistance.models import AssistanceRequest, ExchangeVisit, ProgramRole, Status, VisitStatus
from connect.models import AuditEvent
from tests.conftest import reauthenticate

from .conftest import login

pytestmark = pytest.mark.django_db


def test_seed_demo_adds_requests_and_visits_in_every_state_once():
    call_command("seed_demo", stdout=StringIO())
    assert set(AssistanceRequest.objects.values_list("status", flat=True)) == set(Status.values)
    assert set(ExchangeVisit.objects.values_list("status", flat=True)) == set(VisitStatus.values)
    assert ExchangeVisit.objects.filter(status=VisitStatus.SCHEDULED, reports__isnull=False).exists()
    counts = (AssistanceRequest.objects.count(), ExchangeVisit.objects.count(), ProgramRole.objects.count())
    call_command("seed_demo", stdout=StringIO())
    assert (
        AssistanceRequest.objects.count(),
        ExchangeVisit.objects.count(),
        ProgramRole.objects.count(),
    ) == counts
    assert AuditEvent.objects.filter(action="assistance.role_granted").count() == ProgramRole.objects.count()


def test_administrator_grants_a_role_in_the_admin_and_it_is_audited(administrator_client, member):
    response = administrator_client.post(
        "/admin/program_roles/new/",
        {"user": member.pk, "kind": "coordinator", "task_force": member.profile.task_force_id, "partner": ""},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    role = ProgramRole.objects.get(user=member)
    assert role.granted_by is not None
    assert AuditEvent.objects.filter(action="assistance.role_granted", target_id=str(member.pk)).exists()


def test_admin_refuses_a_coordinator_of_another_task_force(administrator_client, member, host_task_force):
    response = administrator_client.post(
        "/admin/program_roles/new/",
        {"user": member.pk, "kind": "coordinator", "task_force": host_task_force.pk, "partner": ""},
    )
    assert response.status_code == 200
    assert "task force they belong to" in response.content.decode()
    assert not ProgramRole.objects.exists()


def test_moderator_on_staff_lists_requests_but_cannot_grant_roles(moderator, coordinator, partner):
    from .conftest import grant, submit

    submit(coordinator)
    grant(moderator, ProgramRole.Kind.STAFF, partner=partner)
    client = login(moderator)
    reauthenticate(client)
    assert client.get("/admin/tta_requests/").status_code == 200
    assert client.get("/admin/program_roles/").status_code in (403, 404, 302)
    assert client.get("/admin/program_roles/new/").status_code in (403, 404, 302)


def test_every_demo_page_answers_every_demo_person_without_an_error():
    from connect.models import User

    call_command("seed_demo", stdout=StringIO())
    paths = ["/assistance/", "/assistance/new/", "/assistance/queue/", "/assistance/report/", "/"]
    # One request of each status and every visit, for a coordinator, a staff
    # member, a member whose task force asked for help and one whose did not.
    paths += [AssistanceRequest.objects.filter(status=s).first().get_absolute_url() for s in Status.values]
    paths += [v.get_absolute_url() for v in ExchangeVisit.objects.all()]
    paths += [f"/task-forces/{slug}/" for slug in ExchangeVisit.objects.values_list("host__slug", flat=True)]
    seen = {}
    people = ["admin@wdny.demo.example", "coordinator@wdny.demo.example", "analyst@cook.demo.example"]
    for user in User.objects.filter(
        email__in=[*people, "advocate@gno.demo.example", "officer@nd.demo.example"]
    ):
        client = login(user)
        for path in paths:
            status = client.get(path).status_code
            assert status in (200, 404), (user.email, path, status)
            seen[(user.email.split("@")[0], path)] = status
    assert seen[("admin", "/assistance/queue/")] == 200
    assert seen[("officer", "/assistance/queue/")] == 404
    visible = [p for (who, p), s in seen.items() if who == "advocate" and s == 200 and "/requests/" in p]
    assert visible == []  # the advocate's task force asked for nothing
