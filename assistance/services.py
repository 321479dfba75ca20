"""Every write of the TTA program: requests, their triage and delivery,
feedback, peer exchange visits and program roles.

Each service takes an ``actor`` (a `connect.actors.Actor`, or a user for
callers that have no request), checks the rule in `permissions.py`, refuses a
change from the wrong state with a message and changes nothing, and writes
inside one transaction: the change, its history rows, the requester's
notification and email (durable tasks in the same transaction, so a rolled
back change tells nobody). Emails carry the request's number, kind and status
and a link, never what anyone wrote.
"""

from __future__ import annotations

import datetime

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify

from connect import privacy
from connect.actors import Actor, ServiceError
from connect.audit import audit_record
from connect.files import check_file
from connect.mail import absolute_url, mail_compose, mail_deliver
from connect.models import Discipline
from connect.permissions import is_administrator
from notifications.services import notify_on_commit

from . import conf, permissions
from .models import (
    OPEN_STATUSES,
    AssistanceRequest,
    ExchangeVisit,
    Feedback,
    Format,
    InternalNote,
    Kind,
    PartnerOrganization,
    Priority,
    ProgramRole,
    RequestChange,
    Status,
    Urgency,
    VisitReport,
    VisitStatus,
)

MAX_DESCRIPTION = 5000
MAX_NOTE = 5000
MAX_REPORT = 3000
MAX_REASON = 2000

KIND_REQUEST_UPDATED = "assistance_request_updated"
KIND_REQUEST_RECEIVED = "assistance_request_received"
KIND_VISIT_UPDATED = "assistance_visit_updated"


class AssistanceError(ServiceError):
    """A refusal; ``field`` names the form field it is about, when there is one."""

    default_code = "assistance_refused"

    def __init__(self, message="", *, code=None, field=None):
        super().__init__(message, code=code)
        self.field = field


class NotAllowed(AssistanceError):
    """The member may not do this (views answer 404: they may not even know it exists)."""

    default_code = "not_allowed"


class PrivacyCheckRequired(AssistanceError):
    default_code = "privacy_check_required"

    def __init__(self, findings):
        super().__init__(
            "The description may identify a victim. Edit it, or confirm and send it for staff review.",
            field="description",
        )
        self.findings = findings


def _origin(actor):
    return actor if isinstance(actor, Actor) else Actor.system(user=actor, via="web")


def _label(choices, value):
    return str(dict(choices.choices).get(value, value or "—"))


# --- Requests --------------------------------------------------------------------------


def description_findings(text, *, author):
    """What the privacy guard finds; the author's own name and members' work addresses are fine."""
    User = get_user_model()
    known = {}

    def allowed_email(address):
        key = address.casefold()
        if key not in known:
            known[key] = (
                len(known) < 20 and User.objects.filter(email__iexact=address, is_active=True).exists()
            )
        return known[key]

    return privacy.summarize(
        privacy.scan(text, allowed_emails=allowed_email, allowed_names=[author.get_full_name()])
    )


def _clean_choice(value, choices, field, message):
    if value not in choices.values:
        raise AssistanceError(message, field=field)
    return value


def _clean_dates(start, end, field="preferred_until"):
    if start and end and end < start:
        raise AssistanceError("The last date comes before the first: check the dates.", field=field)


def _existing(user, token):
    if not token:
        return None
    return AssistanceRequest.objects.filter(requester=user, submission_token=token).first()


