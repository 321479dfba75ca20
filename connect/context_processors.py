from django.conf import settings
from wagtail import hooks

from . import permissions


def site(request):
    """Site-wide template context: membership flags and header links that apps
    above `connect` add through the `register_header_link` hook (each returns a
    dict with ``label``, ``url`` and optionally ``count``, ``aria_label`` and ``icon``,
    a USWDS icon name that puts the link in the phone header too, or None)."""
    user = getattr(request, "user", None)
    is_member = permissions.is_active_member(user) if user is not None else False
    header_links = []
    if is_member:
        for hook in hooks.get_hooks("register_header_link"):
            link = hook(request)
            if link:
                header_links.append(link)
    return {
        "site_name": settings.WAGTAIL_SITE_NAME,
        "help_email": settings.CONNECT_HELP_EMAIL,
        "funding_statement": settings.CONNECT_FUNDING_STATEMENT,
        "is_member": is_member,
        "is_moderator": is_member and permissions.is_moderator(user),
        "header_links": header_links,
    }
