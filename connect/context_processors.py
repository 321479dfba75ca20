from django.conf import settings
from django.urls import reverse
from wagtail import hooks

from . import permissions
from .fragments import Lazy

# The header's primary sections: (name, path prefixes). A page belongs to the
# first section one of whose prefixes starts its path.
_SECTIONS = (
    ("spotlights", ("/spotlights/",)),
    ("resources", ("/resources/", "/library/")),
    ("events", ("/events/",)),
    ("members", ("/members/",)),
    ("more", ("/task-forces/", "/assistance/", "/search/")),
    ("discussions", ("/discussions/",)),
)


def header_nav(path):
    """Where ``path`` sits in the header's menus: ``section``, the primary item
    marked current, and ``page``, the path when a menu link points at it
    (marked ``aria-current``), else "". The header shows nothing else of the
    path, so its cached copy varies with these two alone."""
    suggestions = reverse("forum:category", args=["suggestions"])
    section = ""
    if path == suggestions:
        section = "more"  # under /discussions/, but listed in "More"
    else:
        for name, prefixes in _SECTIONS:
            if path.startswith(prefixes):
                section = name
                break
    pages = {
        "/discussions/",
        "/spotlights/",
        "/resources/",
        "/events/",
        "/task-forces/",
        "/assistance/",
        suggestions,
        reverse("connect:member_directory"),
        reverse("site_search:search"),
    }
    return {"section": section, "page": path if path in pages else ""}


def site(request):
    """Site-wide template context: membership flags and header links that apps
    above `connect` add through the `register_header_link` hook (each returns a
    dict with ``label``, ``url`` and optionally ``count``, ``aria_label`` and ``icon``,
    a USWDS icon name that puts the link in the phone header too, or None).

    ``header_signature`` is everything the header shows that is not the same
    for every member (``templates/base.html`` caches one copy per signature):
    membership, the moderators' link, each header link with its count, and the
    menus' place for the path."""
    user = getattr(request, "user", None)
    is_member = permissions.is_active_member(user) if user is not None else False
    is_moderator = is_member and permissions.is_moderator(user)
    header_links = []
    if is_member:
        for hook in hooks.get_hooks("register_header_link"):
            link = hook(request)
            if link:
                header_links.append(link)
    nav = Lazy(header_nav, request.path)

    def signature():
        links = tuple(
            tuple(sorted((key, str(value)) for key, value in link.items())) for link in header_links
        )
        return (is_member, is_moderator, links, tuple(sorted(nav().items())) if is_member else ())

    # What the cached frame shows, under a name of its own: a view's context may
    # set ``is_moderator`` or ``is_member`` for its page (and two do), which
    # must never reach a frame cached for everyone with this signature.
    frame = {
        "is_member": is_member,
        "is_moderator": is_moderator,
        "header_links": header_links,
        "header_nav": nav,
    }
    return {
        "site_name": settings.WAGTAIL_SITE_NAME,
        "help_email": settings.CONNECT_HELP_EMAIL,
        "funding_statement": settings.CONNECT_FUNDING_STATEMENT,
        "is_member": is_member,
        "is_moderator": is_moderator,
        "header_links": header_links,
        "header_nav": nav,
        "page_frame": frame,
        "header_signature": Lazy(signature),
    }