def request_submit(
    *,
    actor,
    kind,
    description,
    topic=None,
    audiences=(),
    preferred_format=Format.EITHER,
    preferred_from=None,
    preferred_until=None,
    urgency=Urgency.NORMAL,
    submission_token="",
    confirm_privacy=False,
):
    """A member asks the program for help for their own task force.

    A repeated ``submission_token`` (a double click, a resent form) returns
    the first request and creates nothing. A description in which the privacy
    guard finds something is refused until the member confirms; it is then
    held for staff review (the rest of the task force does not read it yet)."""
    origin = _origin(actor)
    user = origin.user
    if not permissions.can_submit_request(user):
        raise NotAllowed("Only your task force's coordinator can ask for assistance.")
    existing = _existing(user, submission_token)
    if existing is not None:
        return existing
    _clean_choice(kind, Kind, "kind", "Choose what kind of help you need.")
    _clean_choice(preferred_format, Format, "preferred_format", "Choose a format.")
    try:
        urgency = int(urgency)
    except (TypeError, ValueError):
        urgency = None
    _clean_choice(urgency, Urgency, "urgency", "Choose how soon you need it.")
    audiences = list(dict.fromkeys(audiences or ()))
    if any(a not in Discipline.values for a in audiences):
        raise AssistanceError("Choose the audiences from the list.", field="audiences")
    _clean_dates(preferred_from, preferred_until)
    description = (description or "").strip()
    if not description:
        raise AssistanceError("Describe what you need: the description is empty.", field="description")
    if len(description) > MAX_DESCRIPTION:
        raise AssistanceError(
            f"The description is too long: the limit is {MAX_DESCRIPTION:,} characters.", field="description"
        )
    findings = description_findings(description, author=user)
    if findings and not confirm_privacy:
        raise PrivacyCheckRequired(findings)
    try:
        with transaction.atomic():
            request = AssistanceRequest.objects.create(
                task_force_id=user.profile.task_force_id,
                requester=user,
                kind=kind,
                topic=topic,
                audiences=audiences,
                preferred_format=preferred_format,
                preferred_from=preferred_from,
                preferred_until=preferred_until,
                urgency=urgency,
                description=description,
                privacy_findings=findings,
                privacy_held=bool(findings),
                submission_token=submission_token or "",
            )
            RequestChange.objects.create(
                request=request, actor=user, field="status", new=Status.RECEIVED.label
            )
            staff_ids = list(
                ProgramRole.objects.filter(kind=ProgramRole.Kind.STAFF).values_list("user_id", flat=True)
            )
            notify_on_commit(
                recipient_ids=[pk for pk in staff_ids if pk != user.pk],
                kind=KIND_REQUEST_RECEIVED,
                actor_id=user.pk,
                target=request,
            )
    except IntegrityError:
        existing = _existing(user, submission_token)
        if existing is None:
            raise
        return existing
    return request


def _lock(request):
    return (
        AssistanceRequest.objects.select_for_update(of=("self",))
        .select_related("requester")
        .get(pk=request.pk)
    )


def _require_status(request, allowed, doing):
    if request.status not in allowed:
        wanted = " or ".join(_label(Status, s).lower() for s in allowed)
        raise AssistanceError(
            f"This request is {request.get_status_display().lower()}: it can only be {doing} "
            f"when it is {wanted}. Nothing was changed.",
            code="wrong_state",
        )


def _display(request, field):
    value = getattr(request, field)
    if field == "status":
        return _label(Status, value)
    if field == "priority":
        return _label(Priority, value)
    if field == "partner_id":
        return str(PartnerOrganization.objects.filter(pk=value).first() or "—") if value else "—"
    if field == "assignee_id":
        user = get_user_model().objects.filter(pk=value).select_related("profile").first() if value else None
        return user.display_name if user else "—"
    if field == "delivered_page_id":
        return f"page {value}" if value else "—"
    return str(value) if value not in (None, "") else "—"


FIELD_NAMES = {"partner_id": "partner", "assignee_id": "assignee", "delivered_page_id": "delivered_page"}


def _apply(request, user, changes, *, tell=True):
    """Set ``changes`` on the locked ``request``, record each difference and,
    when the status moved, tell the requester in-app and by email."""
    before = {field: _display(request, field) for field in changes}
    old_status = request.status
    for field, value in changes.items():
        setattr(request, field, value)
    request.save()
    rows = [
        RequestChange(
            request=request,
            actor=user,
            field=FIELD_NAMES.get(field, field),
            old=before[field][:255],
            new=_display(request, field)[:255],
        )
        for field in changes
        if before[field] != _display(request, field)
    ]
    RequestChange.objects.bulk_create(rows)
    if tell and request.status != old_status and request.requester_id:
        _tell_requester(request, user)
    return request


