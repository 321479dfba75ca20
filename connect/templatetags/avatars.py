"""Initials avatars: a member's initials on a colour picked by their id.

No pictures and no third-party avatar service: a photo or an email hash of a
member of a trafficking task force is not something to hand out. The colour
comes from a fixed palette (each with at least 6:1 contrast against the white
initials) by member id, so a member keeps their colour when they change their
name. The avatar is decoration, hidden from assistive technology: the name is
always given in text next to it.
"""

from urllib.parse import quote

from django import template
from django.utils.html import escape, format_html

register = template.Library()

# USWDS-derived dark colours; the CSS classes connect-avatar--0 … --7 in
# static/css/connect.css carry them (the Content-Security-Policy allows no
# inline styles).
PALETTE = ("#1a4480", "#00687d", "#216e1f", "#775540", "#6f3331", "#54278f", "#8c4a6b", "#3d4076")
SIZES = ("xs", "sm", "md", "lg")


def initials(name):
    """Up to two letters: the first letters of the first and last words."""
    words = [word for word in str(name or "").replace("-", " ").split() if word[:1].isalnum()]
    if not words:
        return "?"
    if len(words) == 1:
        return words[0][:1].upper()
    return (words[0][:1] + words[-1][:1]).upper()


def colour_index(user_id):
    return (user_id or 0) % len(PALETTE)


def avatar_html(member, size="sm"):
    """The avatar for ``member``: a User, or a MemberProfile (whose user id
    picks the colour, so both give the same avatar without another query)."""
    size = size if size in SIZES else "sm"
    member_id = getattr(member, "user_id", None) or getattr(member, "pk", None)
    return format_html(
        '<span class="connect-avatar connect-avatar--{} connect-avatar--{}" aria-hidden="true">{}</span>',
        size,
        colour_index(member_id),
        initials(getattr(member, "display_name", "") or ""),
    )


@register.simple_tag
def avatar(member, size="sm"):
    """``{% avatar member %}`` or ``{% avatar profile "lg" %}``: put the name in text beside it."""
    return avatar_html(member, size)


def avatar_data_url(member):
    """The same avatar as an SVG ``data:`` URL, for the Wagtail admin (its
    `get_avatar_url` hook), which draws avatars as images."""
    member_id = getattr(member, "user_id", None) or getattr(member, "pk", None)
    letters = escape(initials(getattr(member, "display_name", "")))
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 100">'
        f'<rect width="100" height="100" fill="{PALETTE[colour_index(member_id)]}"/>'
        '<text x="50" y="50" dy=".35em" text-anchor="middle" font-family="Arial, Helvetica, sans-serif" '
        f'font-size="42" font-weight="700" fill="#ffffff">{letters}</text>'
        "</svg>"
    )
    return "data:image/svg+xml," + quote(svg)
