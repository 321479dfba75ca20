"""Roles and how far each reaches into the admin."""

import pytest
from django.contrib.auth.models import Group
from django.test import Client

from connect.models import AuditEvent, Role, TaskForce
from connect.roles import role_permissions
from tests.connect.helpers import totp_code
from tests.factories import TEST_TOTP_SECRET, make_member

pytestmark = pytest.mark.django_db


def test_role_groups_exist_with_their_permissions():
    names = set(Group.objects.values_list("name", flat=True))
    assert {"Members", "Moderators", "Administrators"} <= names
    moderators = Group.objects.get(name=Role.MODERATOR)
    codenames = set(moderators.permissions.values_list("codename", flat=True))
    assert {"access_admin", "view_membershiprequest"} <= codenames
    assert "view_auditevent" not in codenames
    administrators = Group.objects.get(name=Role.ADMINISTRATOR)
    assert administrators.permissions.filter(codename="view_auditevent").exists()
    assert not Group.objects.get(name=Role.MEMBER).permissions.filter(codename="access_admin").exists()


def test_role_permissions_hook_is_merged():
    wanted = role_permissions()
    assert "wagtailadmin.access_admin" in wanted[Role.MODERATOR.value]


def test_moderator_reviews_requests_but_not_the_audit_log(moderator_client):
    assert moderator_client.get("/admin/membership_requests/").status_code == 200
    response = moderator_client.get("/admin/audit_log/")
    assert response.status_code in (302, 403)
    assert moderator_client.get("/admin/connect/members/").status_code == 404
    assert moderator_client.get("/admin/connect/lockouts/").status_code == 404


def test_administrator_browses_the_audit_log_read_only(administrator_client, member):
    AuditEvent.objects.create(action="login.failed", target_repr="someone@example.gov")
    response = administrator_client.get("/admin/audit_log/")
    assert response.status_code == 200
    assert "someone@example.gov" in response.content.decode()
    event = AuditEvent.objects.filter(action="login.failed").first()
    assert administrator_client.get(f"/admin/audit_log/inspect/{event.pk}/").status_code == 200
    for path in [
        "/admin/audit_log/new/",
        f"/admin/audit_log/edit/{event.pk}/",
        f"/admin/audit_log/delete/{event.pk}/",
    ]:
        assert administrator_client.get(path).status_code == 404, path
        assert administrator_client.post(path).status_code == 404, path


def test_audit_events_are_append_only():
    event = AuditEvent.objects.create(action="login.failed")
    event.action = "nothing.happened"
    with pytest.raises(RuntimeError):
        event.save()
    with pytest.raises(RuntimeError):
        event.delete()
    with pytest.raises(RuntimeError):
        AuditEvent.objects.filter(pk=event.pk).update(action="nothing.happened")
    with pytest.raises(RuntimeError):
        AuditEvent.objects.filter(pk=event.pk).delete()
    with pytest.raises(RuntimeError):
        AuditEvent.objects.bulk_update([event], ["action"])
    assert AuditEvent.objects.get(pk=event.pk).action == "login.failed"


def test_membership_requests_cannot_be_edited_in_admin(moderator_client):
    for path in ["/admin/membership_requests/new/", "/admin/membership_requests/edit/1/"]:
        assert moderator_client.get(path).status_code == 404


def test_administrator_changes_a_role_audited(administrator_client, administrator, member):
    response = administrator_client.post(
        f"/admin/connect/members/{member.pk}/", {"action": "role", "role": Role.MODERATOR}
    )
    assert response.status_code == 302
    member.refresh_from_db()
    assert set(member.groups.values_list("name", flat=True)) == {Role.MODERATOR}
    event = AuditEvent.objects.get(action="member.role_changed", target_id=str(member.pk))
    assert event.actor == administrator
    assert event.detail == {"from": [Role.MEMBER.value], "to": Role.MODERATOR.value}
    client = Client()
    client.force_login(member)
    assert client.get("/admin/").status_code == 200

    administrator_client.post(f"/admin/connect/members/{member.pk}/", {"action": "role", "role": Role.MEMBER})
    assert client.get("/admin/").status_code == 404


def test_role_change_needs_a_recent_password(administrator, member):
    client = Client()
    client.force_login(administrator)
    response = client.post(f"/admin/connect/members/{member.pk}/", {"action": "role", "role": Role.MODERATOR})
    # The administrator has an authenticator: the confirmation asks for its code.
    assert response["Location"].startswith("/accounts/2fa/reauthenticate/")
    assert set(member.groups.values_list("name", flat=True)) == {Role.MEMBER}
    # After confirming with the code, the suspended change goes through.
    client.post(response["Location"], {"code": totp_code(TEST_TOTP_SECRET)})
    assert set(member.groups.values_list("name", flat=True)) == {Role.MODERATOR}


