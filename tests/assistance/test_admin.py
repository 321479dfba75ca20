"""Program staff in the Wagtail admin: they open the program's requests and
visits there and nothing else of it, see what the member pages let them see,
and change requests and visits through the same services, with the same
refusals. Roles given and changed there are audited."""

import datetime

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone

from assistance import services
from assistance.models import (
    Kind,
    ProgramRole,
    RequestChange,
    Status,
    VisitStatus,
)
from connect.models import AuditEvent
from tests.connect.test_access import walk_urlpatterns
from tests.factories import make_member

from .conftest import grant, login, submit, to_status

pytestmark = pytest.mark.django_db


@pytest.fixture
def tta(coordinator):
    return submit(coordinator, description="Training on labor trafficking indicators for patrol.")


def _inspect(pk):
    return reverse("tta_requests:inspect", args=[pk])


def _action(pk, action):
    return reverse("tta_requests:action", args=[pk, action])


def test_staff_open_the_programs_admin_lists_and_pages(tta, staff):
    client = login(staff)
    assert client.get("/admin/").status_code == 200
    response = client.get("/admin/tta_requests/")
    assert response.status_code == 200
    assert f"TTA request #{tta.pk}" in response.content.decode()
    assert client.get(_inspect(tta.pk)).status_code == 200
    assert client.get("/admin/tta_visits/").status_code == 200
    assert client.get("/admin/tta_partners/").status_code == 200
    assert client.get("/admin/tta_partners/new/").status_code in (302, 403)  # read-only to staff


def test_staff_find_nothing_else_in_the_admin(staff):
    client = login(staff)
    for path in [
        "/admin/pages/",
        "/admin/pages/2/edit/",
        "/admin/discussions/queue/",
        "/admin/discussions/suspensions/",
        "/admin/messages/",
        "/admin/membership_requests/",
        "/admin/audit_log/",
        "/admin/users/",
        "/admin/groups/",
        "/admin/connect/members/",
        "/admin/program_roles/",
        "/admin/documents/",
        "/admin/images/",
        "/admin/reports/site-history/",
        "/django-admin/",
    ]:
        assert client.get(path).status_code == 404, path


def test_every_admin_url_but_the_programs_is_a_404_to_staff(staff):
    """The deny-by-default walk over every admin URL pattern: what answers
    TTA staff is the program's lists and pages and the admin's frame."""
    client = login(staff)
    opened = {"tta_requests", "tta_visits", "tta_partners"}
    frame = {"wagtailadmin_home", "wagtailadmin_sprite", "wagtailadmin_javascript_catalog"}
    frame |= {
        "wagtailadmin_logout",
        "wagtailadmin_dismissibles",
        "wagtailadmin_login",
        "wagtailadmin_account",
    }
    walked = []
    leaks = []
    for name, path in walk_urlpatterns():
        if path is None or not path.startswith("/admin/"):
            continue
        walked.append(name)
        if name.split(":")[0] in opened or name in frame:
            continue
        response = client.get(path)
        if response.status_code != 404:
            leaks.append((name, path, response.status_code))
    assert "tta_requests:action" in walked and "tta_visits:action" in walked
    assert len(walked) > 100
    assert leaks == []


def test_staff_admin_menu_shows_the_program_and_no_other_tools(staff):
    body = login(staff).get("/admin/").content.decode()
    assert "TTA requests" in body
    assert "Peer exchange visits" in body
    for absent in [
        "Moderation queue",
        "Membership requests",
        "Members &amp; roles",
        "Program roles",
        "Audit log",
    ]:
        assert absent not in body, absent
    assert 'href="/admin/pages/' not in body


def test_a_member_or_coordinator_cannot_open_the_admin(tta, coordinator, colleague):
    for user in (coordinator, colleague):
        client = login(user)
        assert client.get("/admin/").status_code == 404
        assert client.get(_inspect(tta.pk)).status_code == 404
        assert client.post(_action(tta.pk, "triage"), {"priority": 3}).status_code == 404
    tta.refresh_from_db()
    assert tta.status == Status.RECEIVED


def test_revoked_staff_lose_the_admin(tta, staff, administrator_member):
    role = ProgramRole.objects.get(user=staff)
    client = login(staff)
    assert client.get("/admin/tta_requests/").status_code == 200
    services.role_revoke(actor=administrator_member, role=role)
    assert not staff.groups.filter(name=ProgramRole.STAFF_GROUP).exists()
    assert client.get("/admin/").status_code == 404
    assert client.get("/admin/tta_requests/").status_code == 404


def test_staff_group_holds_no_page_or_people_permission(staff):
    group = Group.objects.get(name=ProgramRole.STAFF_GROUP)
    codenames = set(group.permissions.values_list("codename", flat=True))
    assert codenames == {
        "access_admin",
        "view_assistancerequest",
        "view_exchangevisit",
        "view_partnerorganization",
    }
    assert not group.page_permissions.exists()
    assert not group.collection_permissions.exists()
    staff.refresh_from_db()
    assert staff.has_perm("wagtailadmin.access_admin")
    assert not staff.has_perm("wagtailcore.change_page")


