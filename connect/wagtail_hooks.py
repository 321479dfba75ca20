"""The moderators' admin: membership review, audit log, lockouts, members."""

from django.urls import path, reverse
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.ui.tables import Column
from wagtail.admin.views import generic
from wagtail.admin.viewsets.model import ModelViewSet

from . import admin_views
from .admin_panels import CountedMenuItem
from .audit import audit_record
from .models import AuditEvent, MembershipRequest, TaskForce
from .selectors import membership_request_warnings, membership_request_warnings_for
from .templatetags.avatars import avatar_data_url


@hooks.register("get_avatar_url")
def initials_avatar(user, size):
    """Initials in the admin too: no uploaded photos, and no Gravatar request
    carrying a hash of a moderator's email address off the site."""
    return avatar_data_url(user)


class WarningsColumn(Column):
    """Each warning spelled out in the list, so a reviewer sees what to check
    before opening the request."""

    cell_template_name = "connect/admin/warnings_cell.html"

    def get_value(self, instance):
        return membership_request_warnings(instance)

    def get_cell_context_data(self, instance, parent_context):
        # Worked out once for the whole page, not once per row.
        context = super(Column, self).get_cell_context_data(instance, parent_context)
        table = parent_context["table"]
        if getattr(table, "_connect_warnings", None) is None:
            table._connect_warnings = membership_request_warnings_for(table.data)
        context["value"] = table._connect_warnings.get(instance.pk, [])
        return context


class MembershipRequestIndexView(generic.IndexView):
    def get_base_queryset(self):
        return super().get_base_queryset().select_related("task_force")


class MembershipRequestInspectView(generic.InspectView):
    template_name = "connect/admin/membershiprequest_inspect.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["warnings"] = membership_request_warnings(self.object)
        context["approve_url"] = reverse("connect_admin:request_approve", args=[self.object.pk])
        context["deny_url"] = reverse("connect_admin:request_deny", args=[self.object.pk])
        context["is_pending"] = self.object.status == MembershipRequest.Status.PENDING
        context["is_approved"] = self.object.status == MembershipRequest.Status.APPROVED
        context["reinvite_url"] = reverse("connect_admin:request_reinvite", args=[self.object.pk])
        context["invitations"] = self.object.invitations.all()
        return context


class MembershipRequestViewSet(ModelViewSet):
    model = MembershipRequest
    icon = "user"
    menu_label = "Membership requests"
    menu_order = 200
    add_to_admin_menu = True
    inspect_view_enabled = True
    index_view_class = MembershipRequestIndexView
    inspect_view_class = MembershipRequestInspectView
    copy_view_enabled = False
    list_display = [
        "full_name",
        "email",
        "task_force",
        "discipline",
        "status",
        WarningsColumn("warnings", label="Warnings"),
        "created_at",
    ]
    list_filter = ["status", "task_force", "discipline"]
    search_fields = ["first_name", "last_name", "email", "agency"]
    form_fields = []
    ordering = ["-created_at"]

    menu_item_class = CountedMenuItem

    def get_queryset(self, request):
        return MembershipRequest.objects.select_related("task_force")


class AuditEventViewSet(ModelViewSet):
    model = AuditEvent
    icon = "history"
    menu_label = "Audit log"
    menu_order = 900
    add_to_settings_menu = True
    inspect_view_enabled = True
    copy_view_enabled = False
    list_display = ["created_at", "action", "actor_email", "target_repr", "outcome", "ip_address"]
    list_filter = ["action", "outcome"]
    search_fields = ["action", "actor_email", "target_repr"]
    form_fields = []
    list_per_page = 50


class AuditedCreateView(generic.CreateView):
    def save_instance(self):
        instance = super().save_instance()
        audit_record(
            action="taskforce.created",
            request=self.request,
            target=instance,
            detail={"fields": sorted(self.form.changed_data)},
        )
        return instance


class AuditedEditView(generic.EditView):
    def save_instance(self):
        instance = super().save_instance()
        audit_record(
            action="taskforce.changed",
            request=self.request,
            target=instance,
            detail={"fields": sorted(self.form.changed_data)},
        )
        return instance


class TaskForceViewSet(ModelViewSet):
    """Administrators keep the roster: agencies, domains, coordinators.
    Every change lands in the audit log."""

    model = TaskForce
    icon = "group"
    menu_label = "Task forces"
    menu_order = 220
    add_to_admin_menu = True
    copy_view_enabled = False
    add_view_class = AuditedCreateView
    edit_view_class = AuditedEditView
    list_display = ["name", "state", "region", "is_active"]
    list_filter = ["state", "region", "is_active"]
    search_fields = ["name", "jurisdiction"]
    form_fields = [
        "name",
        "slug",
        "jurisdiction",
        "state",
        "region",
        "lead_agencies",
        "funding_program",
        "first_fiscal_year",
        "email_domains",
        "description",
        "coordinator_name",
        "coordinator_email",
        "coordinator_phone",
        "is_active",
    ]

    def get_urlpatterns(self):
        # No delete view: requests and profiles point at task forces; retire
        # one by unticking "active".
        return [p for p in super().get_urlpatterns() if p.name not in {"delete"}]


