"""A category page tells the truth about who can read it."""

import pytest

from .factories import make_category

pytestmark = pytest.mark.django_db


def test_open_category_says_every_member_can_read_it(officer, client_for, category):
    html = client_for(officer).get(category.get_absolute_url()).content.decode()
    assert "Every member can read this category." in html


def test_discipline_category_names_its_audience_and_no_moderator_exception(le_mod, client_for):
    le_only = make_category(name="LE line test", slug="le-line", disciplines=["law_enforcement"])
    html = client_for(le_mod).get(le_only.get_absolute_url()).content.decode()
    assert "Only members who work in law enforcement can read this category." in html
    assert "(and moderators)" not in html


def test_role_category_names_the_roles(mod, client_for):
    staff = make_category(name="Staff line test", slug="staff-line", roles=["Moderators", "Administrators"])
    html = client_for(mod).get(staff.get_absolute_url()).content.decode()
    assert "Only moderators or administrators can read this category." in html


def test_audience_line_matches_who_is_let_in(officer, mod, client_for):
    """The moderator the line says cannot see it gets a 404."""
    both = make_category(
        name="Mixed line test",
        slug="mixed-line",
        disciplines=["victim_services", "prosecution"],
        roles=["Administrators"],
    )
    assert both.audience_description.startswith(
        "Only members who work in victim services or prosecution, or administrators can read"
    )
    assert client_for(mod).get(both.get_absolute_url()).status_code == 404
    assert client_for(officer).get(both.get_absolute_url()).status_code == 404