def _tell_requester(request, user):
    notify_on_commit(
        recipient_ids=[request.requester_id],
        kind=KIND_REQUEST_UPDATED,
        actor_id=user.pk if user else None,
        target=request,
        message=f"Status: {request.get_status_display()}",
    )
    requester = request.requester
    if requester is None or not requester.is_active:
        return
    mail_deliver(
        mail_compose(
            to=requester.email,
            template="assistance_request_update",
            context={
                "reference": request.reference,
                "kind": request.get_kind_display(),
                "status": request.get_status_display(),
                "url": absolute_url(request.get_absolute_url()),
            },
        ),
        key=f"assistance:request:{request.pk}:{request.status}",
    )


def _staff_only(user, request):
    if not permissions.can_view_request(user, request):
        raise NotAllowed
    if not permissions.can_triage(user, request):
        raise AssistanceError(
            "Only program staff of the partner this request is assigned to can change it.", code="not_staff"
        )


def request_triage(*, actor, request, priority=Priority.NORMAL, due_on=None):
    """Staff have read the request: it is triaged, with a priority and a due date."""
    user = _origin(actor).user
    with transaction.atomic():
        request = _lock(request)
        _staff_only(user, request)
        _require_status(request, [Status.RECEIVED], "triaged")
        try:
            priority = int(priority)
        except (TypeError, ValueError):
            priority = None
        _clean_choice(priority, Priority, "priority", "Choose a priority.")
        return _apply(
            request,
            user,
            {"status": Status.TRIAGED, "priority": priority, "due_on": due_on, "triaged_at": timezone.now()},
        )


def request_assign(*, actor, request, partner, assignee):
    """Give the request to a partner organisation and one of its staff. A
    request already assigned or scheduled can be reassigned (its status stays)."""
    user = _origin(actor).user
    with transaction.atomic():
        request = _lock(request)
        _staff_only(user, request)
        _require_status(request, [Status.TRIAGED, Status.ASSIGNED, Status.SCHEDULED], "assigned")
        if partner is None:
            raise AssistanceError("Choose the partner organization.", field="partner")
        if (
            assignee is None
            or not ProgramRole.objects.filter(
                user=assignee, kind=ProgramRole.Kind.STAFF, partner=partner
            ).exists()
        ):
            raise AssistanceError(
                "Choose a staff member of that partner organization.", field="assignee", code="wrong_assignee"
            )
        status = Status.ASSIGNED if request.status == Status.TRIAGED else request.status
        return _apply(request, user, {"status": status, "partner_id": partner.pk, "assignee_id": assignee.pk})


def request_schedule(*, actor, request, scheduled_on):
    """The delivery has a date."""
    user = _origin(actor).user
    with transaction.atomic():
        request = _lock(request)
        _staff_only(user, request)
        _require_status(request, [Status.ASSIGNED, Status.SCHEDULED], "scheduled")
        if scheduled_on is None:
            raise AssistanceError("Give the date of the delivery.", field="scheduled_on")
        return _apply(request, user, {"status": Status.SCHEDULED, "scheduled_on": scheduled_on})


def _clean_attendees(attendees):
    cleaned = {}
    for key, value in (attendees or {}).items():
        if key not in Discipline.values:
            raise AssistanceError("Count attendees by the listed disciplines.", field="attendees")
        try:
            number = int(value or 0)
        except (TypeError, ValueError):
            raise AssistanceError("Attendee counts are whole numbers.", field="attendees") from None
        if number < 0 or number > 100000:
            raise AssistanceError("Attendee counts are between 0 and 100,000.", field="attendees")
        if number:
            cleaned[key] = number
    return cleaned


def delivery_page_allowed(page):
    models = conf.delivery_page_models()
    return page is not None and any(isinstance(page.specific, m) for m in models)


