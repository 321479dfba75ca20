from django.conf import settings

from . import permissions


def site(request):
    user = getattr(request, "user", None)
    is_member = permissions.is_active_member(user) if user is not None else False
    return {
        "site_name": settings.WAGTAIL_SITE_NAME,
        "is_member": is_member,
        "is_moderator": is_member and permissions.is_moderator(user),
    }
