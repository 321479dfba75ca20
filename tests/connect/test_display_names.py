"""Display names cannot pass one member off as another: a name that reads
the same as another member's display or legal name is refused, and a
newcomer whose name is taken is told apart by their task force."""

import pytest

from connect import services
from connect.models import MemberProfile, name_key
from tests.factories import MembershipRequestFactory, UserFactory

pytestmark = pytest.mark.django_db


def _profile_data(profile, **changes):
    return {
        "display_name": profile.display_name,
        "title": profile.title,
        "agency": profile.agency,
        "bio": "",
        "expertise": "",
        "languages": "",
        "phone": "",
        "email_visibility": profile.email_visibility,
        "phone_visibility": profile.phone_visibility,
        **changes,
    }


@pytest.mark.parametrize(
    "spelling",
    ["{name}", "{upper}", "  {spaced}  ", "{joined}", "{name}\u200b"],
)
def test_profile_edit_refuses_another_members_display_name(member_client, member, administrator, spelling):
    name = administrator.profile.display_name
    taken = spelling.format(
        name=name, upper=name.upper(), spaced=name.replace(" ", "   "), joined=name.replace(" ", "")
    )
    response = member_client.post("/profile/", _profile_data(member.profile, display_name=taken))
    assert response.status_code == 200
    assert "Another member already goes by this name" in response.content.decode()
    member.profile.refresh_from_db()
    assert name_key(member.profile.display_name) != name_key(name)


def test_profile_edit_refuses_another_members_legal_name(member_client, member, administrator):
    administrator.profile.display_name = "The Administrator"
    administrator.profile.save(update_fields=["display_name"])
    response = member_client.post(
        "/profile/", _profile_data(member.profile, display_name=administrator.get_full_name().lower())
    )
    assert "Another member already goes by this name" in response.content.decode()


def test_profile_edit_keeps_a_members_own_name(member_client, member):
    data = _profile_data(member.profile, display_name=member.get_full_name().upper())
    response = member_client.post("/profile/", data)
    assert response.status_code == 302
    assert MemberProfile.objects.get(pk=member.profile.pk).display_name == member.get_full_name().upper()


def test_member_join_tells_a_namesake_apart_by_task_force(member, task_force):
    req = MembershipRequestFactory(
        first_name=member.first_name, last_name=member.last_name, task_force=task_force
    )
    invitation = services.invitation_resolve(services.invitation_create(membership_request=req))
    newcomer = UserFactory(email=req.email)
    services.member_join(user=newcomer, invitation=invitation)
    assert newcomer.profile.display_name == f"{member.get_full_name()} ({task_force.name})"
    # The newcomer's legal name stays what the moderators approved.
    assert newcomer.get_full_name() == member.get_full_name()