def request_deliver(*, actor, request, delivered_on, delivery_format, attendees=None, page=None):
    """Record what was delivered: when, how, to how many of each discipline,
    and the event or resource page it produced."""
    user = _origin(actor).user
    with transaction.atomic():
        request = _lock(request)
        _staff_only(user, request)
        _require_status(request, [Status.SCHEDULED], "marked delivered")
        if delivered_on is None:
            raise AssistanceError("Give the date it was delivered.", field="delivered_on")
        if delivered_on > timezone.localdate():
            raise AssistanceError("A delivery date cannot be in the future.", field="delivered_on")
        _clean_choice(delivery_format, Format, "delivery_format", "Choose how it was delivered.")
        if page is not None and not delivery_page_allowed(page):
            raise AssistanceError("Link an event or a resource page.", field="page")
        return _apply(
            request,
            user,
            {
                "status": Status.DELIVERED,
                "delivered_on": delivered_on,
                "delivery_format": delivery_format,
                "attendees": _clean_attendees(attendees),
                "delivered_page_id": page.pk if page is not None else None,
                "delivered_at": timezone.now(),
            },
        )


def request_close(*, actor, request):
    user = _origin(actor).user
    with transaction.atomic():
        request = _lock(request)
        _staff_only(user, request)
        _require_status(request, [Status.DELIVERED], "closed")
        return _apply(request, user, {"status": Status.CLOSED, "closed_at": timezone.now()})


def request_decline(*, actor, request, reason):
    """Staff cannot take this request on; the task force is told why."""
    user = _origin(actor).user
    with transaction.atomic():
        request = _lock(request)
        _staff_only(user, request)
        _require_status(request, OPEN_STATUSES, "declined")
        reason = (reason or "").strip()
        if not reason:
            raise AssistanceError(
                "Say why the request is declined: the task force will read it.", field="reason"
            )
        if len(reason) > MAX_REASON:
            raise AssistanceError(f"The reason is too long: the limit is {MAX_REASON:,}.", field="reason")
        return _apply(
            request, user, {"status": Status.DECLINED, "decline_reason": reason, "closed_at": timezone.now()}
        )


def request_privacy_review(*, actor, request):
    """Staff read a flagged description and release it to the task force."""
    user = _origin(actor).user
    with transaction.atomic():
        request = _lock(request)
        _staff_only(user, request)
        if not request.privacy_held:
            raise AssistanceError("This description is not held for review. Nothing was changed.")
        return _apply(request, user, {"privacy_held": False}, tell=False)


def request_note_add(*, actor, request, body):
    """A note between staff, never shown to the task force."""
    user = _origin(actor).user
    if not permissions.can_view_request(user, request):
        raise NotAllowed
    if not permissions.can_see_internal_notes(user, request):
        raise NotAllowed
    body = (body or "").strip()
    if not body:
        raise AssistanceError("The note is empty.", field="body")
    if len(body) > MAX_NOTE:
        raise AssistanceError(f"The note is too long: the limit is {MAX_NOTE:,} characters.", field="body")
    return InternalNote.objects.create(request=request, author=user, body=body)


def request_feedback_submit(*, actor, request, useful, what_next=""):
    """The task force says how useful a delivery was (1–5) and what it needs next. Once."""
    user = _origin(actor).user
    if not permissions.can_view_request(user, request):
        raise NotAllowed
    with transaction.atomic():
        request = _lock(request)
        if not permissions.can_give_feedback(user, request):
            raise AssistanceError(
                "Feedback can be given by the requester or the coordinator once the help was delivered.",
                code="wrong_state",
            )
        try:
            useful = int(useful)
        except (TypeError, ValueError):
            useful = 0
        if not 1 <= useful <= 5:
            raise AssistanceError("Choose how useful it was, from 1 to 5.", field="useful")
        what_next = (what_next or "").strip()
        if len(what_next) > 2000:
            raise AssistanceError("The answer is too long: the limit is 2,000 characters.", field="what_next")
        if Feedback.objects.filter(request=request).exists():
            raise AssistanceError("Feedback on this request was already given. Thank you!", code="duplicate")
        feedback = Feedback.objects.create(request=request, author=user, useful=useful, what_next=what_next)
        RequestChange.objects.create(request=request, actor=user, field="feedback", new=f"{useful}/5")
        return feedback


