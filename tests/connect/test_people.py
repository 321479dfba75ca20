"""Profiles, the member directory, task-force pages and the members' home."""

import pytest
from django.test import Client
from wagtail import hooks

from connect import fragments
from connect.home import HomePanel
from connect.models import AuditEvent, ContactVisibility, Discipline, MemberProfile
from tests.factories import TaskForceFactory, make_member

pytestmark = pytest.mark.django_db


def _client(user):
    client = Client()
    client.force_login(user)
    return client


def _profile_data(**changes):
    data = {
        "display_name": "Det. Robin Vale",
        "title": "Detective",
        "agency": "Test County Sheriff's Office",
        "bio": "Labor trafficking investigations since 2015.",
        "expertise": "labor trafficking, financial investigations",
        "languages": "English, Spanish",
        "phone": "555-0100",
        "email_visibility": ContactVisibility.MEMBERS,
        "phone_visibility": ContactVisibility.TASK_FORCE,
    }
    return {**data, **changes}


def test_profile_edit_own_saves_tags_and_languages(member_client, member):
    response = member_client.post("/profile/", _profile_data())
    profile = MemberProfile.objects.get(user=member)
    assert response["Location"] == f"/members/{profile.pk}/"
    assert profile.display_name == "Det. Robin Vale"
    assert sorted(tag.name for tag in profile.expertise.all()) == [
        "financial investigations",
        "labor trafficking",
    ]
    assert profile.language_list == ["English", "Spanish"]
    assert AuditEvent.objects.filter(action="profile.updated", actor=member).exists()
    page = member_client.get(f"/members/{profile.pk}/").content.decode()
    assert "Det. Robin Vale" in page
    assert "labor trafficking" in page
    assert "English, Spanish" in page
    assert "Edit your profile" in page


def test_profile_task_force_and_discipline_are_not_self_editable(member_client, member):
    other_tf = TaskForceFactory()
    member_client.post("/profile/", _profile_data(task_force=other_tf.pk, discipline=Discipline.PROSECUTION))
    profile = MemberProfile.objects.get(user=member)
    assert profile.task_force != other_tf
    assert profile.discipline == Discipline.LAW_ENFORCEMENT


@pytest.mark.parametrize(
    "visibility, same_tf_sees, other_tf_sees",
    [
        (ContactVisibility.MEMBERS, True, True),
        (ContactVisibility.TASK_FORCE, True, False),
        (ContactVisibility.NOBODY, False, False),
    ],
)
def test_contact_visibility_is_honoured(task_force, visibility, same_tf_sees, other_tf_sees):
    owner = make_member(task_force=task_force)
    MemberProfile.objects.filter(user=owner).update(
        phone="555-0199", email_visibility=visibility, phone_visibility=visibility
    )
    same = make_member(task_force=task_force)
    other = make_member(task_force=TaskForceFactory())
    url = f"/members/{owner.profile.pk}/"
    for viewer, expected in [(same, same_tf_sees), (other, other_tf_sees), (owner, True)]:
        body = _client(viewer).get(url).content.decode()
        assert (owner.email in body) is expected, (viewer, visibility)
        assert ("555-0199" in body) is expected, (viewer, visibility)


def test_hidden_contact_details_appear_nowhere_else(task_force):
    owner = make_member(
        task_force=task_force, email="hidden.contact@tf.test.example", last_name="Hiddenfield"
    )
    MemberProfile.objects.filter(user=owner).update(
        phone="555-0177", email_visibility=ContactVisibility.NOBODY, phone_visibility=ContactVisibility.NOBODY
    )
    viewer = _client(make_member(task_force=task_force))
    for path, params in [
        ("/members/", {}),
        ("/members/", {"q": "Hiddenfield"}),
        (f"/task-forces/{task_force.slug}/", {}),
        ("/search/", {"q": "Hiddenfield"}),
        ("/search/", {"q": "hidden.contact"}),
    ]:
        response = viewer.get(path, params)
        assert response.status_code == 200, path
        body = response.content.decode()
        assert owner.email not in body, path
        assert "555-0177" not in body, path


