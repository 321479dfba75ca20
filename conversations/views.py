"""Pages of private conversations. Thin: reads through selectors, writes through
services, every "may they?" through permissions. Everything works without JavaScript."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from connect.actors import Actor

from . import permissions, selectors, services
from .forms import AddParticipantForm, MessageForm, PreferenceForm, ReportForm, StartForm
from .models import MAX_PARTICIPANTS, Attachment, Block, Message, MessagingPreference
from .rendering import quote_markdown


def _id(value):
    value = (value or "").strip()
    if value.isascii() and value.isdigit() and len(value) <= 18:
        return int(value)
    return None


def _apply_error(form, exc):
    field = exc.field if exc.field in form.fields else None
    form.add_error(field, exc.message)


def _privacy(exc):
    return {"privacy_findings": exc.findings} if isinstance(exc, services.PrivacyCheckRequired) else {}


def _found(request, pk):
    found = selectors.conversation_for(user=request.user, pk=pk)
    if found is None:
        raise Http404
    return found


@require_GET
def inbox(request):
    archived = request.GET.get("archived") == "1"
    page = Paginator(selectors.inbox(user=request.user, archived=archived), selectors.INBOX_PAGE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "conversations/inbox.html",
        {
            "page_obj": page,
            "archived": archived,
            "querystring": "archived=1" if archived else "",
            "can_send": permissions.can_send(request.user),
        },
    )


def _members(ids, user):
    """The members among ``ids`` that ``user`` may write to, in the order given."""
    allowed = {u.pk: u for u in selectors.picker(user=user, ids=ids)} if ids else {}
    return [allowed[i] for i in ids if i in allowed]


@require_POST
def preview(request):
    """The composer's preview: the body rendered as it would be sent (JSON)."""
    try:
        html = services.message_preview(author=request.user, body=request.POST.get("body", ""))
    except services.NotAllowed:
        raise Http404 from None
    except services.ConversationError as exc:
        return JsonResponse({"error": exc.message}, status=400)
    return JsonResponse({"html": html})


@require_http_methods(["GET", "POST"])
def start(request):
    """A new conversation. Recipients come from ``?to=`` (the "Message" buttons)
    and from the name search on the page; members one may not write to are not offered."""
    if not permissions.can_send(request.user):
        messages.error(request, "Your account cannot send private messages at the moment.")
        return redirect("conversations:inbox")
    source = request.POST if request.method == "POST" else request.GET
    form = StartForm(request.POST or None, request.FILES or None)
    ids = [i for i in (_id(v) for v in source.getlist("to")) if i is not None][:MAX_PARTICIPANTS]
    chosen = _members(ids, request.user)
    query = (request.GET.get("q") or "").strip()[:100]
    found = [u for u in selectors.picker(user=request.user, query=query) if u not in chosen] if query else []
    extra = {}
    if request.method == "POST" and form.is_valid():
        if len(chosen) < len(ids):
            form.add_error(None, "Some of the members you chose cannot receive private messages from you.")
        else:
            try:
                conversation = services.conversation_start(
                    actor=Actor.from_request(request),
                    recipients=chosen,
                    subject=form.cleaned_data["subject"],
                    body=form.cleaned_data["body"],
                    submission_token=form.cleaned_data["submission_token"],
                    confirm_privacy=form.cleaned_data["confirm_privacy"],
                    files=form.cleaned_data["attachments"],
                )
            except services.ConversationError as exc:
                _apply_error(form, exc)
                extra = _privacy(exc)
            else:
                if conversation.messages.filter(status=Message.Status.HELD).exists():
                    messages.info(request, "Your message is waiting for a moderator to review it.")
                else:
                    messages.success(request, "Your message was sent.")
                return redirect(conversation.get_absolute_url())
    return render(
        request,
        "conversations/start.html",
        {"form": form, "chosen": chosen, "found": found, "query": query, **extra},
        status=400 if request.method == "POST" else 200,
    )


