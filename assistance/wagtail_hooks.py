"""How the TTA program plugs into the rest of the site: notification kinds,
the home and task-force panels, the admin and the demo data."""

from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.views import generic
from wagtail.admin.viewsets.base import ViewSetGroup
from wagtail.admin.viewsets.model import ModelViewSet

from connect.actors import Actor
from connect.home import HomePanel
from connect.permissions import is_active_member, is_administrator
from notifications.kinds import NotificationKind

from . import permissions, selectors, services
from .admin_views import STAFF_ADMIN_AREAS, request_viewset, visit_viewset
from .models import AssistanceRequest, ExchangeVisit, PartnerOrganization, ProgramRole

# --- Notifications -----------------------------------------------------------------------


def _visible_about(model, visible):
    def rule(user, qs):
        content_type = ContentType.objects.get_for_model(model)
        ids = visible(user, model.objects.all()).values("pk")
        return qs.filter(target_type=content_type, target_id__in=ids)

    return rule


def _describe_requests(notifications):
    ids = {n.target_id for n in notifications}
    found = dict(AssistanceRequest.objects.filter(pk__in=ids).values_list("pk", "kind"))
    labels = dict(AssistanceRequest._meta.get_field("kind").choices)
    return {
        n.pk: f"{labels.get(found.get(n.target_id), 'TTA')} request #{n.target_id}" for n in notifications
    }


def _describe_visits(notifications):
    return {n.pk: f"peer exchange visit #{n.target_id}" for n in notifications}


@hooks.register("register_notification_kind")
def notification_kinds():
    # Never emailed by the digest floor: the requester's status emails are
    # sent by the services themselves (number, kind and status only).
    requests = _visible_about(AssistanceRequest, permissions.visible_requests)
    return [
        NotificationKind(
            key=services.KIND_REQUEST_UPDATED,
            label="updated your assistance request",
            visible=requests,
            describe=_describe_requests,
        ),
        NotificationKind(
            key=services.KIND_REQUEST_RECEIVED,
            label="asked for training or technical assistance",
            visible=requests,
            describe=_describe_requests,
        ),
        NotificationKind(
            key=services.KIND_VISIT_UPDATED,
            label="updated a peer exchange visit",
            visible=_visible_about(ExchangeVisit, permissions.visible_visits),
            describe=_describe_visits,
        ),
    ]


# --- Panels ----------------------------------------------------------------------------


@hooks.register("register_home_panel")
def waiting_panel(request):
    """What waits for a coordinator (visits to answer, reports, feedback) or for staff."""
    user = request.user
    if not is_active_member(user):
        return None
    coordinator = selectors.waiting_for_coordinator(user)
    staff = selectors.staff_waiting(user)
    if not coordinator and not staff:
        return None
    if coordinator and not any(coordinator.values()) and not staff:
        return None
    return HomePanel(
        title="Training & technical assistance",
        template="assistance/panels/waiting.html",
        context={"coordinator": coordinator, "staff": staff},
        order=25,
    )


@hooks.register("register_task_force_section")
def task_force_visits_section(request, task_force):
    if not permissions.can_see_visit_on_task_force_page(request.user):
        return None
    hosted, made = selectors.task_force_visits(task_force)
    if not hosted and not made:
        return None
    return HomePanel(
        title="Peer exchange visits",
        template="assistance/panels/task_force_visits.html",
        context={"hosted": hosted, "made": made},
        order=40,
    )


@hooks.register("register_header_link")
def assistance_link(request):
    # No query: the page behind it sorts out what the member may do there.
    return {"label": "Assistance", "url": reverse("assistance:index")}


# --- Admin -----------------------------------------------------------------------------


class RoleCreateView(generic.CreateView):
    def form_valid(self, form):
        # The grant goes through the service (who granted it, the audit event).
        self.form = form
        data = form.cleaned_data
        try:
            self.object = services.role_grant(
                actor=Actor.from_request(self.request),
                user=data["user"],
                kind=data["kind"],
                task_force=data.get("task_force"),
                partner=data.get("partner"),
            )
        except services.AssistanceError as exc:
            form.add_error(None, exc.message)
            return self.form_invalid(form)
        return self.save_action()