def _read_only_urlpatterns(viewset):
    # Requests change only through approve/deny, audit events never: no
    # create, edit or delete views exist for either.
    return [
        path("", viewset.index_view, name="index"),
        path("results/", viewset.index_results_view, name="index_results"),
        path("inspect/<str:pk>/", viewset.inspect_view, name="inspect"),
    ]


MembershipRequestViewSet.get_urlpatterns = _read_only_urlpatterns
AuditEventViewSet.get_urlpatterns = _read_only_urlpatterns

membership_request_viewset = MembershipRequestViewSet("membership_requests")
audit_event_viewset = AuditEventViewSet("audit_log")
task_force_viewset = TaskForceViewSet("task_forces")


@hooks.register("register_admin_viewset")
def register_viewsets():
    return [membership_request_viewset, audit_event_viewset, task_force_viewset]


@hooks.register("register_admin_urls")
def register_admin_urls():
    from django.urls import include

    return [
        path(
            "connect/",
            include(
                (
                    [
                        path(
                            "requests/<int:pk>/approve/", admin_views.request_approve, name="request_approve"
                        ),
                        path("requests/<int:pk>/deny/", admin_views.request_deny, name="request_deny"),
                        path(
                            "requests/<int:pk>/reinvite/",
                            admin_views.request_reinvite,
                            name="request_reinvite",
                        ),
                        path("lockouts/", admin_views.lockouts, name="lockouts"),
                        path("members/", admin_views.members, name="members"),
                        path("members/<int:pk>/", admin_views.member_manage, name="member_manage"),
                    ],
                    "connect_admin",
                ),
                namespace="connect_admin",
            ),
        )
    ]


@hooks.register("construct_main_menu")
def hide_menu_items_out_of_reach(request, menu_items):
    """Someone let into part of the admin (`register_admin_access`) sees only
    the menu items that lead there; the rest would be a 404 to them."""
    from django.urls import Resolver404, resolve

    from .permissions import can_open_admin_view, is_moderator

    if is_moderator(request.user):
        return
    admin_root = reverse("wagtailadmin_home")

    def reachable(item):
        url = getattr(item, "url", None)
        if not url or not url.startswith(admin_root):
            return True
        try:
            view_name = resolve(url.split("?")[0]).view_name
        except Resolver404:
            return False
        return can_open_admin_view(request.user, view_name)

    menu_items[:] = [item for item in menu_items if reachable(item)]


class AdministratorMenuItem(MenuItem):
    def is_shown(self, request):
        from .permissions import is_administrator

        return is_administrator(request.user)


@hooks.register("register_settings_menu_item")
def register_lockouts_menu_item():
    return AdministratorMenuItem(
        "Locked sign-ins", reverse("connect_admin:lockouts"), icon_name="lock", order=910
    )


@hooks.register("register_admin_menu_item")
def register_members_menu_item():
    return AdministratorMenuItem(
        "Members & roles", reverse("connect_admin:members"), icon_name="group", order=210
    )


# --- Background tasks ------------------------------------------------------------


@hooks.register("register_admin_urls")
def register_task_admin_urls():
    from django.urls import include

    from . import task_admin

    return [
        path(
            "connect/tasks/",
            include(
                ([path("", task_admin.failed_tasks, name="failed")], "connect_tasks"),
                namespace="connect_tasks",
            ),
        )
    ]


@hooks.register("register_settings_menu_item")
def register_tasks_menu_item():
    return AdministratorMenuItem(
        "Background tasks", reverse("connect_tasks:failed"), icon_name="cogs", order=920
    )


# --- What waits for moderators ---------------------------------------------------


@hooks.register("construct_homepage_panels")
def add_waiting_panel(request, panels):
    from .admin_panels import WaitingPanel
    from .permissions import is_moderator

    if is_moderator(request.user):
        panels.insert(0, WaitingPanel(request))


@hooks.register("register_waiting_count")
def membership_requests_waiting(request):
    from .admin_panels import WaitingCount
    from .permissions import is_moderator

    if not is_moderator(request.user):
        return None
    count = MembershipRequest.objects.filter(status=MembershipRequest.Status.PENDING).count()
    return WaitingCount(
        label="membership requests waiting",
        singular="membership request waiting",
        count=count,
        url=reverse(membership_request_viewset.get_url_name("index")),
        order=10,
    )
