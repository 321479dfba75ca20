"""Member-facing pages of the TTA program. Thin: forms in, services and
selectors out; what a member may not see is a 404."""

import csv
import io

from django.contrib import messages
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from connect.actors import Actor

from . import permissions, selectors, services
from .forms import (
    AssignForm,
    DeclineForm,
    DeliverForm,
    FeedbackForm,
    NoteForm,
    ProposeHostForm,
    ReportForm,
    RequestForm,
    RespondForm,
    ScheduleForm,
    TriageForm,
    VisitScheduleForm,
)
from .models import Feedback, Kind, Status


def _apply_error(form, exc):
    field = getattr(exc, "field", None)
    if field and field in form.fields:
        form.add_error(field, exc.message)
    else:
        form.add_error(None, exc.message)


@require_GET
def index(request):
    """The member's own task force's requests, and what they may do next."""
    user = request.user
    return render(
        request,
        "assistance/index.html",
        {
            "requests": selectors.task_force_requests(user=user),
            "visits": list(
                permissions.visible_visits(user)
                .select_related("host", "request__task_force")
                .order_by("-proposed_at")[:50]
            )
            if not permissions.is_program_staff(user)
            else [],
            "can_submit": permissions.can_submit_request(user),
            "is_staff": permissions.is_program_staff(user),
            "waiting_panel": {"context": {"coordinator": selectors.waiting_for_coordinator(user)}},
        },
    )


@require_http_methods(["GET", "POST"])
def request_create(request):
    if not permissions.can_submit_request(request.user):
        raise Http404
    form = RequestForm(request.POST or None)
    extra = {}
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            created = services.request_submit(
                actor=Actor.from_request(request),
                kind=data["kind"],
                topic=data["topic"],
                audiences=data["audiences"],
                preferred_format=data["preferred_format"],
                preferred_from=data["preferred_from"],
                preferred_until=data["preferred_until"],
                urgency=data["urgency"],
                description=data["description"],
                submission_token=data["submission_token"],
                confirm_privacy=data["confirm_privacy"],
            )
        except services.NotAllowed:
            raise Http404 from None
        except services.AssistanceError as exc:
            _apply_error(form, exc)
            if isinstance(exc, services.PrivacyCheckRequired):
                extra["privacy_findings"] = exc.findings
        else:
            if created.privacy_held:
                messages.info(request, "Your request is sent. Staff will review its description first.")
            else:
                messages.success(request, f"Your request {created.reference} is sent to program staff.")
            return redirect(created.get_absolute_url())
    status = 400 if request.method == "POST" else 200
    return render(request, "assistance/request_form.html", {"form": form, **extra}, status=status)


STAFF_FORMS = {
    "triage": TriageForm,
    "assign": AssignForm,
    "schedule": ScheduleForm,
    "deliver": DeliverForm,
    "decline": DeclineForm,
    "note": NoteForm,
    "propose-host": ProposeHostForm,
}


def request_context(request, tta, forms=None):
    user = request.user
    staff = permissions.can_triage(user, tta)
    forms = forms or {}
    context = {
        "tta": tta,
        "history": selectors.request_history(tta, staff=permissions.is_program_staff(user)),
        "visits": selectors.request_visits(user=user, request=tta),
        "can_read_description": permissions.can_read_description(user, tta),
        "is_staff": permissions.is_program_staff(user),
        "can_manage": staff,
        "can_give_feedback": permissions.can_give_feedback(user, tta),
        "feedback": Feedback.objects.filter(request=tta).first(),
        "Status": Status,
    }
    if permissions.can_see_internal_notes(user, tta):
        context["notes"] = selectors.request_notes(tta)
        context["note_form"] = forms.get("note") or NoteForm()
    if staff:
        allowed = {
            Status.RECEIVED: ["triage", "decline"],
            Status.TRIAGED: ["assign", "decline"],
            Status.ASSIGNED: ["assign", "schedule", "decline"],
            Status.SCHEDULED: ["assign", "schedule", "deliver", "decline"],
        }.get(tta.status, [])
        if tta.kind == Kind.PEER_EXCHANGE and tta.status in (
            Status.TRIAGED,
            Status.ASSIGNED,
            Status.SCHEDULED,
        ):
            allowed.append("propose-host")
            context["suggestions"] = selectors.host_suggestions(tta)
        context["actions"] = {name: forms.get(name) or STAFF_FORMS[name]() for name in allowed}
        context["can_close"] = tta.status == Status.DELIVERED
    if context["can_give_feedback"] and context["feedback"] is None:
        context["feedback_form"] = forms.get("feedback") or FeedbackForm()
    return context