def test_triage_in_the_admin_goes_through_the_service_and_is_recorded(tta, staff, coordinator, mailoutbox):
    client = login(staff)
    response = client.post(_action(tta.pk, "triage"), {"priority": 3, "due_on": ""})
    assert response.status_code == 302
    assert response["Location"] == _inspect(tta.pk)
    tta.refresh_from_db()
    assert tta.status == Status.TRIAGED
    change = RequestChange.objects.filter(request=tta, field="status").last()
    assert (change.actor, change.old, change.new) == (staff, "Received", "Triaged")
    body = client.get(_inspect(tta.pk)).content.decode()
    assert "Saved." in body
    assert "Assign to a partner" in body  # the next step is offered


def test_admin_refuses_a_change_from_the_wrong_state_with_a_message(tta, staff):
    client = login(staff)
    before = RequestChange.objects.count()
    response = client.post(_action(tta.pk, "schedule"), {"scheduled_on": "2026-12-20"}, follow=True)
    assert response.status_code == 200
    assert "it can only be scheduled when it is" in response.content.decode()
    assert "Nothing was changed." in response.content.decode()
    tta.refresh_from_db()
    assert tta.status == Status.RECEIVED
    assert RequestChange.objects.count() == before


def test_admin_refuses_bad_input_with_a_message(tta, staff):
    response = login(staff).post(_action(tta.pk, "decline"), {"reason": ""}, follow=True)
    assert "This field is required" in response.content.decode()
    tta.refresh_from_db()
    assert tta.status == Status.RECEIVED


def test_staff_of_another_partner_see_an_assigned_request_but_cannot_change_it(
    tta, staff, other_staff, partner
):
    to_status(tta, "assigned", staff=staff, partner=partner)
    client = login(other_staff)
    body = client.get(_inspect(tta.pk)).content.decode()
    assert "assigned to another partner" in body
    assert "Schedule the delivery" not in body
    response = client.post(_action(tta.pk, "schedule"), {"scheduled_on": "2026-12-20"})
    assert response.status_code == 404
    tta.refresh_from_db()
    assert tta.status == Status.ASSIGNED
    # The same request answers its own partner's staff.
    assert "Schedule the delivery" in login(staff).get(_inspect(tta.pk)).content.decode()


def test_internal_notes_in_the_admin(tta, staff):
    client = login(staff)
    client.post(_action(tta.pk, "note"), {"body": "Partner can do March."})
    assert "Partner can do March." in client.get(_inspect(tta.pk)).content.decode()


def test_admin_lists_filter_by_status_kind_topic_task_force_and_partner(
    coordinator, staff, partner, topic, host_coordinator
):
    wanted = submit(coordinator, kind=Kind.TRAINING, topic=topic, description="Training please.")
    to_status(wanted, "assigned", staff=staff, partner=partner)
    other = submit(host_coordinator, kind=Kind.RESOURCE, description="A resource please.")
    client = login(staff)
    for query in [
        "status=assigned",
        "kind=training",
        f"topic={topic.pk}",
        f"task_force={coordinator.profile.task_force_id}",
        f"partner={partner.pk}",
    ]:
        body = client.get(f"/admin/tta_requests/?{query}").content.decode()
        assert f"TTA request #{wanted.pk}<" in body or f"TTA request #{wanted.pk}" in body, query
        assert f"TTA request #{other.pk}" not in body, query


def test_moderators_who_are_not_staff_get_no_request_list(moderator, tta):
    client = login(moderator)
    response = client.get("/admin/tta_requests/")
    assert response.status_code in (302, 403)
    assert client.get(_inspect(tta.pk)).status_code in (302, 403, 404)


def _visit(coordinator, staff, partner, host_task_force):
    request = submit(coordinator, kind=Kind.PEER_EXCHANGE, description="We want to learn co-location.")
    to_status(request, "assigned", staff=staff, partner=partner)
    return services.visit_propose(actor=staff, request=request, host=host_task_force, focus="Co-location")


def test_visit_in_the_admin_answer_schedule_and_refusals(
    coordinator, staff, partner, host_task_force, host_coordinator, other_staff
):
    visit = _visit(coordinator, staff, partner, host_task_force)
    client = login(staff)
    url = reverse("tta_visits:inspect", args=[visit.pk])
    body = client.get(url).content.decode()
    assert "Record the host&#x27;s answer" in body or "Record the host's answer" in body
    # Scheduling before the host answered is refused, and says so.
    response = client.post(
        reverse("tta_visits:action", args=[visit.pk, "schedule"]),
        {"starts_on": "2026-12-20", "ends_on": "2026-12-21", "place": "Main office"},
        follow=True,
    )
    visit.refresh_from_db()
    assert visit.status == VisitStatus.PROPOSED
    assert "Nothing was changed" in response.content.decode()
    client.post(
        reverse("tta_visits:action", args=[visit.pk, "respond"]), {"decision": "accept", "reason": ""}
    )
    visit.refresh_from_db()
    assert visit.status == VisitStatus.ACCEPTED
    start = timezone.localdate() + datetime.timedelta(days=10)
    response = client.post(
        reverse("tta_visits:action", args=[visit.pk, "schedule"]),
        {"starts_on": start, "ends_on": start + datetime.timedelta(days=1), "place": "Main office"},
    )
    visit.refresh_from_db()
    assert visit.status == VisitStatus.SCHEDULED, response
    # Another partner's staff see it and cannot close it.
    other = login(other_staff)
    assert other.get(url).status_code == 200
    other.post(reverse("tta_visits:action", args=[visit.pk, "close"]))
    visit.refresh_from_db()
    assert visit.status == VisitStatus.SCHEDULED


