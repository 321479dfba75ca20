"""How private conversations plug into the rest of the site: the notification
kind, the header's "Messages" link, the "Message" button on profiles and in
the directory, and the moderators' queue in the admin."""

import hashlib

from django.urls import include, path, reverse
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from connect import fragments
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
    """``{profile pk: action}``: "Message" for the members on a directory page
    the viewer may write to, cached per viewer and page of cards until a
    block, a messaging preference, a suspension (or its end), an account or a
    profile changes (``permissions.messaging_key``)."""
    # Only ids and names: a cached directory page hands its cards over without their rows.
    cards = [(p.pk, p.user_id, p.display_name) for p in profiles if p.user_id != request.user.pk]
    if not cards:
        return {}

    def build():
        allowed = set(
            permissions.messageable_users(request.user)
            .filter(pk__in=[user_id for _, user_id, _ in cards])
            .values_list("pk", flat=True)
        )
        start = reverse("conversations:start")
        return {
            pk: {"label": "Message", "url": f"{start}?to={user_id}", "aria_label": f"Message {name}"}
            for pk, user_id, name in cards
            if user_id in allowed
        }

    key = permissions.messaging_key(request.user)
    if key is None:
        return build()
    depends, vary = key
    digest = hashlib.sha256(repr([cards, vary]).encode()).hexdigest()[:32]
    return fragments.get_or_build(
        f"directory-message:{digest}",
        user_id=request.user.pk,
        depends=[fragments.PROFILES, *depends],
        build=build,
    )


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