class RoleEditView(generic.EditView):
    def form_valid(self, form):
        # The change goes through the service (the staff group, the audit event).
        self.form = form
        data = form.cleaned_data
        holder_id = ProgramRole.objects.filter(pk=self.object.pk).values_list("user_id", flat=True).first()
        if data["user"].pk != holder_id:
            self.produced_error_message = "The role was not changed."
            form.add_error("user", "To give this role to someone else, revoke it and grant a new one.")
            return self.form_invalid(form)
        try:
            self.object = services.role_change(
                actor=Actor.from_request(self.request),
                role=self.object,
                kind=data["kind"],
                task_force=data.get("task_force"),
                partner=data.get("partner"),
            )
        except services.AssistanceError as exc:
            self.produced_error_message = exc.message
            form.add_error(None, exc.message)
            return self.form_invalid(form)
        return self.save_action()


class RoleDeleteView(generic.DeleteView):
    def delete_action(self):
        services.role_revoke(actor=Actor.from_request(self.request), role=self.object)


class AdministratorsOnly:
    """Program roles are granted by administrators alone."""

    def dispatch(self, request, *args, **kwargs):
        from django.http import Http404

        if not is_administrator(request.user):
            raise Http404
        return super().dispatch(request, *args, **kwargs)


class ProgramRoleViewSet(ModelViewSet):
    """Administrators grant, change and revoke coordinator and TTA-staff
    roles; every one of these is in the audit log."""

    model = ProgramRole
    icon = "user"
    menu_label = "Program roles"
    add_view_class = type("AuditedRoleCreateView", (AdministratorsOnly, RoleCreateView), {})
    edit_view_class = type("AuditedRoleEditView", (AdministratorsOnly, RoleEditView), {})
    delete_view_class = type("AuditedRoleDeleteView", (AdministratorsOnly, RoleDeleteView), {})
    index_view_class = type("RoleIndexView", (AdministratorsOnly, generic.IndexView), {})
    copy_view_enabled = False
    list_display = ["user", "kind", "task_force", "partner", "granted_by", "granted_at"]
    list_filter = ["kind", "task_force", "partner"]
    form_fields = ["user", "kind", "task_force", "partner"]


class PartnerViewSet(ModelViewSet):
    model = PartnerOrganization
    icon = "site"
    menu_label = "TTA partners"
    copy_view_enabled = False
    list_display = ["name", "website"]
    form_fields = ["name", "slug", "website"]


class ProgramViewSetGroup(ViewSetGroup):
    menu_label = "TTA program"
    menu_icon = "help"
    menu_order = 250
    items = (
        request_viewset,
        visit_viewset,
        PartnerViewSet("tta_partners"),
        ProgramRoleViewSet("program_roles"),
    )


@hooks.register("register_admin_viewset")
def register_program_viewsets():
    return ProgramViewSetGroup()


class StaffMenuItem(MenuItem):
    def is_shown(self, request):
        return permissions.is_program_staff(request.user)


@hooks.register("register_admin_menu_item")
def register_queue_menu_item():
    return StaffMenuItem("TTA queue", reverse("assistance:queue"), icon_name="list-ul", order=251)


@hooks.register("register_admin_access")
def program_staff_admin_access(user):
    """TTA staff who are not moderators open the program's lists and pages in
    the admin, and nothing else of it."""
    return STAFF_ADMIN_AREAS if permissions.is_program_staff(user) else None


@hooks.register("register_role_permissions")
def program_role_permissions():
    from connect.models import Role

    views = [f"assistance.view_{m}" for m in ("assistancerequest", "exchangevisit", "partnerorganization")]
    return {
        # Staff may enter the admin and read requests and visits there, and
        # are given nothing else of it: no pages, documents, images or people.
        ProgramRole.STAFF_GROUP: ["wagtailadmin.access_admin", *views],
        Role.ADMINISTRATOR: [
            *views,
            "assistance.add_partnerorganization",
            "assistance.change_partnerorganization",
            "assistance.view_programrole",
            "assistance.add_programrole",
            "assistance.change_programrole",
            "assistance.delete_programrole",
        ],
    }


@hooks.register("register_demo_seed", order=40)
def seed_assistance(stdout):
    from .demo import seed_assistance_demo

    seed_assistance_demo(stdout)
