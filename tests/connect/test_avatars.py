"""Initials avatars beside members' names, and in the Wagtail admin."""

import pytest

from connect.templatetags.avatars import PALETTE, avatar_data_url, avatar_html, colour_index, initials

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Dana Whitfield", "DW"),
        ("dana", "D"),
        ("Mary-Ann O'Neil", "MO"),
        ("  José   de la Cruz ", "JC"),
        ("", "?"),
        ("(Detective) Sam Lee", "SL"),
    ],
)
def test_initials_take_the_first_and_last_words(name, expected):
    assert initials(name) == expected


def _luminance(hex_colour):
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


@pytest.mark.parametrize("colour", PALETTE)
def test_palette_keeps_white_initials_readable(colour):
    assert 1.05 / (_luminance(colour) + 0.05) >= 4.5


def test_avatar_is_hidden_from_assistive_technology_and_keeps_its_colour(member):
    html = str(avatar_html(member))
    assert 'aria-hidden="true"' in html
    assert f"connect-avatar--{colour_index(member.pk)}" in html
    assert f">{initials(member.display_name)}<" in html
    # The profile gives the same avatar as its user.
    assert str(avatar_html(member.profile)) == html
    member.profile.display_name = "Someone Else"
    member.profile.save()
    assert f"connect-avatar--{colour_index(member.pk)}" in str(avatar_html(member.profile))


def test_avatar_escapes_names():
    class Person:
        pk = 3
        display_name = "<b>x</b> <i>y</i>"

    assert "<b>" not in str(avatar_html(Person()))
    assert "<b>" not in avatar_data_url(Person())


def test_directory_and_profile_show_initials_beside_the_name(member_client, other_member):
    directory = member_client.get("/members/").content.decode()
    assert f'aria-hidden="true">{initials(other_member.display_name)}</span><a' in directory
    profile = member_client.get(other_member.profile.get_absolute_url()).content.decode()
    assert "connect-avatar--lg" in profile


def test_held_profile_shows_no_initials(member_client, other_member):
    other_member.profile.privacy_findings = [{"label": "a name", "text": "x"}]
    other_member.profile.save()
    # Initials would give away the name the profile's text hides.
    response = member_client.get(other_member.profile.get_absolute_url())
    assert response.status_code == 200
    heading = response.content.decode().split("<h1", 1)[1].split("</h1>", 1)[0]
    assert "A member of" in heading
    assert "connect-avatar" not in heading


def test_wagtail_admin_draws_initials_and_asks_no_third_party(moderator_client, moderator):
    body = moderator_client.get("/admin/").content.decode()
    assert "data:image/svg+xml," in body
    assert "gravatar" not in body.lower()