# --- Peer exchange visits -----------------------------------------------------------


def _lock_visit(visit):
    return (
        ExchangeVisit.objects.select_for_update(of=("self",))
        .select_related("request", "host")
        .get(pk=visit.pk)
    )


def _require_visit_status(visit, allowed, doing):
    if visit.status not in allowed:
        wanted = " or ".join(_label(VisitStatus, s).lower() for s in allowed)
        raise AssistanceError(
            f"This visit is {visit.get_status_display().lower()}: it can only be {doing} when it is "
            f"{wanted}. Nothing was changed.",
            code="wrong_state",
        )


def _speakers(task_force_id):
    """Who is told about a task force's visits: its coordinator, or nobody yet."""
    return list(
        ProgramRole.objects.filter(
            kind=ProgramRole.Kind.COORDINATOR, task_force_id=task_force_id
        ).values_list("user_id", flat=True)
    )


def _tell_about_visit(visit, user, recipient_ids, *, template, key):
    recipient_ids = [pk for pk in dict.fromkeys(recipient_ids) if pk and pk != getattr(user, "pk", None)]
    if not recipient_ids:
        return
    notify_on_commit(
        recipient_ids=recipient_ids,
        kind=KIND_VISIT_UPDATED,
        actor_id=user.pk if user else None,
        target=visit,
        message=f"Visit: {visit.get_status_display()}",
    )
    for recipient in get_user_model().objects.filter(pk__in=recipient_ids, is_active=True):
        mail_deliver(
            mail_compose(
                to=recipient.email,
                template=template,
                context={
                    "reference": f"#{visit.pk}",
                    "status": visit.get_status_display(),
                    "url": absolute_url(visit.get_absolute_url()),
                },
            ),
            key=f"assistance:visit:{visit.pk}:{key}:{recipient.pk}",
        )


def visit_propose(*, actor, request, host, focus):
    """Staff propose ``host`` to receive the task force that asked for a peer exchange visit."""
    user = _origin(actor).user
    with transaction.atomic():
        request = _lock(request)
        _staff_only(user, request)
        if request.kind != Kind.PEER_EXCHANGE:
            raise AssistanceError(
                "Only a peer exchange request can have host task forces.", code="wrong_kind"
            )
        _require_status(request, [Status.TRIAGED, Status.ASSIGNED, Status.SCHEDULED], "given a host")
        if host is None or not host.is_active:
            raise AssistanceError("Choose an active task force as host.", field="host")
        if host.pk == request.task_force_id:
            raise AssistanceError("A task force cannot host its own visit.", field="host")
        focus = " ".join((focus or "").split())
        if not focus:
            raise AssistanceError("Say in a line what the visitors will learn from this host.", field="focus")
        if len(focus) > 300:
            raise AssistanceError("Keep the focus to 300 characters.", field="focus")
        if request.visits.filter(host=host).exclude(status=VisitStatus.DECLINED).exists():
            raise AssistanceError("This task force is already proposed for this request.", field="host")
        visit = ExchangeVisit.objects.create(request=request, host=host, focus=focus, proposed_by=user)
        RequestChange.objects.create(request=request, actor=user, field="host proposed", new=host.name[:255])
        _tell_about_visit(
            visit, user, _speakers(host.pk), template="assistance_visit_proposed", key="proposed"
        )
        return visit