@require_GET
def request_detail(request, pk):
    tta = selectors.request_for(user=request.user, pk=pk)
    return render(request, "assistance/request_detail.html", request_context(request, tta))


def request_action_perform(request, tta, action):
    """Run one action on ``tta`` by its name, for the member page and the
    admin alike: the same forms, permissions and services.

    Returns ``(done, form)``: done when it was saved (a success message is
    queued); otherwise the form with its errors, or None when the refusal is
    already queued as a message. Raises Http404 for an action the member may
    not take."""
    actor = Actor.from_request(request)
    if action in ("close", "release"):
        call, success = {
            "close": (lambda: services.request_close(actor=actor, request=tta), "The request is closed."),
            "release": (
                lambda: services.request_privacy_review(actor=actor, request=tta),
                "The description is reviewed and shown to the task force.",
            ),
        }[action]
        return _run(request, call, success), None
    form_class = FeedbackForm if action == "feedback" else STAFF_FORMS.get(action)
    if form_class is None:
        raise Http404
    if action == "feedback" and not permissions.can_give_feedback(request.user, tta):
        raise Http404
    if action not in ("feedback", "note") and not permissions.can_triage(request.user, tta):
        raise Http404
    if action == "note" and not permissions.can_see_internal_notes(request.user, tta):
        raise Http404
    form = form_class(request.POST)
    if not form.is_valid():
        return False, form
    data = form.cleaned_data
    calls = {
        "triage": lambda: services.request_triage(
            actor=actor, request=tta, priority=data["priority"], due_on=data["due_on"]
        ),
        "assign": lambda: services.request_assign(
            actor=actor, request=tta, partner=data["partner"], assignee=data["assignee"]
        ),
        "schedule": lambda: services.request_schedule(
            actor=actor, request=tta, scheduled_on=data["scheduled_on"]
        ),
        "deliver": lambda: services.request_deliver(
            actor=actor,
            request=tta,
            delivered_on=data["delivered_on"],
            delivery_format=data["delivery_format"],
            attendees=form.attendees(),
            page=data["page"],
        ),
        "decline": lambda: services.request_decline(actor=actor, request=tta, reason=data["reason"]),
        "note": lambda: services.request_note_add(actor=actor, request=tta, body=data["body"]),
        "feedback": lambda: services.request_feedback_submit(
            actor=actor, request=tta, useful=data["useful"], what_next=data["what_next"]
        ),
        "propose-host": lambda: services.visit_propose(
            actor=actor, request=tta, host=data["host"], focus=data["focus"]
        ),
    }
    try:
        calls[action]()
    except services.NotAllowed:
        raise Http404 from None
    except services.AssistanceError as exc:
        _apply_error(form, exc)
        return False, form
    messages.success(request, "Saved.")
    return True, form


@require_POST
def request_action(request, pk, action):
    """One staff action, the feedback form or the privacy release, by name."""
    tta = selectors.request_for(user=request.user, pk=pk)
    done, form = request_action_perform(request, tta, action)
    if done or form is None:
        return redirect(tta.get_absolute_url())
    tta = selectors.request_for(user=request.user, pk=pk)
    context = request_context(request, tta, forms={action: form})
    context["failed_action"] = action
    context["failed_errors"] = form.non_field_errors()
    return render(request, "assistance/request_detail.html", context, status=400)


def _run(request, call, success):
    try:
        call()
    except services.NotAllowed:
        raise Http404 from None
    except services.AssistanceError as exc:
        messages.error(request, exc.message)
        return False
    messages.success(request, success)
    return True


@require_GET
def queue(request):
    if not permissions.is_program_staff(request.user):
        raise Http404
    return render(
        request, "assistance/queue.html", selectors.request_queue(user=request.user, params=request.GET)
    )


# --- Visits -----------------------------------------------------------------------------


VISIT_FORMS = {"respond": RespondForm, "schedule": VisitScheduleForm, "report": ReportForm}


