"""Moderation screens in the Wagtail admin: the queue of held and flagged
posts, the list of threads, thread management (lock, pin, move, merge, tags) and suspensions.
Every action goes through a service, which writes an audit event and tells
the affected author why.

A moderator moderates only the categories whose audience includes them
(``permissions.can_moderate``): the queue tells them that an item waits in a
category outside it, never what it says, and every other screen and action
there is a 404."""

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.views.decorators.http import require_http_methods, require_POST
from wagtail.admin.views import generic

from connect.actors import Actor
from connect.audit import audit_record
from connect.decorators import moderator_required

from . import admin_selectors, live, permissions, selectors, services
from .forms import (
    AUDIENCE_FIELDS,
    AdminThreadFilterForm,
    MergeForm,
    MoveForm,
    ReasonForm,
    SuspendForm,
    TagsForm,
)
from .models import Flag, Post, Suspension, Thread


def _moderated_post(user, pk):
    post = Post.objects.select_related("thread__category").filter(pk=pk).first()
    if post is None or not permissions.can_moderate(user, post.thread.category):
        raise Http404
    return post


@moderator_required
def queue(request):
    page_obj = Paginator(selectors.moderation_queue(), 25).get_page(request.GET.get("page"))
    posts = list(page_obj.object_list)
    for post in posts:
        post.reviewable = permissions.can_moderate(request.user, post.thread.category)
    flags = {}
    reviewable = [post for post in posts if post.reviewable]
    for flag in Flag.objects.filter(post__in=reviewable, resolution="").select_related("reporter__profile"):
        flags.setdefault(flag.post_id, []).append(flag)
    for post in posts:
        post.open_flag_list = flags.get(post.pk, [])
    return TemplateResponse(
        request,
        "forum/admin/queue.html",
        {"page_obj": page_obj, "posts": posts, "reason_form": ReasonForm()},
    )


