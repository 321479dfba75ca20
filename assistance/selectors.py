"""Reads of the TTA program: the staff queue, a request and a visit, the
panels, host suggestions and the program report. Every read starts from what
`permissions.py` lets the member see, and fetches related rows up front so the
number of queries does not grow with the page."""

from __future__ import annotations

import datetime
import statistics
from collections import defaultdict
from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.db.models import Count, F, Q
from django.http import Http404
from django.utils import timezone

from connect.models import US_STATES, Discipline, TaskForce

from . import conf, permissions
from .models import (
    OPEN_STATUSES,
    AssistanceRequest,
    ExchangeVisit,
    Kind,
    PartnerOrganization,
    Status,
    VisitStatus,
)

QUEUE_PAGE_SIZE = 50
AGES = [
    ("7", "Waiting more than a week", 7),
    ("30", "More than 30 days", 30),
    ("90", "More than 90 days", 90),
]
SORTS = [("urgency", "Most urgent first"), ("waiting", "Waiting longest first"), ("due", "Due soonest first")]


def _int(value):
    return int(value) if str(value).isdigit() else None


def request_for(*, user, pk):
    """The request, or a 404 to anyone who may not see it."""
    request = (
        permissions.visible_requests(
            user,
            AssistanceRequest.objects.select_related(
                "task_force", "topic", "partner", "assignee__profile", "requester__profile", "delivered_page"
            ),
        )
        .filter(pk=pk)
        .first()
    )
    if request is None:
        raise Http404
    return request


STAFF_ONLY_FIELDS = ("priority", "due_on", "privacy_held")


def request_history(request, *, staff):
    """Every recorded change; a task force does not see staff's own bookkeeping."""
    qs = request.changes.select_related("actor__profile")
    if not staff:
        qs = qs.exclude(field__in=STAFF_ONLY_FIELDS)
    return list(qs)


def request_notes(request):
    return list(request.notes.select_related("author__profile"))


def request_visits(*, user, request):
    return list(
        permissions.visible_visits(user, request.visits.select_related("host")).prefetch_related("reports")
    )


def task_force_requests(*, user, limit=50):
    """The member's own task force's requests, newest first."""
    profile = getattr(user, "profile", None)
    if profile is None:
        return []
    qs = permissions.visible_requests(
        user, AssistanceRequest.objects.filter(task_force_id=profile.task_force_id)
    )
    return list(qs.select_related("topic").order_by("-created_at")[:limit])


def request_queue(*, user, params):
    """The staff queue: filters by status, kind, topic, task force, partner
    and age, counts by status, sorted by urgency or waiting time, paginated."""
    base = permissions.visible_requests(user, AssistanceRequest.objects.all())
    chosen = {}
    kind = params.get("kind", "")
    if kind in Kind.values:
        base = base.filter(kind=kind)
        chosen["kind"] = kind
    topic = _int(params.get("topic", ""))
    if topic is not None:
        base = base.filter(topic_id=topic)
        chosen["topic"] = topic
    task_force = _int(params.get("task_force", ""))
    if task_force is not None:
        base = base.filter(task_force_id=task_force)
        chosen["task_force"] = task_force
    partner = params.get("partner", "")
    if partner == "none":
        base = base.filter(partner__isnull=True)
        chosen["partner"] = partner
    elif _int(partner) is not None:
        base = base.filter(partner_id=int(partner))
        chosen["partner"] = int(partner)
    age = next((a for a in AGES if a[0] == params.get("age", "")), None)
    if age is not None:
        base = base.filter(created_at__lt=timezone.now() - datetime.timedelta(days=age[2]))
        chosen["age"] = age[0]

    by_status = dict(base.values_list("status").annotate(n=Count("id")).order_by())
    status = params.get("status", "open")
    if status == "open":
        qs = base.filter(status__in=OPEN_STATUSES)
    elif status in Status.values:
        qs = base.filter(status=status)
    else:
        status = "all"
        qs = base
    sort = params.get("sort", "urgency")
    if sort not in dict(SORTS):
        sort = "urgency"
    ordering = {
        "urgency": ["-urgency", "-priority", "created_at", "id"],
        "waiting": ["created_at", "id"],
        "due": [F("due_on").asc(nulls_last=True), "created_at", "id"],
    }[sort]
    qs = qs.select_related("task_force", "topic", "partner", "assignee__profile").order_by(*ordering)
    page_obj = Paginator(qs, QUEUE_PAGE_SIZE).get_page(params.get("page"))
    now = timezone.now()
    for item in page_obj.object_list:
        item.waiting_days = (now - item.created_at).days
    keep = {**chosen, "status": status, "sort": sort}
    topic_model = conf.topic_model()
    status_counts = [
        {"value": "open", "label": "Open", "count": sum(by_status.get(s, 0) for s in OPEN_STATUSES)},
        *[{"value": s.value, "label": s.label, "count": by_status.get(s.value, 0)} for s in Status],
        {"value": "all", "label": "All", "count": sum(by_status.values())},
    ]
    return {
        "page_obj": page_obj,
        "requests": page_obj.object_list,
        "status_counts": status_counts,
        "current": keep,
        "querystring": urlencode(keep),
        "filter_querystring": urlencode(chosen),
        "kinds": Kind.choices,
        "topics": list(topic_model.objects.order_by("name").values_list("pk", "name")) if topic_model else [],
        "task_forces": list(TaskForce.objects.filter(is_active=True).values_list("pk", "name")),
        "partners": list(PartnerOrganization.objects.values_list("pk", "name")),
        "ages": [(a[0], a[1]) for a in AGES],
        "sorts": SORTS,
        "total": page_obj.paginator.count,
    }