@require_http_methods(["GET", "POST"])
def detail(request, pk):
    conversation, place = _found(request, pk)
    form = MessageForm(request.POST or None, request.FILES or None)
    extra = {}
    if request.method == "POST":
        if form.is_valid():
            try:
                message = services.message_send(
                    actor=Actor.from_request(request),
                    conversation=conversation,
                    body=form.cleaned_data["body"],
                    submission_token=form.cleaned_data["submission_token"],
                    confirm_privacy=form.cleaned_data["confirm_privacy"],
                    files=form.cleaned_data["attachments"],
                )
            except services.NotAllowed:
                raise Http404
            except services.ConversationError as exc:
                _apply_error(form, exc)
                extra = _privacy(exc)
            else:
                if message.status == Message.Status.HELD:
                    messages.info(request, "Your message is waiting for a moderator to review it.")
                return redirect(f"{conversation.get_absolute_url()}#message-{message.seq}")
    elif (quote := _id(request.GET.get("quote"))) is not None:
        quoted = selectors.conversation_messages(user=request.user, conversation=conversation, seqs=[quote])
        if quoted and quoted[0].kind == Message.Kind.TEXT:
            name = quoted[0].sender.display_name if quoted[0].sender else "A former member"
            form = MessageForm(initial={"body": quote_markdown(name, quoted[0].body)})
    thread = selectors.conversation_messages(user=request.user, conversation=conversation)
    if request.method == "GET" and conversation.message_seq > place.last_read_seq:
        services.conversation_mark_read(user=request.user, conversation=conversation)
    places = selectors.participants(conversation=conversation)
    seen_seq, seen_count = selectors.seen_by(conversation=conversation, places=places, user=request.user)
    return render(
        request,
        "conversations/conversation.html",
        {
            "conversation": conversation,
            "place": place,
            "thread": thread,
            "viewer": request.user,
            "places": places,
            "others": [p for p in places if p.user_id != request.user.pk],
            "form": form,
            "can_write": permissions.can_send(request.user) and len(places) > 1,
            "can_add": permissions.can_add_participant(request.user, conversation, count=len(places)),
            "is_starter": conversation.created_by_id == request.user.pk,
            "seen_seq": seen_seq,
            "seen_count": seen_count,
            "history_from_join": place.joined_seq > 0,
            **extra,
        },
        status=400 if request.method == "POST" else 200,
    )


@require_POST
def participant_settings(request, pk):
    """Mute, unmute, archive or unarchive, from the inbox or the conversation."""
    conversation, _place = _found(request, pk)
    action = request.POST.get("action", "")
    changes = {
        "mute": {"muted": True},
        "unmute": {"muted": False},
        "archive": {"archived": True},
        "unarchive": {"archived": False},
    }.get(action)
    if changes is None:
        messages.error(request, "Choose what to change.")
    else:
        services.participant_update(user=request.user, conversation=conversation, **changes)
        messages.success(
            request,
            {
                "mute": "Muted: you will not be notified about new messages in this conversation.",
                "unmute": "Unmuted: you will be notified about new messages again.",
                "archive": "Archived. A new message brings the conversation back to your inbox.",
                "unarchive": "Moved back to your inbox.",
            }[action],
        )
    if request.POST.get("next") == "inbox":
        return redirect("conversations:inbox")
    return redirect(conversation.get_absolute_url())


@require_http_methods(["GET", "POST"])
def leave(request, pk):
    conversation, _place = _found(request, pk)
    if request.method == "POST":
        services.conversation_leave(actor=Actor.from_request(request), conversation=conversation)
        messages.success(request, "You left the conversation. It no longer appears in your messages.")
        return redirect("conversations:inbox")
    return render(request, "conversations/leave.html", {"conversation": conversation})


@require_http_methods(["GET", "POST"])
def add_participant(request, pk):
    conversation, _place = _found(request, pk)
    if not permissions.can_add_participant(request.user, conversation):
        messages.error(request, f"A conversation can have at most {MAX_PARTICIPANTS} members.")
        return redirect(conversation.get_absolute_url())
    form = AddParticipantForm(request.POST or None)
    query = (request.GET.get("q") or "").strip()[:100]
    current = set(conversation.participants.filter(left_at__isnull=True).values_list("user_id", flat=True))
    found = (
        [u for u in selectors.picker(user=request.user, query=query) if u.pk not in current] if query else []
    )
    if request.method == "POST" and form.is_valid():
        user = (
            get_user_model().objects.select_related("profile").filter(pk=form.cleaned_data["member"]).first()
        )
        if user is None or not permissions.can_message(request.user, user):
            form.add_error("member", "This member cannot receive private messages from you.")
        else:
            try:
                services.participant_add(
                    actor=Actor.from_request(request), conversation=conversation, user=user
                )
            except services.ConversationError as exc:
                _apply_error(form, exc)
            else:
                messages.success(
                    request,
                    f"{user.display_name} was added. They see the messages from now on, "
                    "not the earlier ones.",
                )
                return redirect(conversation.get_absolute_url())
    return render(
        request,
        "conversations/add_participant.html",
        {"conversation": conversation, "form": form, "found": found, "query": query},
        status=400 if request.method == "POST" else 200,
    )