def visit_respond(*, actor, visit, accept, reason=""):
    """The host's coordinator accepts or declines hosting."""
    user = _origin(actor).user
    with transaction.atomic():
        visit = _lock_visit(visit)
        if not permissions.can_view_visit(user, visit):
            raise NotAllowed
        _require_visit_status(visit, [VisitStatus.PROPOSED], "accepted or declined")
        if not permissions.can_respond_to_visit(user, visit):
            raise AssistanceError("Only the host task force's coordinator can answer.", code="not_host")
        reason = (reason or "").strip()
        if not accept and not reason:
            raise AssistanceError("Say why you decline, so staff can find another host.", field="reason")
        visit.status = VisitStatus.ACCEPTED if accept else VisitStatus.DECLINED
        visit.decline_reason = "" if accept else reason[:MAX_REASON]
        visit.responded_by = user
        visit.responded_at = timezone.now()
        visit.save()
        RequestChange.objects.create(
            request=visit.request,
            actor=user,
            field="host answer",
            old=visit.host.name[:200],
            new=visit.get_status_display(),
        )
        staff = [visit.proposed_by_id, visit.request.assignee_id]
        _tell_about_visit(visit, user, staff, template="assistance_visit_update", key=visit.status)
        return visit


AGENDA_EXTENSIONS = ("pdf", "docx", "txt")
MAX_AGENDA_BYTES = 10 * 1024 * 1024
AGENDA_COLLECTION = "Peer exchange agendas"


def _agenda_document(upload, *, visit, user):
    """The uploaded agenda as a Wagtail document of its own, in a collection
    for agendas. It is linked from no page, so the document server gives it to
    moderators only; the two task forces and staff read it through the visit.
    (An agenda is uploaded, never chosen from the library, so a visit cannot
    hand out a document its readers may not see.)"""
    from wagtail.documents import get_document_model
    from wagtail.models import Collection

    extension = upload.name.rsplit(".", 1)[-1].lower() if "." in upload.name else ""
    if extension not in AGENDA_EXTENSIONS:
        raise AssistanceError("The agenda must be a PDF, Word or text file.", field="agenda")
    if upload.size > MAX_AGENDA_BYTES:
        raise AssistanceError("The agenda can be at most 10 MB.", field="agenda")
    try:
        # The site's one rule for files: the content must match the name.
        check_file(
            upload,
            max_size=MAX_AGENDA_BYTES,
            verb="used as an agenda",
            instead="Upload",
            too_large_hint="Share a smaller agenda.",
        )
    except ValidationError as exc:
        raise AssistanceError(exc.messages[0], field="agenda") from exc
    root = Collection.get_first_root_node()
    collection = root.get_children().filter(name=AGENDA_COLLECTION).first() or root.add_child(
        name=AGENDA_COLLECTION
    )
    document = get_document_model()(
        title=f"Agenda, peer exchange visit #{visit.pk}", collection=collection, uploaded_by_user=user
    )
    document.file.save(f"visit-{visit.pk}-agenda.{extension}", upload, save=False)
    document.save()
    return document


def visit_schedule(*, actor, visit, starts_on, ends_on, place, travellers="", agenda_file=None):
    """Dates, place, who travels and the agenda (an uploaded file). A
    scheduled visit can be rescheduled; a new agenda replaces the old one."""
    user = _origin(actor).user
    with transaction.atomic():
        visit = _lock_visit(visit)
        if not permissions.can_view_visit(user, visit):
            raise NotAllowed
        if not permissions.can_manage_visit(user, visit):
            raise AssistanceError("Only program staff can schedule a visit.", code="not_staff")
        _require_visit_status(visit, [VisitStatus.ACCEPTED, VisitStatus.SCHEDULED], "scheduled")
        if starts_on is None or ends_on is None:
            raise AssistanceError("Give the first and last day of the visit.", field="starts_on")
        _clean_dates(starts_on, ends_on, field="ends_on")
        place = " ".join((place or "").split())
        if not place:
            raise AssistanceError("Say where the visit takes place.", field="place")
        visit.status = VisitStatus.SCHEDULED
        visit.starts_on, visit.ends_on, visit.place = starts_on, ends_on, place[:200]
        visit.travellers = (travellers or "").strip()[:2000]
        if agenda_file is not None:
            visit.agenda = _agenda_document(agenda_file, visit=visit, user=user)
        visit.save()
        request = _lock(visit.request)
        if request.status == Status.ASSIGNED:
            _apply(request, user, {"status": Status.SCHEDULED, "scheduled_on": starts_on})
        recipients = [*_speakers(visit.host_id), *_speakers(request.task_force_id)]
        _tell_about_visit(
            visit, user, recipients, template="assistance_visit_update", key=f"scheduled:{starts_on}"
        )
        return visit