def visit_for(*, user, pk):
    visit = (
        permissions.visible_visits(
            user,
            ExchangeVisit.objects.select_related("request__task_force", "request__topic", "host", "agenda"),
        )
        .filter(pk=pk)
        .first()
    )
    if visit is None:
        raise Http404
    return visit


def host_suggestions(request, *, limit=8):
    """Task forces that might host this visit: those featured by a spotlight
    that mentions the request's topic, then those that delivered or hosted on
    the topic before. The spotlight page type is looked up by name."""
    scores = defaultdict(lambda: {"score": 0, "reasons": []})
    topic = request.topic
    spotlight_model = conf.model(conf.SPOTLIGHT_PAGE_MODEL)
    if spotlight_model is not None and topic is not None:
        words = [w for w in topic.name.split() if len(w) > 3] or [topic.name]
        match = Q()
        for word in words:
            match |= Q(title__icontains=word) | Q(summary__icontains=word)
        for tf_id, title in (
            spotlight_model.objects.live().filter(match).values_list("task_force_id", "title")[:50]
        ):
            scores[tf_id]["score"] += 2
            scores[tf_id]["reasons"].append(f"Spotlight: {title}")
    if topic is not None:
        hosted = (
            ExchangeVisit.objects.filter(
                request__topic=topic, status__in=[VisitStatus.SCHEDULED, VisitStatus.CLOSED]
            )
            .values("host_id")
            .annotate(n=Count("id"))
        )
        for row in hosted:
            scores[row["host_id"]]["score"] += row["n"]
            scores[row["host_id"]]["reasons"].append(f"Hosted {row['n']} visit(s) on this topic")
    scores.pop(request.task_force_id, None)
    names = dict(TaskForce.objects.filter(pk__in=scores, is_active=True).values_list("pk", "name"))
    ranked = sorted(
        (tf_id for tf_id in scores if tf_id in names), key=lambda pk: (-scores[pk]["score"], names[pk])
    )
    return [{"pk": pk, "name": names[pk], "reasons": scores[pk]["reasons"][:3]} for pk in ranked[:limit]]


def task_force_visits(task_force):
    """Visits a task force hosted and made, scheduled or completed: task
    forces, dates and the line on what was learned only — no people, no reports."""
    qs = ExchangeVisit.objects.filter(status__in=[VisitStatus.SCHEDULED, VisitStatus.CLOSED]).select_related(
        "host", "request__task_force"
    )
    hosted = list(qs.filter(host=task_force).order_by("-starts_on")[:20])
    made = list(qs.filter(request__task_force=task_force).order_by("-starts_on")[:20])
    return hosted, made


def waiting_for_coordinator(user):
    """What waits for a coordinator: visits to answer, reports to file, feedback to give."""
    task_force_id = permissions.coordinated_task_force_id(user)
    if task_force_id is None:
        return None
    today = timezone.localdate()
    to_answer = list(
        ExchangeVisit.objects.filter(host_id=task_force_id, status=VisitStatus.PROPOSED).select_related(
            "request__task_force"
        )
    )
    to_report = []
    for visit in (
        ExchangeVisit.objects.filter(status=VisitStatus.SCHEDULED, starts_on__lte=today)
        .filter(Q(host_id=task_force_id) | Q(request__task_force_id=task_force_id))
        .select_related("host", "request__task_force")
        .prefetch_related("reports")
    ):
        side = "host" if visit.host_id == task_force_id else "visitor"
        if all(report.side != side for report in visit.reports.all()):
            to_report.append(visit)
    feedback = list(
        AssistanceRequest.objects.filter(
            task_force_id=task_force_id, status__in=[Status.DELIVERED, Status.CLOSED], feedback__isnull=True
        ).order_by("-delivered_on")[:10]
    )
    return {"to_answer": to_answer, "to_report": to_report, "feedback": feedback}