@require_POST
def remove_participant(request, pk, user_id):
    conversation, _place = _found(request, pk)
    user = get_user_model().objects.select_related("profile").filter(pk=user_id).first()
    if user is None:
        raise Http404
    try:
        services.participant_remove(actor=Actor.from_request(request), conversation=conversation, user=user)
    except services.NotAllowed:
        raise Http404
    except services.ConversationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"{user.display_name} was removed from the conversation.")
    return redirect(conversation.get_absolute_url())


@require_http_methods(["GET", "POST"])
def report(request, pk, seq):
    conversation, _place = _found(request, pk)
    found = selectors.conversation_messages(user=request.user, conversation=conversation, seqs=[seq])
    if not found or not permissions.can_report(request.user, found[0]):
        raise Http404
    message = found[0]
    form = ReportForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.message_report(
                actor=Actor.from_request(request), message=message, reason=form.cleaned_data["reason"]
            )
        except services.ConversationError as exc:
            _apply_error(form, exc)
        else:
            messages.success(request, "Thank you. Moderators will review the message you reported.")
            return redirect(f"{conversation.get_absolute_url()}#message-{message.seq}")
    return render(
        request,
        "conversations/report.html",
        {"conversation": conversation, "message": message, "form": form, "viewer": request.user},
        status=400 if request.method == "POST" else 200,
    )


@require_GET
def attachment(request, pk):
    """A file, to participants who may read its message; everyone else gets a 404."""
    item = get_object_or_404(Attachment.objects.select_related("message"), pk=pk)
    if not permissions.can_see_message(request.user, item.message):
        raise Http404
    try:
        handle = item.file.open("rb")
    except OSError:
        raise Http404
    inline = item.content_type.startswith("image/") or item.content_type == "application/pdf"
    response = FileResponse(
        handle, as_attachment=not inline, filename=item.original_name, content_type=item.content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@require_http_methods(["GET", "POST"])
def preferences(request):
    preference = MessagingPreference.objects.filter(user_id=request.user.pk).first()
    form = PreferenceForm(
        request.POST or None, initial={"task_force_only": bool(preference and preference.task_force_only)}
    )
    if request.method == "POST" and form.is_valid():
        services.messaging_preference_set(
            user=request.user, task_force_only=form.cleaned_data["task_force_only"]
        )
        messages.success(request, "Your message settings were saved.")
        return redirect("conversations:preferences")
    blocked = (
        Block.objects.filter(blocker_id=request.user.pk)
        .select_related("blocked__profile")
        .order_by("-created_at")
    )
    return render(request, "conversations/preferences.html", {"form": form, "blocked": blocked})


def _member_or_404(request, user_id):
    from connect.models import MemberProfile

    profile = (
        permissions.connect_permissions.visible_profiles(
            request.user, MemberProfile.objects.select_related("user")
        )
        .filter(user_id=user_id)
        .first()
    )
    if profile is None or profile.user_id == request.user.pk:
        raise Http404
    return profile


@require_http_methods(["GET", "POST"])
def block(request, user_id):
    profile = _member_or_404(request, user_id)
    if request.method == "POST":
        services.member_block(actor=Actor.from_request(request), blocked=profile.user)
        messages.success(
            request,
            f"You blocked {profile.display_name}. Neither of you can start a conversation with the other.",
        )
        return redirect("conversations:preferences")
    return render(request, "conversations/block.html", {"profile": profile})


@require_POST
def unblock(request, user_id):
    user = get_object_or_404(get_user_model(), pk=user_id)
    if services.member_unblock(actor=Actor.from_request(request), blocked=user):
        messages.success(request, "Unblocked.")
    return redirect(reverse("conversations:preferences"))
