"""Views of notifications and email settings. Thin: selectors read, services write.

What a member may not see is a 404; the unsubscribe link works without
signing in because its signed token is the proof.
"""

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from connect.decorators import public

from . import emails, selectors, services
from .forms import PreferencesForm
from .kinds import email_topics_for, kind_for, topic_for


def _id_or_none(value):
    """An object id from a form: ASCII digits that fit a database integer."""
    value = (value or "").strip()
    if value.isascii() and value.isdigit() and len(value) <= 18:
        return int(value)
    return None


def _back(request, fallback):
    target = request.POST.get("next")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect(fallback)


@require_GET
def notification_list(request):
    unread_only = request.GET.get("unread") == "1"
    page_obj = selectors.notification_list(
        user=request.user, page=request.GET.get("page") or 1, unread_only=unread_only
    )
    return render(
        request,
        "notifications/notification_list.html",
        {"page_obj": page_obj, "unread_only": unread_only, "querystring": "unread=1" if unread_only else ""},
    )


@require_POST
def notifications_read(request):
    ids = [i for i in map(_id_or_none, request.POST.getlist("id")) if i is not None]
    if request.POST.get("all") == "1":
        services.notification_mark_read(user=request.user)
        messages.success(request, "All notifications are marked as read.")
    elif ids:
        services.notification_mark_read(user=request.user, notification_ids=ids)
    return _back(request, reverse("notifications:list"))


@require_GET
def notification_open(request, pk):
    """Mark one notification read and go to what it is about."""
    notification = selectors.notification_for(user=request.user, pk=pk)
    if notification is None:
        raise Http404
    services.notification_mark_read(user=request.user, notification_ids=[notification.pk])
    kind = kind_for(notification.kind)
    url = kind.link(request.user, notification) if kind.link is not None else notification.url
    if not url:
        # What it was about can no longer be opened (a hidden post): the
        # notice itself, with its reason, is all there is to show.
        if notification.message:
            messages.info(request, f"A moderator {notification.message}")
        return redirect("notifications:list")
    return redirect(url)


@require_http_methods(["GET", "POST"])
def preferences(request):
    topics = email_topics_for(request.user)
    form = PreferencesForm(
        request.POST or None, topics=topics, current=selectors.email_preferences(request.user)
    )
    if request.method == "POST" and form.is_valid():
        services.preferences_update(user=request.user, choices=form.choices())
        messages.success(request, "Your email settings are saved.")
        return redirect("notifications:preferences")
    return render(request, "notifications/preferences.html", {"form": form})


@public
@never_cache
@csrf_exempt  # RFC 8058 one-click: mail clients POST without a CSRF token; the signed token is the proof.
@require_http_methods(["GET", "POST"])
def email_unsubscribe(request, token):
    parsed = emails.read_unsubscribe_token(token)
    if parsed is None:
        raise Http404
    user_id, topic_key = parsed
    user = get_user_model().objects.filter(pk=user_id).first()
    if user is None:
        raise Http404
    label = topic_for(topic_key).label
    if request.method == "POST":
        services.email_unsubscribe(user=user, topic=topic_key)
        if "List-Unsubscribe" in request.POST:
            return HttpResponse("Unsubscribed.", content_type="text/plain")
        return render(request, "notifications/unsubscribe.html", {"done": True, "label": label})
    return render(request, "notifications/unsubscribe.html", {"done": False, "label": label})