def staff_waiting(user):
    if not permissions.is_program_staff(user):
        return None
    qs = AssistanceRequest.objects.all()
    return {
        "received": qs.filter(status=Status.RECEIVED).count(),
        "mine": qs.filter(assignee_id=user.pk, status__in=OPEN_STATUSES).count(),
    }


# --- Program report ----------------------------------------------------------------------

DIMENSIONS = [
    ("quarter", "Quarter"),
    ("task_force", "Task force"),
    ("state", "State"),
    ("kind", "Kind"),
    ("topic", "Topic"),
    ("partner", "Partner"),
]
DELIVERED = (Status.DELIVERED, Status.CLOSED)


def quarter_of(day):
    if day is None:
        return None
    if isinstance(day, datetime.datetime):
        day = timezone.localtime(day).date()
    return f"{day.year} Q{(day.month - 1) // 3 + 1}"


def _median(values):
    return round(statistics.median(values), 1) if values else None


def _days(start, end):
    return (end - start).total_seconds() / 86400 if start and end else None


def program_report(*, params=None):
    """The program's numbers, with no personal data: counts, medians and
    averages by quarter, task force, state, kind, topic and partner.

    Two queries, whatever the number of requests: the requests (with their
    feedback score) as plain values, and the completed visits."""
    params = params or {}
    year = _int(params.get("year", ""))
    rows = AssistanceRequest.objects.values(
        "kind",
        "status",
        "created_at",
        "triaged_at",
        "delivered_at",
        "delivered_on",
        "attendees",
        "task_force__name",
        "task_force__state",
        "topic__name",
        "partner__name",
        "feedback__useful",
    )
    visits = ExchangeVisit.objects.filter(status=VisitStatus.CLOSED).values(
        "ends_on",
        "closed_at",
        "request__kind",
        "request__task_force__name",
        "request__task_force__state",
        "request__topic__name",
        "request__partner__name",
    )
    states = dict(US_STATES)
    kinds = dict(Kind.choices)
    disciplines = [value for value, _label in Discipline.choices]

    def keys(row, prefix=""):
        return {
            "task_force": row[f"{prefix}task_force__name"],
            "state": states.get(row[f"{prefix}task_force__state"], row[f"{prefix}task_force__state"]),
            "kind": kinds.get(row[f"{prefix}kind"] if not prefix else row["request__kind"]),
            "topic": row[f"{prefix}topic__name"] or "No topic",
            "partner": row[f"{prefix}partner__name"] or "Not assigned",
        }

    groups = {name: defaultdict(lambda: _empty(disciplines)) for name, _label in DIMENSIONS}
    totals = _empty(disciplines)
    for row in rows:
        received_q = quarter_of(row["created_at"])
        delivered = row["status"] in DELIVERED
        delivered_q = quarter_of(row["delivered_on"] or row["delivered_at"]) if delivered else None
        if year and not (received_q.startswith(str(year)) or (delivered_q or "").startswith(str(year))):
            continue
        dims = keys(row)
        buckets = [groups[name][value] for name, value in dims.items()]
        for bucket in [*buckets, totals, groups["quarter"][received_q]]:
            bucket["received"] += 1
            triage = _days(row["created_at"], row["triaged_at"])
            if triage is not None:
                bucket["_triage"].append(triage)
        if delivered:
            for bucket in [*buckets, totals, groups["quarter"][delivered_q]]:
                bucket["deliveries"] += 1
                if row["kind"] == Kind.TRAINING:
                    bucket["trainings"] += 1
                delivery = _days(row["created_at"], row["delivered_at"])
                if delivery is not None:
                    bucket["_delivery"].append(delivery)
                for discipline, n in (row["attendees"] or {}).items():
                    if discipline in bucket["attendees"]:
                        bucket["attendees"][discipline] += int(n)
                if row["feedback__useful"]:
                    bucket["_feedback"].append(row["feedback__useful"])
    for visit in visits:
        quarter = quarter_of(visit["ends_on"] or visit["closed_at"])
        if year and not quarter.startswith(str(year)):
            continue
        dims = keys(visit, prefix="request__")
        for bucket in [
            *(groups[name][value] for name, value in dims.items()),
            totals,
            groups["quarter"][quarter],
        ]:
            bucket["visits"] += 1

    tables = []
    for name, label in DIMENSIONS:
        items = sorted(groups[name].items(), key=lambda kv: (kv[0] is None, kv[0]))
        tables.append(
            {
                "name": name,
                "label": label,
                "rows": [{"value": value, **_final(b)} for value, b in items if value],
            }
        )
    totals = _final(totals)
    quarters = tables[0]["rows"]
    return {
        "tables": tables,
        "totals": totals,
        "training_target": conf.TRAINING_TARGET,
        "visit_target": conf.VISIT_TARGET,
        "disciplines": Discipline.choices,
        "chart": chart(quarters),
        "year": year,
    }