def test_directory_filters_combine_and_pagination_keeps_them(member_client, task_force):
    ny = TaskForceFactory(state="NY")
    for n in range(26):
        user = make_member(task_force=ny, discipline=Discipline.PROSECUTION, last_name=f"Prosecutor{n:02}")
        user.profile.expertise.add("labor trafficking")
    make_member(
        task_force=ny, discipline=Discipline.VICTIM_SERVICES, last_name="Advocate"
    ).profile.expertise.add("labor trafficking")
    make_member(task_force=task_force, discipline=Discipline.PROSECUTION, last_name="Elsewhere")
    params = {"state": "NY", "discipline": Discipline.PROSECUTION, "expertise": "labor trafficking"}
    first = member_client.get("/members/", params)
    assert first.context["page_obj"].paginator.count == 26
    body = first.content.decode()
    assert "Advocate" not in body and "Elsewhere" not in body
    next_link = (
        f"?state=NY&amp;discipline={Discipline.PROSECUTION}&amp;expertise=labor+trafficking&amp;page=2"
    )
    assert next_link in body
    second = member_client.get("/members/", {**params, "page": 2})
    page_two = {p.user.last_name for p in second.context["page_obj"]}
    page_one = {p.user.last_name for p in first.context["page_obj"]}
    assert len(page_two) == 2 and not page_two & page_one
    assert page_one | page_two == {f"Prosecutor{n:02}" for n in range(26)}


def test_profile_of_deactivated_member_is_hidden(member_client, other_member):
    other_member.is_active = False
    other_member.save()
    assert member_client.get(f"/members/{other_member.profile.pk}/").status_code == 404
    assert other_member.profile.display_name not in member_client.get("/members/").content.decode()


def test_directory_search_and_filters(member_client, member):
    ny = TaskForceFactory(state="NY")
    la = TaskForceFactory(state="LA")
    alex = make_member(
        task_force=ny, first_name="Alexandra", last_name="Quist", discipline=Discipline.PROSECUTION
    )
    alex.profile.expertise.add("labor trafficking")
    bo = make_member(task_force=la, first_name="Bo", last_name="Marsh", discipline=Discipline.VICTIM_SERVICES)
    bo.profile.expertise.add("survivor housing")

    def names(**params):
        body = member_client.get("/members/", params).content.decode()
        return {n for n in ["Alexandra Quist", "Bo Marsh"] if n in body}

    assert names() == {"Alexandra Quist", "Bo Marsh"}
    assert names(q="quist") == {"Alexandra Quist"}
    assert names(q="alexandra quist") == {"Alexandra Quist"}
    assert names(task_force=la.pk) == {"Bo Marsh"}
    assert names(discipline=Discipline.PROSECUTION) == {"Alexandra Quist"}
    assert names(state="LA") == {"Bo Marsh"}
    assert names(expertise="Labor Trafficking") == {"Alexandra Quist"}
    assert names(q="nobody-by-this-name") == set()
    assert "No members match these filters." in member_client.get("/members/", {"q": "zzz"}).content.decode()
    # Nonsense filters are ignored rather than failing.
    assert (
        member_client.get("/members/", {"task_force": "abc", "state": "ZZ", "page": "x"}).status_code == 200
    )


def test_directory_is_paginated(member_client, task_force):
    for _ in range(30):
        make_member(task_force=task_force)
    first = member_client.get("/members/").content.decode()
    assert "31 members found." in first
    second = member_client.get("/members/", {"page": 2})
    assert second.status_code == 200
    assert second.context["page_obj"].number == 2
    assert len(second.context["page_obj"].object_list) == 31 - 24


