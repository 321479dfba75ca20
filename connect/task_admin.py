"""The administrators' view of the task queue: what is waiting, and every
task that used up its attempts, with its error, to run again."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.views.decorators.http import require_http_methods

from . import permissions, tasks


@require_http_methods(["GET", "POST"])
def failed_tasks(request):
    if not permissions.is_administrator(request.user):
        raise Http404
    if request.method == "POST":
        retried = tasks.task_retry(
            task_result_id=request.POST.get("task", "")[:64], actor=request.user, request=request
        )
        if retried is None:
            messages.warning(request, "That task is no longer failed; it may have been retried already.")
        else:
            messages.success(request, "The task is queued again.")
        return redirect("connect_tasks:failed")
    page = Paginator(tasks.failed_tasks(), 50).get_page(request.GET.get("page"))
    return TemplateResponse(
        request,
        "connect/admin/failed_tasks.html",
        {"page_obj": page, "backlog": tasks.task_backlog()},
    )
