"""Moderators' screens for private messages, in the Wagtail admin.

The queue lists reported messages and messages the privacy guard held, by
who and when only. Opening one shows that message and, for a report, the
:attr:`~conversations.models.MessageReport.CONTEXT` messages either side: never
the rest of the conversation, its other participants' names or its subject.
Every opening is written to the audit log.
"""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.views.decorators.http import require_POST

from connect.actors import Actor
from connect.audit import audit_record
from connect.decorators import moderator_required

from . import permissions, services
from .models import Message, MessageReport


def _moderator(request):
    if not permissions.can_review_reports(request.user):
        raise Http404


@moderator_required
def queue(request):
    _moderator(request)
    reports = (
        MessageReport.objects.filter(status=MessageReport.Status.OPEN)
        .select_related("reporter__profile", "message")
        .order_by("created_at")[:100]
    )
    held = (
        Message.objects.filter(status=Message.Status.HELD)
        .select_related("sender__profile")
        .order_by("created_at")[:100]
    )
    return TemplateResponse(request, "conversations/admin/queue.html", {"reports": reports, "held": held})


@moderator_required
def report_detail(request, pk):
    _moderator(request)
    report = (
        MessageReport.objects.select_related("message__sender__profile", "reporter__profile")
        .filter(pk=pk)
        .first()
    )
    if report is None:
        raise Http404
    message = report.message
    around = (
        Message.objects.filter(
            conversation_id=message.conversation_id,
            seq__gte=message.seq - MessageReport.CONTEXT * 3,
            seq__lte=message.seq + MessageReport.CONTEXT * 3,
            status=Message.Status.VISIBLE,
        )
        .select_related("sender__profile")
        .order_by("seq")
    )
    around = list(around)
    index = next((i for i, m in enumerate(around) if m.pk == message.pk), None)
    if index is None:
        window = [message]
    else:
        window = around[max(0, index - MessageReport.CONTEXT) : index + MessageReport.CONTEXT + 1]
    audit_record(
        action="conversations.report_viewed",
        request=request,
        target=message,
        detail={
            "report": report.pk,
            "conversation": message.conversation_id,
            "messages": [m.pk for m in window],
        },
    )
    return TemplateResponse(
        request, "conversations/admin/report.html", {"report": report, "message": message, "window": window}
    )


@require_POST
@moderator_required
def report_resolve(request, pk):
    _moderator(request)
    report = MessageReport.objects.filter(pk=pk).first()
    if report is None:
        raise Http404
    remove = request.POST.get("action") == "remove"
    services.report_resolve(actor=Actor.from_request(request), report=report, remove=remove)
    messages.success(request, "The message was removed." if remove else "The report was dismissed.")
    return redirect("conversations_admin:queue")


@moderator_required
def held_detail(request, pk):
    _moderator(request)
    message = (
        Message.objects.select_related("sender__profile").filter(pk=pk, status=Message.Status.HELD).first()
    )
    if message is None:
        raise Http404
    audit_record(
        action="conversations.held_viewed",
        request=request,
        target=message,
        detail={"conversation": message.conversation_id},
    )
    return TemplateResponse(request, "conversations/admin/held.html", {"message": message})


@require_POST
@moderator_required
def held_decide(request, pk):
    _moderator(request)
    message = Message.objects.filter(pk=pk, status=Message.Status.HELD).first()
    if message is None:
        raise Http404
    approve = request.POST.get("action") == "approve"
    services.held_message_decide(actor=Actor.from_request(request), message=message, approve=approve)
    messages.success(request, "The message was sent." if approve else "The message was declined.")
    return redirect("conversations_admin:queue")