def visit_context(request, visit, forms=None):
    user = request.user
    forms = forms or {}
    manage = permissions.can_manage_visit(user, visit)
    side = permissions.report_side(user, visit)
    reports = list(visit.reports.all())
    context = {
        "visit": visit,
        "reports": reports,
        "can_manage": manage,
        "can_respond": permissions.can_respond_to_visit(user, visit),
        "report_side": side,
        "has_reported": any(r.side == side for r in reports),
        "spotlight_editable": permissions.can_edit_spotlight_draft(user, visit.spotlight_page),
    }
    if context["can_respond"]:
        context["respond_form"] = forms.get("respond") or RespondForm()
    if manage and visit.status in ("accepted", "scheduled"):
        context["schedule_form"] = forms.get("schedule") or VisitScheduleForm(
            initial={
                "starts_on": visit.starts_on,
                "ends_on": visit.ends_on,
                "place": visit.place,
                "travellers": visit.travellers,
            }
        )
    if side and visit.status == "scheduled" and not context["has_reported"]:
        context["report_form"] = forms.get("report") or ReportForm()
    return context


@require_GET
def visit_detail(request, pk):
    visit = selectors.visit_for(user=request.user, pk=pk)
    return render(request, "assistance/visit_detail.html", visit_context(request, visit))


def visit_action_perform(request, visit, action):
    """Run one action on ``visit`` by its name, for the member page and the
    admin alike. Returns ``(done, form, page)`` as `request_action_perform`
    does, with the spotlight draft's page when one was made."""
    actor = Actor.from_request(request)
    if action == "close":
        return (
            _run(request, lambda: services.visit_close(actor=actor, visit=visit), "The visit is closed."),
            None,
            None,
        )
    if action == "spotlight":
        try:
            page = services.visit_spotlight_draft(actor=actor, visit=visit)
        except services.NotAllowed:
            raise Http404 from None
        except services.AssistanceError as exc:
            messages.error(request, exc.message)
            return False, None, None
        messages.success(request, "A spotlight draft is ready in the admin.")
        return True, None, page
    form_class = VISIT_FORMS.get(action)
    if form_class is None:
        raise Http404
    form = form_class(request.POST, request.FILES)
    if not form.is_valid():
        return False, form, None
    data = form.cleaned_data
    calls = {
        "respond": lambda: services.visit_respond(
            actor=actor, visit=visit, accept=data["decision"] == "accept", reason=data["reason"]
        ),
        "schedule": lambda: services.visit_schedule(
            actor=actor,
            visit=visit,
            starts_on=data["starts_on"],
            ends_on=data["ends_on"],
            place=data["place"],
            travellers=data["travellers"],
            agenda_file=data["agenda"],
        ),
        "report": lambda: services.visit_report_file(
            actor=actor,
            visit=visit,
            learned=data["learned"],
            will_adopt=data["will_adopt"],
            follow_up=data["follow_up"],
        ),
    }
    try:
        calls[action]()
    except services.NotAllowed:
        raise Http404 from None
    except services.AssistanceError as exc:
        _apply_error(form, exc)
        return False, form, None
    messages.success(request, "Saved.")
    return True, form, None


@require_POST
def visit_action(request, pk, action):
    visit = selectors.visit_for(user=request.user, pk=pk)
    done, form, page = visit_action_perform(request, visit, action)
    if page is not None and permissions.can_edit_spotlight_draft(request.user, page):
        return redirect("wagtailadmin_pages:edit", page.pk)
    if done or form is None:
        return redirect(visit.get_absolute_url())
    visit = selectors.visit_for(user=request.user, pk=pk)
    return render(
        request,
        "assistance/visit_detail.html",
        visit_context(request, visit, forms={action: form}),
        status=400,
    )


@require_GET
def visit_agenda(request, pk):
    """The agenda document, to the two task forces and staff only."""
    visit = selectors.visit_for(user=request.user, pk=pk)
    if visit.agenda is None:
        raise Http404
    document = visit.agenda
    response = FileResponse(document.file.open("rb"), as_attachment=True, filename=document.filename)
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- Program report --------------------------------------------------------------------


@require_GET
def report(request):
    if not permissions.is_program_staff(request.user):
        raise Http404
    data = selectors.program_report(params=request.GET)
    return render(request, "assistance/report.html", data)


@require_GET
def report_export(request, fmt):
    if not permissions.is_program_staff(request.user) or fmt not in ("csv", "xlsx"):
        raise Http404
    rows = list(selectors.export_rows(selectors.program_report(params=request.GET)))
    if fmt == "csv":
        buffer = io.StringIO()
        csv.writer(buffer).writerows([[_cell(v) for v in row] for row in rows])
        response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="tta-program-report.csv"'
        return response
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Program report")
    for row in rows:
        sheet.append([_cell(v) for v in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = HttpResponse(
        buffer.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = 'attachment; filename="tta-program-report.xlsx"'
    return response


def _cell(value):
    # A spreadsheet runs a cell that starts with = + - @ as a formula; group
    # names are typed by people, so they are written as text.
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value
