"""How discussions plug into the rest of the site: notification kinds, home panel,
task-force section, moderator permissions, demo data and the admin."""

from django.urls import include, path, reverse
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.viewsets.model import ModelViewSet

from connect.admin_panels import CountedMenuItem, WaitingCount
from connect.fragments import Lazy
from connect.home import HomePanel, WelcomeStep

from . import admin_views, permissions, selectors
from .forms import CategoryForm
from .models import Category
from .signals import fragment_depends


@hooks.register("register_notification_kind")
def notification_kinds():
    from .notification_kinds import kinds

    return kinds()


@hooks.register("register_home_panel")
def recent_discussions_panel(request):
    if not permissions.connect_permissions.is_active_member(request.user):
        return None
    return HomePanel(
        title="Recent discussions",
        template="forum/panels/recent.html",
        # Worked out only when the member's cached panel is missing or out of date.
        context={
            "threads": Lazy(selectors.recent_threads, user=request.user, limit=5),
            "depends": fragment_depends(request.user),
        },
        order=20,
    )


@hooks.register("register_welcome_step")
def introduce_yourself_step(request):
    if not permissions.connect_permissions.is_active_member(request.user):
        return None
    from connect import fragments

    from .welcome import has_introduced_themselves, welcome_thread

    def build():
        thread = welcome_thread(user=request.user)
        if thread is None:
            return ("none",)  # cached too (a cached None reads as missing)
        step = WelcomeStep(
            label="Introduce yourself",
            detail=f"Say hello in “{thread.title}”: your role, your task force, what you hope to find here.",
            url=thread.get_absolute_url(),
            done=has_introduced_themselves(user=request.user, thread=thread),
            order=30,
        )
        return ("step", step)

    # Which welcome thread the member may see and whether they posted there:
    # cached per member, like the home page's recent discussions, until a post,
    # thread or category is saved or deleted or the member's access or marks
    # change (the welcome thread is found among 20,000 threads).
    cached = fragments.get_or_build(
        "welcome-introduce", user_id=request.user.pk, depends=fragment_depends(request.user), build=build
    )
    return cached[1] if cached[0] == "step" else None


@hooks.register("register_task_force_section")
def task_force_discussions(request, task_force):
    if not permissions.connect_permissions.is_active_member(request.user):
        return None
    return HomePanel(
        title="Discussions started by its members",
        template="forum/panels/task_force.html",
        context={"threads": selectors.task_force_threads(user=request.user, task_force=task_force)},
        order=30,
    )


@hooks.register("register_profile_section")
def member_recent_posts(request, profile):
    if not permissions.connect_permissions.is_active_member(request.user):
        return None
    return HomePanel(
        title="Recent posts in discussions",
        template="forum/panels/profile_posts.html",
        context={"posts": selectors.member_recent_posts(user=request.user, member=profile.user)},
        order=30,
    )


@hooks.register("register_writing_restriction")
def suspended_members():
    """Members suspended from discussions may not write elsewhere either (private messages)."""
    return permissions.suspended_user_ids()


# What an answer built from this restriction must be cached under: the
# generation moved by every save or delete of a suspension, and how many
# suspensions have lapsed since (conversations.permissions.messaging_key).
suspended_members.depends = (permissions.SUSPENSIONS,)
suspended_members.epoch = permissions.suspensions_epoch


@hooks.register("register_role_permissions")
def forum_role_permissions():
    moderate = [
        "forum.add_category",
        "forum.change_category",
        "forum.view_category",
    ]
    return {"Moderators": moderate, "Administrators": [*moderate, "forum.delete_category"]}


@hooks.register("register_demo_seed")
def demo_seed(stdout):
    from .demo import seed_discussions

    seed_discussions(stdout)


class CategoryViewSet(ModelViewSet):
    model = Category
    icon = "folder-open-inverse"
    menu_label = "Discussion categories"
    menu_order = 310
    add_to_admin_menu = True
    copy_view_enabled = False
    list_display = ["name", "slug", "position", "is_suggestions", "is_archived"]
    search_fields = ["name"]
    add_view_class = admin_views.CategoryCreateView
    edit_view_class = admin_views.CategoryEditView

    def get_form_class(self, for_update=False):
        return CategoryForm


category_viewset = CategoryViewSet("forum_categories")


@hooks.register("register_admin_viewset")
def register_viewsets():
    return [category_viewset]


@hooks.register("register_admin_urls")
def register_admin_urls():
    return [
        path(
            "discussions/",
            include(
                (
                    [
                        path("queue/", admin_views.queue, name="queue"),
                        path("threads/", admin_views.threads, name="threads"),
                        path("posts/<int:pk>/approve/", admin_views.post_approve, name="post_approve"),
                        path("posts/<int:pk>/hide/", admin_views.post_hide, name="post_hide"),
                        path("threads/<int:pk>/", admin_views.thread_manage, name="thread_manage"),
                        path("suspensions/", admin_views.suspensions, name="suspensions"),
                    ],
                    "forum_admin",
                ),
                namespace="forum_admin",
            ),
        )
    ]


class ModeratorMenuItem(MenuItem):
    def is_shown(self, request):
        return permissions.is_moderator(request.user)


class CountedModeratorMenuItem(CountedMenuItem, ModeratorMenuItem):
    pass


@hooks.register("register_admin_menu_item")
def register_queue_menu_item():
    return CountedModeratorMenuItem(
        "Moderation queue", reverse("forum_admin:queue"), icon_name="warning", order=300
    )


@hooks.register("register_admin_menu_item")
def register_threads_menu_item():
    return ModeratorMenuItem(
        "Discussion threads", reverse("forum_admin:threads"), icon_name="folder-open-inverse", order=305
    )


@hooks.register("register_waiting_count")
def posts_waiting_for_review(request):
    if not permissions.is_moderator(request.user):
        return None
    from .selectors import moderation_queue

    return WaitingCount(
        label="flagged or held posts in the moderation queue",
        singular="flagged or held post in the moderation queue",
        count=moderation_queue().count(),
        url=reverse("forum_admin:queue"),
        order=20,
    )


@hooks.register("register_admin_menu_item")
def register_suspensions_menu_item():
    return ModeratorMenuItem(
        "Suspended members", reverse("forum_admin:suspensions"), icon_name="lock", order=320
    )