def visit_report_file(*, actor, visit, learned, will_adopt="", follow_up=""):
    """One side's report after the visit; each side files one."""
    user = _origin(actor).user
    with transaction.atomic():
        visit = _lock_visit(visit)
        if not permissions.can_view_visit(user, visit):
            raise NotAllowed
        _require_visit_status(visit, [VisitStatus.SCHEDULED], "reported on")
        side = permissions.report_side(user, visit)
        if side is None:
            raise AssistanceError(
                "Only the coordinators of the two task forces file reports.", code="not_side"
            )
        if visit.starts_on and visit.starts_on > timezone.localdate():
            raise AssistanceError("Reports are filed once the visit has begun.", code="too_early")
        learned = (learned or "").strip()
        if not learned:
            raise AssistanceError("Say what was learned.", field="learned")
        texts = {
            "learned": learned,
            "will_adopt": (will_adopt or "").strip(),
            "follow_up": (follow_up or "").strip(),
        }
        for field, text in texts.items():
            if len(text) > MAX_REPORT:
                raise AssistanceError(f"Keep each answer to {MAX_REPORT:,} characters.", field=field)
        if visit.reports.filter(side=side).exists():
            raise AssistanceError(
                "Your task force's report on this visit is already filed.", code="duplicate"
            )
        report = VisitReport.objects.create(visit=visit, side=side, author=user, **texts)
        RequestChange.objects.create(
            request=visit.request, actor=user, field="visit report", new=report.get_side_display()
        )
        return report


def visit_close(*, actor, visit):
    """Both reports are in: the visit counts as completed; its request is delivered."""
    user = _origin(actor).user
    with transaction.atomic():
        visit = _lock_visit(visit)
        if not permissions.can_view_visit(user, visit):
            raise NotAllowed
        if not permissions.can_manage_visit(user, visit):
            raise AssistanceError("Only program staff can close a visit.", code="not_staff")
        _require_visit_status(visit, [VisitStatus.SCHEDULED], "closed")
        if visit.reports.count() < 2:
            raise AssistanceError(
                "Both task forces file their report before the visit is closed. Nothing was changed.",
                code="reports_missing",
            )
        visit.status = VisitStatus.CLOSED
        visit.closed_at = timezone.now()
        visit.save()
        request = _lock(visit.request)
        if request.status == Status.SCHEDULED:
            _apply(
                request,
                user,
                {
                    "status": Status.DELIVERED,
                    "delivered_on": visit.ends_on or timezone.localdate(),
                    "delivery_format": Format.IN_PERSON,
                    "delivered_at": timezone.now(),
                },
            )
        return visit


def visit_spotlight_draft(*, actor, visit):
    """A draft spotlight on the host, linked from the visit and in the
    Wagtail workflow. The spotlight page type is looked up by name
    (``assistance.conf``). A second click opens the same draft."""
    user = _origin(actor).user
    page_model = conf.model(conf.SPOTLIGHT_PAGE_MODEL)
    index_model = conf.model(conf.SPOTLIGHT_INDEX_MODEL)
    with transaction.atomic():
        visit = _lock_visit(visit)
        if not permissions.can_view_visit(user, visit):
            raise NotAllowed
        if not permissions.can_manage_visit(user, visit):
            raise AssistanceError("Only program staff can start a spotlight.", code="not_staff")
        _require_visit_status(visit, [VisitStatus.SCHEDULED, VisitStatus.CLOSED], "turned into a spotlight")
        if visit.spotlight_page_id:
            return visit.spotlight_page
        index = index_model.objects.first() if index_model is not None else None
        if page_model is None or index is None:
            raise AssistanceError("There is no spotlight section to add a draft to.", code="no_spotlights")
        today = timezone.localdate()
        week = today - datetime.timedelta(days=today.weekday()) + datetime.timedelta(days=14)
        title = f"{visit.host.name}: what peers came to learn"[:255]
        page = page_model(
            title=title,
            slug=slugify(f"peer-exchange-{visit.pk}-{visit.host.slug}")[:80],
            week=week,
            task_force=visit.host,
            summary=visit.focus,
            live=False,
            owner=user,
        )
        index.add_child(instance=page)
        page.save_revision(user=user, log_action=True)
        workflow = page.get_workflow()
        if workflow is not None:
            workflow.start(page, user)
        visit.spotlight_page = page
        visit.save(update_fields=["spotlight_page"])
        RequestChange.objects.create(
            request=visit.request, actor=user, field="spotlight draft", new=f"page {page.pk}"
        )
        return page