def _empty(disciplines):
    return {
        "received": 0,
        "deliveries": 0,
        "trainings": 0,
        "visits": 0,
        "attendees": dict.fromkeys(disciplines, 0),
        "_triage": [],
        "_delivery": [],
        "_feedback": [],
    }


def _final(bucket):
    return {
        "received": bucket["received"],
        "deliveries": bucket["deliveries"],
        "trainings": bucket["trainings"],
        "visits": bucket["visits"],
        "median_days_to_triage": _median(bucket["_triage"]),
        "median_days_to_delivery": _median(bucket["_delivery"]),
        "attendees": bucket["attendees"],
        "attendee_total": sum(bucket["attendees"].values()),
        "attendee_list": list(bucket["attendees"].values()),
        "feedback_average": round(statistics.mean(bucket["_feedback"]), 2) if bucket["_feedback"] else None,
        "feedback_count": len(bucket["_feedback"]),
    }


CHART_HEIGHT = 200
BAR = 18
GAP = 14


def chart(quarters):
    """Coordinates of a grouped bar chart (requests received and delivered per
    quarter) for a server-rendered SVG. The two series differ by fill pattern
    as well as colour, and every bar carries its number."""
    top = max([1, *(max(q["received"], q["deliveries"]) for q in quarters)])
    groups = []
    for i, q in enumerate(quarters):
        x = 50 + i * (2 * BAR + GAP + 8)
        received_h = round(CHART_HEIGHT * q["received"] / top)
        delivered_h = round(CHART_HEIGHT * q["deliveries"] / top)
        groups.append(
            {
                "label": q["value"],
                "x": x,
                "label_x": x + BAR,
                "received": q["received"],
                "delivered": q["deliveries"],
                "received_y": 20 + CHART_HEIGHT - received_h,
                "received_h": received_h,
                "received_text_y": 20 + CHART_HEIGHT - received_h - 4,
                "delivered_x": x + BAR,
                "delivered_y": 20 + CHART_HEIGHT - delivered_h,
                "delivered_h": delivered_h,
                "delivered_text_y": 20 + CHART_HEIGHT - delivered_h - 4,
                "center_received": x + BAR // 2,
                "center_delivered": x + BAR + BAR // 2,
            }
        )
    width = max(320, 60 + len(quarters) * (2 * BAR + GAP + 8))
    return {
        "groups": groups,
        "width": width,
        "height": CHART_HEIGHT + 60,
        "baseline": 20 + CHART_HEIGHT,
        "label_y": 20 + CHART_HEIGHT + 16,
        "top": top,
        "axis_end": width - 10,
    }


EXPORT_HEADER = [
    "dimension",
    "value",
    "requests_received",
    "median_days_to_triage",
    "median_days_to_delivery",
    "deliveries",
    "training_events_delivered",
    "peer_exchange_visits_completed",
    *[f"attendees_{value}" for value, _label in Discipline.choices],
    "attendees_total",
    "feedback_average",
    "feedback_responses",
]


def export_rows(report):
    """The report as flat rows (header first): numbers and group names only —
    no names of people, no emails, no free text."""
    yield EXPORT_HEADER
    for table in [*report["tables"], {"name": "total", "rows": [{"value": "All", **report["totals"]}]}]:
        for row in table["rows"]:
            yield [
                table["name"],
                row["value"],
                row["received"],
                row["median_days_to_triage"],
                row["median_days_to_delivery"],
                row["deliveries"],
                row["trainings"],
                row["visits"],
                *[row["attendees"][value] for value, _label in Discipline.choices],
                row["attendee_total"],
                row["feedback_average"],
                row["feedback_count"],
            ]
