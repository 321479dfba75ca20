"""The TTA program in the Wagtail admin, for program staff: lists of requests
and visits with filters, and each one's page with the same actions as the
member pages (the same forms, permissions and services, through
`views.request_action_perform` and `views.visit_action_perform`).

What staff see here is what `permissions.py` lets them see on the member
pages: the querysets and objects come through the same rules."""

from django.contrib import messages
from django.shortcuts import redirect
from django.urls import path, reverse
from django.views.decorators.http import require_POST
from wagtail.admin.views import generic
from wagtail.admin.viewsets.model import ModelViewSet

from . import permissions, selectors, views
from .models import AssistanceRequest, ExchangeVisit


def _queue_errors(request, form):
    """A refused action in the admin is told as messages on the page it came from."""
    if form is None:
        return
    for field, errors in form.errors.items():
        label = form.fields[field].label if field in form.fields else None
        for error in errors:
            messages.error(request, f"{label}: {error}" if label else error)


class RequestIndexView(generic.IndexView):
    def get_base_queryset(self):
        qs = super().get_base_queryset().select_related("task_force", "topic", "partner")
        return permissions.visible_requests(self.request.user, qs)


class RequestInspectView(generic.InspectView):
    template_name = "assistance/admin/request_inspect.html"

    def get_object(self, queryset=None):
        return selectors.request_for(user=self.request.user, pk=self.pk)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(views.request_context(self.request, self.object))
        context["member_url"] = self.object.get_absolute_url()
        context["action_url_name"] = "tta_requests:action"
        return context


@require_POST
def request_action(request, pk, action):
    """One action on a request from its admin page; back to that page."""
    tta = selectors.request_for(user=request.user, pk=pk)
    done, form = views.request_action_perform(request, tta, action)
    if not done:
        _queue_errors(request, form)
    return redirect("tta_requests:inspect", tta.pk)


class RequestViewSet(ModelViewSet):
    """TTA requests for staff in the admin: the list with filters, and each
    request's page with the triage actions it is ready for."""

    model = AssistanceRequest
    icon = "help"
    menu_label = "TTA requests"
    inspect_view_enabled = True
    index_view_class = RequestIndexView
    inspect_view_class = RequestInspectView
    copy_view_enabled = False
    list_display = ["__str__", "task_force", "kind", "topic", "status", "priority", "partner", "created_at"]
    list_filter = ["status", "kind", "topic", "task_force", "partner", "urgency"]
    inspect_view_fields = [
        "task_force",
        "kind",
        "topic",
        "preferred_format",
        "urgency",
        "status",
        "priority",
        "partner",
        "due_on",
        "scheduled_on",
        "delivered_on",
        "created_at",
    ]
    form_fields = []
    ordering = ["-created_at"]

    def get_urlpatterns(self):
        # No add, edit or delete: a request is asked for on the member pages
        # and changes only through its actions.
        kept = [p for p in super().get_urlpatterns() if p.name in {"index", "index_results", "inspect"}]
        return [*kept, path("<int:pk>/do/<slug:action>/", request_action, name="action")]


class VisitIndexView(generic.IndexView):
    def get_base_queryset(self):
        qs = super().get_base_queryset().select_related("host", "request__task_force", "request__partner")
        return permissions.visible_visits(self.request.user, qs)


class VisitInspectView(generic.InspectView):
    template_name = "assistance/admin/visit_inspect.html"

    def get_object(self, queryset=None):
        return selectors.visit_for(user=self.request.user, pk=self.pk)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(views.visit_context(self.request, self.object))
        context["member_url"] = self.object.get_absolute_url()
        context["request_url"] = reverse("tta_requests:inspect", args=[self.object.request_id])
        return context


@require_POST
def visit_action(request, pk, action):
    """One action on a visit from its admin page; back to that page."""
    visit = selectors.visit_for(user=request.user, pk=pk)
    done, form, page = views.visit_action_perform(request, visit, action)
    if not done:
        _queue_errors(request, form)
    if page is not None and permissions.can_edit_spotlight_draft(request.user, page):
        return redirect("wagtailadmin_pages:edit", page.pk)
    return redirect("tta_visits:inspect", visit.pk)


class VisitViewSet(ModelViewSet):
    """Peer exchange visits for staff in the admin: the list with filters,
    and each visit's page with the host's answer, the schedule, closing and
    the spotlight draft."""

    model = ExchangeVisit
    icon = "site"
    menu_label = "Peer exchange visits"
    inspect_view_enabled = True
    index_view_class = VisitIndexView
    inspect_view_class = VisitInspectView
    copy_view_enabled = False
    list_display = ["__str__", "request", "host", "status", "starts_on", "place", "proposed_at"]
    list_filter = ["status", "host", "request__task_force", "request__partner", "request__topic"]
    inspect_view_fields = ["request", "host", "status", "focus", "starts_on", "ends_on", "place", "closed_at"]
    form_fields = []
    ordering = ["-proposed_at"]

    def get_urlpatterns(self):
        kept = [p for p in super().get_urlpatterns() if p.name in {"index", "index_results", "inspect"}]
        return [*kept, path("<int:pk>/do/<slug:action>/", visit_action, name="action")]


request_viewset = RequestViewSet("tta_requests")
visit_viewset = VisitViewSet("tta_visits")

# The parts of the admin program staff who are not moderators may open (the
# partners' list is read-only to them: they hold no add or change permission).
STAFF_ADMIN_AREAS = frozenset({"tta_requests", "tta_visits", "tta_partners"})
