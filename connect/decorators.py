"""View decorators for the access rules in connect.middleware."""

from functools import wraps

from django.http import Http404

from . import permissions


def public(view):
    """Mark a view as reachable without membership. Use sparingly: every
    public view is listed in tests/connect/test_access.py."""
    view.connect_public = True
    return view


def moderator_required(view):
    """For moderator tools outside the Wagtail admin. Others get a 404."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not permissions.is_moderator(request.user):
            raise Http404
        return view(request, *args, **kwargs)

    return wrapped
