"""Member views of the library outside the page tree: sharing, calendars,
document and image delivery."""

import mimetypes
import posixpath

from django.contrib import messages
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.text import slugify
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods
from wagtail.images import get_image_model

from connect import ratelimit
from connect.actors import Actor
from connect.decorators import public
from connect.permissions import is_active_member
from connect.privacy_guard import PrivacyCheckRequired

from .forms import ShareResourceForm
from .ics import calendar_for
from .models import CalendarFeed, DownloadDocument, SharedResource
from .permissions import can_download_document, visible_events
from .selectors import upcoming_events
from .services import (
    calendar_feed_reset,
    document_download_count,
    resource_share,
    shared_resource_for_submission,
)
from .storage import MemberRenditionStorage
from .uploads import SizeLimitUploadHandler

# Shares go to moderators' review queue and email them; a few an hour is
# plenty for a person and stops a flood.
SHARES_PER_HOUR = 5


@csrf_exempt
def share(request):
    # The size limit must be in place before anything reads the request body,
    # and CSRF checking reads it: so the check happens inside, not before.
    request.upload_handlers.insert(0, SizeLimitUploadHandler(request))
    return _share(request)


@csrf_protect
@require_http_methods(["GET", "POST"])
def _share(request):
    if request.method == "POST":
        form = ShareResourceForm(
            request.POST, request.FILES, upload_too_large=getattr(request, "upload_too_large", False)
        )
        submission = request.POST.get("submission", "")
        if shared_resource_for_submission(member=request.user, submission_token=submission):
            # Sent twice (a double click): the first one is already in review.
            messages.info(request, "We already have this resource; it is in review.")
            return redirect("resources:my_shares")
        if form.is_valid() and not ratelimit.consume(
            "resource_share", str(request.user.pk), limit=SHARES_PER_HOUR, period=3600
        ):
            form.add_error(
                None,
                f"You have shared {SHARES_PER_HOUR} resources in the last hour, the most we take. "
                "Please send this one again later: what you typed is kept below.",
            )
            return render(request, "resources/share_form.html", {"form": form}, status=429)
        if form.is_valid():
            data = form.cleaned_data
            try:
                resource_share(
                    member=request.user,
                    title=data["title"],
                    summary=data["summary"],
                    resource_type=data["resource_type"],
                    topics=data["topics"],
                    external_url=data["external_url"],
                    upload=data["file"] or None,
                    checked=form.checked_upload,
                    submission_token=data["submission"] or None,
                    confirm_privacy=data["confirm_privacy"],
                )
            except PrivacyCheckRequired as exc:
                return render(
                    request,
                    "resources/share_form.html",
                    {"form": form, "privacy_findings": exc.findings},
                    status=400,
                )
            messages.success(
                request,
                "Thank you. Moderators will review your resource; we will email you when they decide.",
            )
            return redirect("resources:my_shares")
    else:
        form = ShareResourceForm()
    return render(request, "resources/share_form.html", {"form": form})


@require_GET
def my_shares(request):
    shares = SharedResource.objects.filter(member=request.user).select_related("page")
    return render(request, "resources/my_shares.html", {"shares": shares})


@require_GET
def event_ics(request, page_id):
    event = get_object_or_404(visible_events(request.user).specific(), pk=page_id)
    body = calendar_for([event], name=event.title, base_url=request.build_absolute_uri("/"))
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    filename = (slugify(event.title)[:60] or "event") + ".ics"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@public
@require_GET
def calendar_feed(request, token):
    """A member's upcoming events for their calendar app. The secret address
    stands in for signing in, so it works only while its owner is an active member."""
    feed = CalendarFeed.objects.select_related("user").filter(token=token).first()
    if feed is None or not is_active_member(feed.user):
        raise Http404
    events = upcoming_events(feed.user).specific()
    body = calendar_for(events, name="Task Force Connect events", base_url=request.build_absolute_uri("/"))
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Cache-Control"] = "private, no-store"
    response["Referrer-Policy"] = "no-referrer"
    return response


@require_http_methods(["GET", "POST"])
def calendar_settings(request):
    """The member's private feed address. Looking never writes: the address
    is made the first time the member asks for one, and replaced on reset."""
    if request.method == "POST":
        _, created = calendar_feed_reset(user=request.user, origin=Actor.from_request(request))
        if created:
            messages.success(request, "Your calendar address is ready.")
        else:
            messages.success(request, "Your calendar address was reset. The old address no longer works.")
        return redirect("resources:calendar_settings")
    feed = CalendarFeed.objects.filter(user=request.user).first()
    url = request.build_absolute_uri(reverse("resources:calendar_feed", args=[feed.token])) if feed else ""
    return render(request, "resources/calendar_settings.html", {"feed": feed, "feed_url": url})


def serve_document(document, request):
    """Wagtail's before_serve_document hook: members only, documents of live
    pages only (moderators excepted), counted. Wagtail then sends the file as
    an attachment (WAGTAILDOCS_INLINE_CONTENT_TYPES is empty) with the content
    type from our allowlist and a name made from the title."""
    if not can_download_document(request.user, document):
        raise Http404
    if request.method == "GET":
        document_download_count(document)
    document.__class__ = DownloadDocument
    return None


@require_GET
def rendition(request, path):
    """Image renditions, for members only (the middleware sees to that)."""
    path = posixpath.normpath(path)
    if path.startswith(("/", "..")) or not path.startswith("images/"):
        raise Http404
    storage = MemberRenditionStorage()
    Rendition = get_image_model().get_rendition_model()
    if not Rendition.objects.filter(file=path).exists():
        raise Http404
    try:
        handle = storage.open(path, "rb")
    except (FileNotFoundError, OSError):
        raise Http404 from None
    content_type = mimetypes.guess_type(path)[0] or "application/octet-stream"
    if not content_type.startswith("image/") or content_type == "image/svg+xml":
        raise Http404
    response = FileResponse(handle, content_type=content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, max-age=3600"
    return response