def test_administrator_cannot_demote_themselves(administrator_client, administrator):
    administrator_client.post(
        f"/admin/connect/members/{administrator.pk}/", {"action": "role", "role": Role.MEMBER}
    )
    assert administrator.groups.filter(name=Role.ADMINISTRATOR).exists()


def test_administrator_reactivates_audited(administrator_client, member):
    administrator_client.post(f"/admin/connect/members/{member.pk}/", {"action": "deactivate"})
    administrator_client.post(f"/admin/connect/members/{member.pk}/", {"action": "reactivate"})
    member.refresh_from_db()
    assert member.is_active
    actions = list(AuditEvent.objects.filter(target_id=str(member.pk)).values_list("action", flat=True))
    assert "member.deactivated" in actions and "member.reactivated" in actions


def test_administrator_member_list_searches(administrator_client, member):
    response = administrator_client.get("/admin/connect/members/", {"q": member.last_name})
    assert response.status_code == 200
    assert member.email in response.content.decode()


def test_task_force_edits_are_audited(administrator_client, administrator, task_force):
    response = administrator_client.get(f"/admin/task_forces/edit/{task_force.pk}/")
    assert response.status_code == 200
    data = {
        "name": task_force.name,
        "slug": task_force.slug,
        "jurisdiction": task_force.jurisdiction,
        "state": task_force.state,
        "region": task_force.region,
        "lead_agencies": "",
        "funding_program": task_force.funding_program,
        "first_fiscal_year": "2020",
        "email_domains": "sheriff.example.gov",
        "description": "",
        "coordinator_name": "",
        "coordinator_email": "",
        "coordinator_phone": "",
        "is_active": "on",
    }
    response = administrator_client.post(f"/admin/task_forces/edit/{task_force.pk}/", data)
    assert response.status_code == 302, response.content.decode()[:3000]
    task_force.refresh_from_db()
    assert task_force.email_domains == "sheriff.example.gov"
    event = AuditEvent.objects.get(action="taskforce.changed", target_id=str(task_force.pk))
    assert event.actor == administrator
    assert "email_domains" in event.detail["fields"]
    assert administrator_client.get(f"/admin/task_forces/delete/{task_force.pk}/").status_code == 404


def test_moderator_cannot_edit_task_forces(moderator_client, task_force):
    response = moderator_client.post(f"/admin/task_forces/edit/{task_force.pk}/", {"name": "Renamed"})
    assert response.status_code in (302, 403)
    assert TaskForce.objects.get(pk=task_force.pk).name != "Renamed"


def test_client_ip_honours_trusted_proxy_count(settings, rf):
    from connect.audit import client_ip

    request = rf.get("/", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.7", REMOTE_ADDR="10.0.0.2")
    settings.CONNECT_TRUSTED_PROXY_COUNT = 0
    assert client_ip(request) == "10.0.0.2"  # a spoofed header is ignored without a proxy
    settings.CONNECT_TRUSTED_PROXY_COUNT = 1
    assert client_ip(request) == "203.0.113.7"  # the hop the proxy saw, not what the client claimed
    settings.CONNECT_TRUSTED_PROXY_COUNT = 5
    assert client_ip(request) == "6.6.6.6"


def test_make_member_roles_fixture(db):
    user = make_member(role=Role.ADMINISTRATOR)
    assert user.is_staff


def test_administrators_cannot_change_users_outside_the_audited_screen(administrator_client, member):
    assert not Group.objects.get(name=Role.ADMINISTRATOR).permissions.filter(codename="change_user").exists()
    response = administrator_client.post(
        f"/admin/users/{member.pk}/",
        {"email": member.email, "groups": [Group.objects.get(name=Role.ADMINISTRATOR).pk]},
    )
    assert response.status_code in (302, 403, 404)
    assert not member.groups.filter(name=Role.ADMINISTRATOR).exists()


def test_admin_account_page_leads_to_the_members_own_profile(moderator_client, moderator):
    # Wagtail's account page would change the password or the legal name
    # outside allauth and the audited profile.
    response = moderator_client.get("/admin/account/")
    assert response.status_code == 302
    assert response["Location"] == "/profile/"
    rename = {"name_email-first_name": "Someone", "name_email-last_name": "Else"}
    moderator_client.post("/admin/account/", rename)
    moderator.refresh_from_db()
    assert moderator.get_full_name() != "Someone Else"


def test_deleting_an_account_keeps_its_audit_trail(member):
    event = AuditEvent.objects.create(action="login.succeeded", actor=member, actor_email=member.email)
    member.delete()
    event = AuditEvent.objects.get(pk=event.pk)
    assert event.actor is None and event.actor_email