@require_http_methods(["GET"])
@moderator_required
def threads(request):
    form = AdminThreadFilterForm(request.GET or None, user=request.user)
    filters = form.cleaned_data if form.is_valid() else {}
    qs = admin_selectors.admin_thread_list(
        user=request.user,
        q=filters.get("q", ""),
        category=filters.get("category"),
        state=filters.get("state", ""),
    )
    page_obj = Paginator(qs, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return TemplateResponse(
        request,
        "forum/admin/threads.html",
        {"form": form, "page_obj": page_obj, "threads": page_obj.object_list, "query": query.urlencode()},
    )


@require_POST
@moderator_required
def post_approve(request, pk):
    post = _moderated_post(request.user, pk)
    services.post_approve(moderator=request.user, post=post, origin=Actor.from_request(request))
    messages.success(request, "The post is approved and visible.")
    return redirect("forum_admin:queue")


@require_POST
@moderator_required
def post_hide(request, pk):
    post = _moderated_post(request.user, pk)
    form = ReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Tell the author why the post is hidden.")
        return redirect("forum_admin:queue")
    services.post_hide(
        moderator=request.user,
        post=post,
        reason=form.cleaned_data["reason"],
        origin=Actor.from_request(request),
    )
    messages.success(request, "The post is hidden and its author was told why.")
    return redirect("forum_admin:queue")


@require_http_methods(["GET", "POST"])
@moderator_required
def thread_manage(request, pk):
    thread = get_object_or_404(Thread.objects.select_related("category", "author"), pk=pk)
    if not permissions.can_moderate(request.user, thread.category):
        raise Http404
    action = request.POST.get("action") if request.method == "POST" else None
    move_form = MoveForm(
        request.POST if action == "move" else None,
        user=request.user,
        initial={"category": thread.category_id},
    )
    merge_form = MergeForm(request.POST if action == "merge" else None)
    tags_form = TagsForm(
        request.POST if action == "tags" else None,
        initial={"tags": ", ".join(thread.tags.values_list("name", flat=True))},
    )
    try:
        if action == "restore":
            post = get_object_or_404(
                Post, pk=request.POST.get("post") or 0, thread=thread, status=Post.Status.HIDDEN
            )
            services.post_restore(moderator=request.user, post=post, origin=Actor.from_request(request))
            messages.success(request, "The post is restored and its author was told.")
            return redirect("forum_admin:thread_manage", pk=pk)
        if action in ("lock", "unlock"):
            services.thread_set_locked(
                moderator=request.user,
                thread=thread,
                locked=action == "lock",
                reason=request.POST.get("reason", "")[:300],
                origin=Actor.from_request(request),
            )
            messages.success(request, "Thread locked." if action == "lock" else "Thread unlocked.")
            return redirect("forum_admin:thread_manage", pk=pk)
        if action in ("pin", "unpin"):
            services.thread_set_pinned(
                moderator=request.user,
                thread=thread,
                pinned=action == "pin",
                origin=Actor.from_request(request),
            )
            messages.success(request, "Thread pinned." if action == "pin" else "Thread unpinned.")
            return redirect("forum_admin:thread_manage", pk=pk)
        if action == "welcome":
            services.thread_set_welcome(
                moderator=request.user, thread=thread, origin=Actor.from_request(request)
            )
            messages.success(request, "This is now the welcome thread newcomers are asked to post in.")
            return redirect("forum_admin:thread_manage", pk=pk)
        if action == "move" and move_form.is_valid():
            services.thread_move(
                moderator=request.user,
                thread=thread,
                category=move_form.cleaned_data["category"],
                reason=move_form.cleaned_data["reason"],
                confirm_wider=move_form.cleaned_data["confirm_wider"],
                origin=Actor.from_request(request),
            )
            messages.success(request, f"Thread moved to {thread.category.name}.")
            return redirect("forum_admin:thread_manage", pk=pk)
        if action == "merge" and merge_form.is_valid():
            target = (
                Thread.objects.select_related("category").filter(pk=merge_form.cleaned_data["target"]).first()
            )
            if target is None or not permissions.can_moderate(request.user, target.category):
                merge_form.add_error("target", "There is no thread with that number.")
            else:
                services.thread_merge(
                    moderator=request.user,
                    source=thread,
                    target=target,
                    reason=merge_form.cleaned_data["reason"],
                    confirm_wider=merge_form.cleaned_data["confirm_wider"],
                    origin=Actor.from_request(request),
                )
                messages.success(request, f"Merged into “{target.title}”.")
                return redirect("forum_admin:thread_manage", pk=target.pk)
        if action == "tags" and tags_form.is_valid():
            tags = [t for t in tags_form.cleaned_data["tags"].split(",") if t.strip()]
            services.thread_tags_set(
                moderator=request.user, thread=thread, tags=tags, origin=Actor.from_request(request)
            )
            messages.success(request, "Tags saved.")
            return redirect("forum_admin:thread_manage", pk=pk)
    except services.ForumError as exc:
        messages.error(request, exc.message)
    return TemplateResponse(
        request,
        "forum/admin/thread_manage.html",
        {
            "thread": thread,
            "move_form": move_form,
            "merge_form": merge_form,
            "tags_form": tags_form,
            "hidden_posts": Post.objects.filter(thread=thread, status=Post.Status.HIDDEN)
            .select_related("author__profile", "hidden_by__profile")
            .order_by("id")[:100],
        },
    )


@require_http_methods(["GET", "POST"])
@moderator_required
def suspensions(request):
    User = get_user_model()
    form = SuspendForm(request.POST or None)
    member_id = request.POST.get("member") or request.GET.get("member")
    member_id = str(member_id or "")
    valid_id = member_id.isascii() and member_id.isdigit() and len(member_id) <= 18
    member = User.objects.filter(pk=int(member_id)).first() if valid_id else None
    if request.method == "POST" and request.POST.get("action") == "lift":
        suspension = get_object_or_404(Suspension, pk=request.POST.get("suspension"), lifted_at__isnull=True)
        services.suspension_lift(
            moderator=request.user, suspension=suspension, origin=Actor.from_request(request)
        )
        messages.success(request, "Suspension lifted.")
        return redirect("forum_admin:suspensions")
    if request.method == "POST" and form.is_valid():
        if member is None:
            messages.error(request, "Choose a member.")
        else:
            try:
                services.member_suspend(
                    moderator=request.user,
                    user=member,
                    reason=form.cleaned_data["reason"],
                    days=form.cleaned_data["days"],
                    origin=Actor.from_request(request),
                )
            except services.ForumError as exc:
                messages.error(request, exc.message)
            else:
                messages.success(request, f"{member.display_name} is suspended from posting.")
                return redirect("forum_admin:suspensions")
    active = Suspension.objects.filter(lifted_at__isnull=True).select_related("user__profile", "created_by")
    return TemplateResponse(
        request,
        "forum/admin/suspensions.html",
        {"form": form, "member": member, "suspensions": active[:200]},
    )


class _AudienceAudited:
    """Category create and edit views: a change of audience is an audit event (only
    administrators can make one; ``CategoryForm`` keeps the field read-only to others)."""

    def save_instance(self):
        before = {name: list(self.form.initial.get(name) or []) for name in AUDIENCE_FIELDS}
        instance = super().save_instance()
        if self.form.audience_changed:
            # Members no longer in the audience stop following its threads live at once.
            live.category_access_changed(instance.pk)
            audit_record(
                action="forum.category_audience",
                request=self.request,
                target=instance,
                detail={
                    "before": before,
                    "after": {name: list(getattr(instance, name)) for name in AUDIENCE_FIELDS},
                },
            )
        return instance


class CategoryCreateView(_AudienceAudited, generic.CreateView):
    pass


class CategoryEditView(_AudienceAudited, generic.EditView):
    pass
