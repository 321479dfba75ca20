"""How private conversations plug into the rest of the site: the notification
kind, the header's "Messages" link, the "Message" button on profiles and in
the directory, and the moderators' queue in the admin."""

from django.urls import include, path, reverse
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from connect.home import HomePanel

from . import admin_views, permissions, selectors


@hooks.register("register_notification_kind")
def notification_kinds():
    from .notification_kinds import kinds

    return kinds()


@hooks.register("register_header_link")
def messages_link(request):
    count = selectors.unread_conversation_count(user=request.user)
    label = f"Messages {count} unread" if count else "Messages, none unread"
    return {
        "label": "Messages",
        "url": reverse("conversations:inbox"),
        "count": count,
        "aria_label": label,
        # Shown, with the count, in the phone header beside the Menu button.
        "icon": "mail",
    }


def _message_action(request, user):
    if not permissions.can_message(request.user, user):
        return None
    return {"label": "Message", "url": f"{reverse('conversations:start')}?to={user.pk}"}


@hooks.register("register_profile_section")
def profile_message(request, profile):
    """A "Message" button on another member's profile, when they can receive one from the viewer."""
    if profile.user_id == request.user.pk or not permissions.is_active_member(request.user):
        return None
    action = _message_action(request, profile.user)
    return HomePanel(
        title="Private message",
        template="conversations/panels/profile_message.html",
        context={
            "action": action,
            "block_url": reverse("conversations:block", kwargs={"user_id": profile.user_id}),
            "name": profile.display_name,
        },
        order=5,
    )


@hooks.register("register_member_actions")
def directory_message(request, profiles):
    """``{profile pk: action}``: "Message" for the members on a directory page the viewer may write to."""
    users = [p.user for p in profiles if p.user_id != request.user.pk]
    allowed = set(
        permissions.messageable_users(request.user)
        .filter(pk__in=[u.pk for u in users])
        .values_list("pk", flat=True)
    )
    start = reverse("conversations:start")
    return {
        p.pk: {
            "label": "Message",
            "url": f"{start}?to={p.user_id}",
            "aria_label": f"Message {p.display_name}",
        }
        for p in profiles
        if p.user_id in allowed
    }


@hooks.register("register_admin_urls")
def register_admin_urls():
    return [
        path(
            "messages/",
            include(
                (
                    [
                        path("", admin_views.queue, name="queue"),
                        path("reports/<int:pk>/", admin_views.report_detail, name="report"),
                        path("reports/<int:pk>/resolve/", admin_views.report_resolve, name="report_resolve"),
                        path("held/<int:pk>/", admin_views.held_detail, name="held"),
                        path("held/<int:pk>/decide/", admin_views.held_decide, name="held_decide"),
                    ],
                    "conversations_admin",
                ),
                namespace="conversations_admin",
            ),
        )
    ]


class ModeratorMenuItem(MenuItem):
    def is_shown(self, request):
        return permissions.can_review_reports(request.user)


@hooks.register("register_admin_menu_item")
def register_queue_menu_item():
    return ModeratorMenuItem(
        "Reported messages", reverse("conversations_admin:queue"), icon_name="mail", order=305
    )
