"""Reads for spotlights: this week's, the archive, a task force's."""

from django.core.paginator import Paginator

from connect.models import TaskForce

from .permissions import visible_spotlights

PAGE_SIZE = 24


def this_weeks_spotlight(user):
    """The newest spotlight the member may see (so its week has begun)."""
    return (
        visible_spotlights(user)
        .select_related("task_force", "image")
        .order_by("-week", "-first_published_at")
        .first()
    )


def task_force_spotlights(user, task_force, limit=10):
    return visible_spotlights(user).filter(task_force=task_force).order_by("-week")[:limit]


def spotlight_archive(*, user, index, params):
    """The archive, filterable by year and task force (links, no JavaScript)."""
    qs = visible_spotlights(user).child_of(index)
    years = sorted({d.year for d in qs.dates("week", "year")}, reverse=True)
    tf_ids = qs.values("task_force_id")
    task_forces = TaskForce.objects.filter(pk__in=tf_ids).order_by("name")
    year = params.get("year", "")
    year = int(year) if year.isdigit() and int(year) in years else None
    tf_slug = params.get("task_force", "")
    task_force = next((tf for tf in task_forces if tf.slug == tf_slug), None)
    if year:
        qs = qs.filter(week__year=year)
    if task_force:
        qs = qs.filter(task_force=task_force)
    qs = qs.select_related("task_force", "image").order_by("-week", "-first_published_at")
    page_obj = Paginator(qs, PAGE_SIZE).get_page(params.get("page"))
    from urllib.parse import urlencode

    base = {"year": year or "", "task_force": task_force.slug if task_force else ""}
    return {
        "page_obj": page_obj,
        "spotlights": page_obj.object_list,
        "years": years,
        "task_forces": list(task_forces),
        "current_year": year,
        "current_task_force": task_force,
        "querystring": urlencode({k: v for k, v in base.items() if v}),
        "current": this_weeks_spotlight(user),
    }