# --- Program roles --------------------------------------------------------------------


def _role_instance(role, *, kind, task_force, partner):
    role.kind = kind
    role.task_force = task_force if kind == ProgramRole.Kind.COORDINATOR else None
    role.partner = partner if kind == ProgramRole.Kind.STAFF else None
    try:
        role.full_clean(validate_constraints=False)
    except ValidationError as exc:
        message = " ".join(m for messages in exc.message_dict.values() for m in messages)
        raise AssistanceError(message, code="invalid_role") from None
    if ProgramRole.objects.filter(user_id=role.user_id, kind=kind).exclude(pk=role.pk).exists():
        raise AssistanceError(f"{role.user} already has this role.", code="invalid_role")
    return role


def staff_group_sync(user):
    """Put ``user`` in the TTA staff group exactly while they hold the staff
    role, so the Wagtail admin grants them the staff's permissions and no more."""
    from django.contrib.auth.models import Group

    group, _ = Group.objects.get_or_create(name=ProgramRole.STAFF_GROUP)
    if ProgramRole.objects.filter(user_id=user.pk, kind=ProgramRole.Kind.STAFF).exists():
        user.groups.add(group)
    else:
        user.groups.remove(group)
    permissions.forget_program_roles(user)
    # Django caches permissions on the user object.
    for attr in ("_perm_cache", "_group_perm_cache", "_user_perm_cache"):
        if hasattr(user, attr):
            delattr(user, attr)


def _role_detail(role):
    return {"kind": role.kind, "task_force": role.task_force_id, "partner": role.partner_id}


def role_grant(*, actor, user, kind, task_force=None, partner=None):
    """An administrator gives ``user`` a program role; recorded in the audit log."""
    origin = _origin(actor)
    if not is_administrator(origin.user):
        raise NotAllowed("Only administrators grant program roles.")
    role = _role_instance(
        ProgramRole(user=user, granted_by=origin.user), kind=kind, task_force=task_force, partner=partner
    )
    with transaction.atomic():
        role.save()
        staff_group_sync(user)
        audit_record(action="assistance.role_granted", origin=origin, target=user, detail=_role_detail(role))
    return role


def role_change(*, actor, role, kind, task_force=None, partner=None):
    """An administrator changes a program role (its kind, task force or
    partner); recorded in the audit log, from what to what."""
    origin = _origin(actor)
    if not is_administrator(origin.user):
        raise NotAllowed("Only administrators change program roles.")
    with transaction.atomic():
        role = ProgramRole.objects.select_for_update().select_related("user").get(pk=role.pk)
        before = _role_detail(role)
        role = _role_instance(role, kind=kind, task_force=task_force, partner=partner)
        role.save()
        staff_group_sync(role.user)
        audit_record(
            action="assistance.role_changed",
            origin=origin,
            target=role.user,
            detail={"from": before, "to": _role_detail(role)},
        )
    return role


def role_revoke(*, actor, role):
    """An administrator takes a program role away; recorded in the audit log."""
    origin = _origin(actor)
    if not is_administrator(origin.user):
        raise NotAllowed("Only administrators revoke program roles.")
    with transaction.atomic():
        user = role.user
        audit_record(action="assistance.role_revoked", origin=origin, target=user, detail=_role_detail(role))
        role.delete()
        staff_group_sync(user)
