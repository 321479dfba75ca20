"""The header bell: every app's notifications, counted by the one visibility rule."""

from django.urls import reverse
from wagtail import hooks

from . import moderators, selectors


@hooks.register("register_notification_kind")
def moderator_kinds():
    return moderators.kinds()


@hooks.register("register_header_link")
def notifications_link(request):
    count = selectors.unread_notification_count(user=request.user)
    # The spoken name starts with the visible text, "Notifications 3" (WCAG 2.5.3).
    label = f"Notifications {count} unread" if count else "Notifications, none unread"
    return {
        "label": "Notifications",
        "url": reverse("notifications:list"),
        "count": count,
        "aria_label": label,
        # Shown, with the count, in the phone header beside the Menu button.
        "icon": "notifications",
    }