def _directory_queries(client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        response = client.get("/members/")
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_directory_query_count_does_not_grow_with_members(
    member_client, member, task_force, django_assert_num_queries
):
    for i in range(4):
        make_member(task_force=task_force if i % 2 else TaskForceFactory()).profile.expertise.add("a", "b")
    member_client.get("/members/")  # warm caches (content types, site)
    # Both counts are of the listing built afresh (a cached one asks nothing for it).
    fragments.bump(fragments.PROFILES)
    few = _directory_queries(member_client)
    for i in range(35):
        make_member(task_force=task_force if i % 2 else TaskForceFactory()).profile.expertise.add("a", "b")
    fragments.bump(fragments.PROFILES)
    with django_assert_num_queries(few):
        response = member_client.get("/members/")
    assert len(response.context["page_obj"].object_list) == 24
    print(f"directory queries: {few} with 5 members, {few} with 40")


def test_task_force_list_and_page(member_client, member, other_member, task_force):
    task_force.lead_agencies = "Test County Sheriff's Office\nTest Victim Services"
    task_force.coordinator_name = "Casey Coordinator"
    task_force.save()
    listing = member_client.get("/task-forces/").content.decode()
    assert task_force.name in listing
    page = member_client.get(f"/task-forces/{task_force.slug}/")
    body = page.content.decode()
    assert page.status_code == 200
    assert "Test Victim Services" in body
    assert "Casey Coordinator" in body
    assert member.profile.display_name in body
    assert other_member.profile.display_name in body
    assert "Members (2)" in body
    assert member_client.get("/task-forces/no-such-task-force/").status_code == 404


def test_task_force_page_shows_where_funding_and_coordinator_contact(member_client, task_force):
    task_force.first_fiscal_year = 2020
    task_force.coordinator_name = ""
    task_force.coordinator_email = "coordinator@tf.test.example"
    task_force.coordinator_phone = "555-0100"
    task_force.save()
    body = member_client.get(f"/task-forces/{task_force.slug}/").content.decode()
    assert task_force.jurisdiction in body
    assert "Ohio" in body and "Midwest" in body
    assert "Enhanced Collaborative Model" in body and "fiscal year 2020" in body
    assert 'href="mailto:coordinator@tf.test.example"' in body
    assert 'href="tel:555-0100"' in body


def test_task_force_list_filters_by_state_and_region(member_client, task_force):
    texas = TaskForceFactory(name="Lone Star Test Task Force", state="TX", region="south")
    oregon = TaskForceFactory(name="Cascade Test Task Force", state="OR", region="west")

    def names(query):
        response = member_client.get("/task-forces/", query)
        assert response.status_code == 200
        body = response.content.decode()
        return {tf.name for tf in (task_force, texas, oregon) if tf.name in body}

    assert names({}) == {task_force.name, texas.name, oregon.name}
    assert names({"state": "TX"}) == {texas.name}
    assert names({"region": "west"}) == {oregon.name}
    assert names({"region": "midwest", "state": "OH"}) == {task_force.name}
    assert names({"region": "west", "state": "TX"}) == set()
    # Unknown values are ignored rather than failing the page.
    assert names({"region": "<script>", "state": "ZZ"}) == {task_force.name, texas.name, oregon.name}


def test_inactive_task_force_is_not_listed(member_client, task_force):
    retired = TaskForceFactory(is_active=False)
    assert retired.name not in member_client.get("/task-forces/").content.decode()
    assert member_client.get(f"/task-forces/{retired.slug}/").status_code == 404


def test_task_force_sections_from_hook(member_client, task_force):
    def section(request, tf):
        return HomePanel(
            title=f"Spotlights of {tf.name}",
            template="includes/panel_links.html",
            context={"links": [{"url": "/x/", "label": "panel body from a hook"}]},
        )

    with hooks.register_temporarily("register_task_force_section", section):
        body = member_client.get(f"/task-forces/{task_force.slug}/").content.decode()
    assert f"Spotlights of {task_force.name}" in body
    assert "panel body from a hook" in body


def test_home_page_greets_member_and_shows_panels_from_hook(member_client, member):
    def panel(request):
        return HomePanel(
            title="Spotlight of the week",
            template="includes/panel_links.html",
            context={"links": [{"url": "/x/", "label": "panel body from a hook"}]},
        )

    def hidden(request):
        return None

    with hooks.register_temporarily([("register_home_panel", panel), ("register_home_panel", hidden)]):
        response = member_client.get("/")
    body = response.content.decode()
    assert response.status_code == 200
    assert f"Welcome, {member.display_name}" in body
    assert "Spotlight of the week" in body
    assert "panel body from a hook" in body
    assert 'href="/members/"' in body


def test_header_navigation_for_members(member_client):
    body = member_client.get("/members/").content.decode()
    for label in ["Discussions", "Spotlights", "Resources", "Members", "Search"]:
        assert label in body
    assert 'href="#main-content"' in body