def test_spotlight_draft_from_the_admin_stays_with_the_editors(
    coordinator, staff, partner, host_task_force, host_coordinator
):
    from spotlights.models import SpotlightIndexPage

    assert SpotlightIndexPage.objects.exists(), "the spotlight section comes with the migrations"
    visit = _visit(coordinator, staff, partner, host_task_force)
    services.visit_respond(actor=host_coordinator, visit=visit, accept=True)
    start = timezone.localdate() + datetime.timedelta(days=10)
    services.visit_schedule(actor=staff, visit=visit, starts_on=start, ends_on=start, place="Main office")
    client = login(staff)
    response = client.post(reverse("tta_visits:action", args=[visit.pk, "spotlight"]))
    # Staff cannot edit pages: back to the visit, which names the draft.
    assert response["Location"] == reverse("tta_visits:inspect", args=[visit.pk])
    visit.refresh_from_db()
    assert visit.spotlight_page is not None and not visit.spotlight_page.live
    body = client.get(response["Location"]).content.decode()
    assert "the editors take it through the workflow" in body


def test_role_change_in_the_admin_is_audited_from_and_to(administrator_client, member, partner):
    role = grant(member, ProgramRole.Kind.COORDINATOR, task_force=member.profile.task_force)
    response = administrator_client.post(
        f"/admin/program_roles/edit/{role.pk}/",
        {"user": member.pk, "kind": "staff", "task_force": "", "partner": partner.pk},
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    role.refresh_from_db()
    assert (role.kind, role.partner, role.task_force) == ("staff", partner, None)
    event = AuditEvent.objects.get(action="assistance.role_changed", target_id=str(member.pk))
    assert event.detail["from"]["kind"] == "coordinator"
    assert event.detail["to"] == {"kind": "staff", "task_force": None, "partner": partner.pk}
    assert member.groups.filter(name=ProgramRole.STAFF_GROUP).exists()
    assert login(member).get("/admin/tta_requests/").status_code == 200


def test_role_edit_cannot_hand_a_role_to_someone_else(administrator_client, member, colleague):
    role = grant(member, ProgramRole.Kind.COORDINATOR, task_force=member.profile.task_force)
    response = administrator_client.post(
        f"/admin/program_roles/edit/{role.pk}/",
        {
            "user": colleague.pk,
            "kind": "coordinator",
            "task_force": member.profile.task_force_id,
            "partner": "",
        },
    )
    assert response.status_code == 200
    assert "revoke it and grant a new one" in response.content.decode()
    role.refresh_from_db()
    assert role.user == member
    assert not AuditEvent.objects.filter(action="assistance.role_changed").exists()


def test_role_revoke_in_the_admin_is_audited(administrator_client, staff):
    role = ProgramRole.objects.get(user=staff)
    response = administrator_client.post(f"/admin/program_roles/delete/{role.pk}/")
    assert response.status_code == 302
    assert not ProgramRole.objects.filter(pk=role.pk).exists()
    assert AuditEvent.objects.filter(action="assistance.role_revoked", target_id=str(staff.pk)).exists()
    assert not staff.groups.filter(name=ProgramRole.STAFF_GROUP).exists()


def test_admin_request_page_query_count_is_pinned(tta, staff, partner, django_assert_num_queries):
    """The request's admin page costs the same with one note and change as
    with many."""
    to_status(tta, "assigned", staff=staff, partner=partner)
    client = login(staff)
    client.get(_inspect(tta.pk))
    # 15 with the admin's initials avatar, which reads the member's display
    # name; the member's program roles come from the cache (connect.fragments).
    with django_assert_num_queries(15):
        client.get(_inspect(tta.pk))
    colleague = make_member()
    grant(colleague, ProgramRole.Kind.STAFF, partner=partner)
    for n in range(5):
        services.request_note_add(actor=staff, request=tta, body=f"Note {n}")
        services.request_assign(
            actor=staff, request=tta, partner=partner, assignee=colleague if n % 2 == 0 else staff
        )
    client.get(_inspect(tta.pk))  # the colleague's new role dropped the cached roles
    with django_assert_num_queries(15):
        assert client.get(_inspect(tta.pk)).status_code == 200
