"""Views of discussions. Thin: forms validate, services write, selectors read.

Everything works with ordinary page loads and forms; what a member may not
see is a 404.
"""

from django.contrib import messages
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from connect import fragments
from connect.actors import Actor
from connect.fragments import Lazy

from . import permissions, selectors, services
from .forms import EditForm, FlagForm, PostForm, RedactForm, ThreadForm, new_token
from .models import Post, PostRevision, Reaction, SuggestionStatus, ThreadSubscription
from .signals import fragment_depends, marks_scope, thread_scope


def _back(request, fallback):
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect(fallback)


def _apply_error(form, exc):
    """Put a service error on the form so the member sees it next to what they typed."""
    field = exc.field if exc.field in form.fields else None
    form.add_error(field, exc.message)


def _id_or_none(value):
    """An object id from a query string or form: ASCII digits that fit a database integer."""
    value = (value or "").strip()
    if value.isascii() and value.isdigit() and len(value) <= 18:
        return int(value)
    return None


def _page_number(request):
    return request.GET.get("page") or 1


def post_url(*, user, post):
    page = selectors.post_page_number(user=user, post=post)
    url = reverse("forum:thread", kwargs={"pk": post.thread_id})
    if page > 1:
        url += f"?page={page}"
    return f"{url}#post-{post.pk}"


# --- Reading -------------------------------------------------------------------------


@require_GET
def index(request):
    # Worked out only when the member's cached copy of the page's lists is
    # missing or out of date (the {% fragment %} in the template).
    return render(
        request,
        "forum/index.html",
        {
            "categories": Lazy(selectors.category_index, user=request.user),
            "recent": Lazy(selectors.recent_threads, user=request.user, limit=10),
            "fragment_depends": fragment_depends(request.user),
        },
    )


@require_GET
def thread_start(request):
    """The index's "New thread": where can the member start one? Straight to the
    form when there is only one place."""
    categories = selectors.startable_categories(user=request.user)
    if len(categories) == 1:
        return redirect("forum:thread_create", slug=categories[0].slug)
    return render(request, "forum/thread_start.html", {"categories": categories})


@require_GET
def category(request, slug):
    category = selectors.category_for(user=request.user, slug=slug)
    sort = request.GET.get("sort", "")
    if sort not in ("votes", "new"):
        sort = "activity"
    tag = request.GET.get("tag", "")[:50]
    page = _page_number(request)
    # The list and its pagination are worked out only when the member's
    # cached copy is missing or out of date (the {% fragment %} in the template).
    page_obj = Lazy(
        selectors.thread_list, user=request.user, category=category, page=page, sort=sort, tag=tag
    )
    query = []
    if sort != "activity":
        query.append(f"sort={sort}")
    if tag:
        from urllib.parse import quote

        query.append(f"tag={quote(tag)}")
    return render(
        request,
        "forum/category.html",
        {
            "category": category,
            "page_obj": page_obj,
            "page": page,
            "sort": sort,
            "tag": tag,
            "querystring": "&".join(query),
            "can_start": permissions.can_start_thread(request.user, category),
            "is_watched": category.subscriptions.filter(user=request.user).exists(),
            "fragment_depends": fragment_depends(request.user),
        },
    )


SUBMISSION_MARKER = fragments.marker("forum.submission_token")


def _thread_posts(user, thread, page):
    """The page of posts, worked out only when the member's cached copy of the
    thread page is missing or out of date; reading them marks them read."""
    selectors.thread_member_state(user=user, thread=thread)
    data = selectors.thread_page_posts(user=user, thread=thread, page=page)
    for post in data["posts"]:
        post.actions = permissions.post_actions(user, post, thread=thread)
    if data["max_post_id"] > data["last_read_post_id"]:
        services.thread_mark_read(user=user, thread=thread, post_id=data["max_post_id"])
    return data


@require_GET
def thread(request, pk):
    user = request.user
    try:
        thread = selectors.thread_for(user=user, pk=pk, with_author=False)
    except Http404:
        # A merged thread sends old links on to the thread it was merged into.
        target = selectors.merged_target(user=user, pk=pk)
        if target is None:
            raise
        return redirect(target.get_absolute_url())
    if thread.merged_into_id and not permissions.is_moderator(user):
        return redirect("forum:thread", pk=thread.merged_into_id)
    is_moderator = permissions.is_moderator(user)
    page = _page_number(request)
    data = Lazy(_thread_posts, user, thread, page)
    category = thread.category
    return render(
        request,
        "forum/thread.html",
        {
            "thread": thread,
            # The posts and everything about them are read only when the
            # member's cached copy (the {% fragment %} in the template) is
            # missing or out of date; a cached copy marked its posts read.
            "page_obj": Lazy(lambda: data()["page_obj"]),
            "posts": Lazy(lambda: data()["posts"]),
            "first_unread": Lazy(lambda: data()["first_unread"]),
            "tags": Lazy(lambda: data()["tags"]),
            "subscription": Lazy(lambda: data()["subscription"]),
            "is_bookmarked": Lazy(lambda: data()["is_bookmarked"]),
            "has_voted": Lazy(lambda: data()["has_voted"]),
            # The reply form is in the cached copy: its one-time token is put in on each view.
            "form": Lazy(PostForm, initial={"submission_token": SUBMISSION_MARKER}),
            "fragment_fills": {SUBMISSION_MARKER: new_token()},
            "can_reply": permissions.can_reply(user, thread),
            "is_moderator": is_moderator,
            "is_suspended": permissions.is_suspended(user),
            "can_vote": permissions.can_vote(user, thread),
            "reaction_kinds": Reaction.Kind.choices,
            "suggestion_statuses": SuggestionStatus.choices,
            "querystring": "",
            # Posts build their links from these instead of reversing a dozen URLs each.
            "post_base": reverse("forum:post", kwargs={"pk": 0})[:-2],
            "reply_url": reverse("forum:reply", kwargs={"pk": thread.pk}),
            "queue_url": reverse("forum_admin:queue") if is_moderator else "",
            # The cached copy is the member's own, for this page of this thread as
            # it is now (every change numbers a new event and moves thread_scope),
            # what the member may do in it (the signature of the permission
            # rules), their marks on the board (read, watched, bookmarked, voted)
            # and the names it shows (PROFILES).
            "fragment_depends": [marks_scope(user.pk), thread_scope(thread.pk), fragments.PROFILES],
            "fragment_vary": [
                thread.pk,
                page,
                thread.event_seq,
                permissions.thread_signature(user, thread),
                is_moderator,
                permissions.is_suspended(user),
                (category.pk, category.name, category.slug, category.is_suggestions, category.is_archived),
            ],
        },
    )


@require_GET
def thread_unread(request, pk):
    thread = selectors.thread_for(user=request.user, pk=pk)
    post = selectors.first_unread_post(user=request.user, thread=thread)
    if post is None:
        post = thread.last_post or thread.first_post
    if post is None:
        return redirect("forum:thread", pk=thread.pk)
    return redirect(post_url(user=request.user, post=post))


@require_GET
def post_permalink(request, pk):
    post = selectors.post_for(user=request.user, pk=pk)
    return redirect(post_url(user=request.user, post=post))


@require_GET
def post_history(request, pk):
    post = selectors.post_for(user=request.user, pk=pk)
    if not permissions.can_view_revisions(request.user, post):
        raise Http404
    revisions = PostRevision.objects.filter(post=post).select_related("edited_by__profile")
    return render(
        request,
        "forum/post_history.html",
        {
            "post": post,
            "revisions": revisions,
            "can_redact": permissions.can_moderate(request.user, post.thread.category),
        },
    )


@require_http_methods(["GET", "POST"])
def post_redact(request, pk):
    """Moderators of the post's category redact a passage or a revision; anyone else gets a 404."""
    post = selectors.post_for(user=request.user, pk=pk)
    if not permissions.can_moderate(request.user, post.thread.category):
        raise Http404
    form = RedactForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        passage = form.cleaned_data["passage"]
        revision = form.cleaned_data["revision"]
        try:
            services.post_redact(
                actor=request.user,
                post=post,
                passage=passage if passage.strip() and not revision else None,
                revision=revision or None,
                origin=Actor.from_request(request),
            )
        except services.NotAllowed:
            raise Http404
        except services.ForumError as exc:
            _apply_error(form, exc)
        else:
            messages.success(request, "Redacted everywhere it was kept.")
            return redirect("forum:post_history", pk=post.pk)
    revisions = PostRevision.objects.filter(post=post).select_related("edited_by__profile")
    status = 400 if request.method == "POST" else 200
    return render(
        request, "forum/post_redact.html", {"post": post, "form": form, "revisions": revisions}, status=status
    )


@require_GET
def bookmarks(request):
    page_obj = selectors.bookmarked_threads(user=request.user, page=_page_number(request))
    return render(request, "forum/bookmarks.html", {"page_obj": page_obj, "threads": page_obj.object_list})


@require_GET
def mention_suggestions(request):
    return JsonResponse(
        {
            "results": selectors.mention_suggestions(
                user=request.user,
                q=request.GET.get("q", ""),
                category_slug=request.GET.get("category", "")[:200],
            )
        }
    )


# --- Writing ---------------------------------------------------------------------------


@require_POST
def post_preview(request):
    """The composer's preview: the body rendered as it would be posted (JSON)."""
    try:
        html = services.post_preview(author=request.user, body=request.POST.get("body", ""))
    except services.NotAllowed:
        raise Http404 from None
    except services.ForumError as exc:
        return JsonResponse({"error": exc.message}, status=400)
    return JsonResponse({"html": html})


def _privacy_context(exc):
    return {"privacy_findings": exc.findings} if isinstance(exc, services.PrivacyCheckRequired) else {}


@require_http_methods(["GET", "POST"])
def thread_create(request, slug):
    category = selectors.category_for(user=request.user, slug=slug)
    if not permissions.can_start_thread(request.user, category):
        if permissions.is_suspended(request.user):
            messages.error(request, "Your account is suspended from posting in discussions.")
            return redirect(category.get_absolute_url())
        raise Http404
    form = ThreadForm(request.POST or None)
    extra = {}
    if request.method == "POST" and form.is_valid():
        try:
            thread = services.thread_create(
                author=request.user,
                category=category,
                title=form.cleaned_data["title"],
                body=form.cleaned_data["body"],
                tags=form.tag_list(),
                is_question=form.cleaned_data["is_question"],
                submission_token=form.cleaned_data["submission_token"],
                confirm_privacy=form.cleaned_data["confirm_privacy"],
            )
        except services.NotAllowed:
            raise Http404
        except services.ForumError as exc:
            _apply_error(form, exc)
            extra = _privacy_context(exc)
        else:
            if thread.is_hidden:
                messages.info(request, "Your thread is waiting for a moderator to review it.")
            else:
                messages.success(request, "Your thread is posted.")
            return redirect(thread.get_absolute_url())
    status = 400 if request.method == "POST" else 200
    return render(
        request, "forum/thread_form.html", {"category": category, "form": form, **extra}, status=status
    )


@require_http_methods(["GET", "POST"])
def reply(request, pk):
    thread = selectors.thread_for(user=request.user, pk=pk)
    initial = {}
    if request.method == "GET":
        quote = _id_or_none(request.GET.get("quote"))
        if quote is not None:
            quoted = (
                Post.objects.select_related("thread__category", "author__profile").filter(pk=quote).first()
            )
            if (
                quoted is not None
                and quoted.thread_id == thread.pk
                and permissions.can_quote(request.user, quoted)
            ):
                initial["body"] = services.quote_markdown(quoted)
    form = PostForm(request.POST or None, initial=initial)
    extra = {}
    if request.method == "POST" and form.is_valid():
        try:
            post = services.post_create(
                author=request.user,
                thread=thread,
                body=form.cleaned_data["body"],
                submission_token=form.cleaned_data["submission_token"],
                confirm_privacy=form.cleaned_data["confirm_privacy"],
            )
        except services.NotAllowed:
            raise Http404
        except services.ForumError as exc:
            _apply_error(form, exc)
            extra = _privacy_context(exc)
        else:
            if post.status == Post.Status.HELD:
                messages.info(request, "Your reply is waiting for a moderator to review it.")
            else:
                messages.success(request, "Your reply is posted.")
            return redirect(post_url(user=request.user, post=post))
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "forum/reply_form.html",
        {"thread": thread, "form": form, "can_reply": permissions.can_reply(request.user, thread), **extra},
        status=status,
    )


@require_http_methods(["GET", "POST"])
def post_edit(request, pk):
    post = selectors.post_for(user=request.user, pk=pk)
    if not permissions.can_edit_post(request.user, post):
        raise Http404
    is_first = post.thread.first_post_id == post.pk
    initial = {"body": post.body, "title": post.thread.title}
    form = EditForm(
        request.POST or None,
        initial=initial,
        with_title=is_first,
        with_reason=post.author_id != request.user.pk,
    )
    extra = {}
    if request.method == "POST" and form.is_valid():
        try:
            edited = services.post_edit(
                editor=request.user,
                post=post,
                body=form.cleaned_data["body"],
                title=form.cleaned_data.get("title") if is_first else None,
                confirm_privacy=form.cleaned_data["confirm_privacy"],
                reason=form.cleaned_data.get("reason", ""),
                origin=Actor.from_request(request),
            )
        except services.NotAllowed:
            raise Http404
        except services.ForumError as exc:
            _apply_error(form, exc)
            extra = _privacy_context(exc)
        else:
            if edited.status == Post.Status.HELD:
                messages.info(request, "Your changes are waiting for a moderator to review them.")
            else:
                messages.success(request, "Your changes are saved.")
            return redirect(post_url(user=request.user, post=edited))
    status = 400 if request.method == "POST" else 200
    return render(request, "forum/post_edit.html", {"post": post, "form": form, **extra}, status=status)


@require_http_methods(["GET", "POST"])
def post_delete(request, pk):
    post = selectors.post_for(user=request.user, pk=pk)
    if not permissions.can_delete_post(request.user, post):
        raise Http404
    error = ""
    if request.method == "POST":
        try:
            services.post_delete(
                user=request.user,
                post=post,
                reason=request.POST.get("reason", "")[:500],
                origin=Actor.from_request(request),
            )
        except services.ForumError as exc:
            error = exc.message
        else:
            return _deleted(request, post)
    return render(
        request,
        "forum/post_delete.html",
        {
            "post": post,
            "is_moderator": permissions.is_moderator(request.user),
            "error": error,
            "reason": request.POST.get("reason", "")[:500],
        },
        status=400 if error else 200,
    )


def _deleted(request, post):
    messages.success(
        request, "The post is deleted." if post.author_id == request.user.pk else "The post is hidden."
    )
    if post.thread.first_post_id == post.pk and not permissions.is_moderator(request.user):
        return redirect(post.thread.category.get_absolute_url())
    return redirect("forum:thread", pk=post.thread_id)


@require_POST
def post_restore(request, pk):
    post = selectors.post_for(user=request.user, pk=pk)
    if not permissions.can_restore_post(request.user, post):
        raise Http404
    services.post_restore(moderator=request.user, post=post, origin=Actor.from_request(request))
    messages.success(request, "The post is restored.")
    return redirect(post_url(user=request.user, post=post))


@require_POST
def post_react(request, pk):
    post = selectors.post_for(user=request.user, pk=pk)
    kind = request.POST.get("kind", "")
    try:
        added = services.reaction_toggle(user=request.user, post=post, kind=kind)
    except services.NotAllowed:
        raise Http404
    except services.ForumError as exc:
        messages.error(request, exc.message)
    else:
        label = dict(Reaction.Kind.choices).get(kind, kind)
        messages.success(request, f"You marked the post “{label}”." if added else f"You took back “{label}”.")
    return redirect(post_url(user=request.user, post=post))


@require_http_methods(["GET", "POST"])
def post_flag(request, pk):
    post = selectors.post_for(user=request.user, pk=pk)
    if not permissions.can_flag(request.user, post):
        raise Http404
    form = FlagForm(request.POST or None)
    extra = {}
    if request.method == "POST" and form.is_valid():
        try:
            services.flag_create(
                reporter=request.user,
                post=post,
                reason=form.cleaned_data["reason"],
                details=form.cleaned_data["details"],
                confirm_privacy=form.cleaned_data["confirm_privacy"],
            )
        except services.ForumError as exc:
            _apply_error(form, exc)
            extra = _privacy_context(exc)
        else:
            messages.success(request, "Thank you. Moderators will review the post.")
            return redirect(post_url(user=request.user, post=post))
    return render(request, "forum/post_flag.html", {"post": post, "form": form, **extra})


@require_POST
def post_accept(request, pk):
    post = selectors.post_for(user=request.user, pk=pk)
    thread = post.thread
    clear = request.POST.get("clear") == "1"
    try:
        services.answer_accept(user=request.user, thread=thread, post=None if clear else post)
    except services.NotAllowed:
        raise Http404
    except services.ForumError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Accepted answer cleared." if clear else "Marked as the accepted answer.")
    return redirect(post_url(user=request.user, post=post))


@require_POST
def thread_subscription(request, pk):
    thread = selectors.thread_for(user=request.user, pk=pk)
    level = request.POST.get("level") or None
    if level not in (None, *ThreadSubscription.Level.values):
        raise Http404
    services.thread_subscription_set(user=request.user, thread=thread, level=level)
    messages.success(
        request,
        {
            None: "You'll be notified only when someone mentions or quotes you.",
            "watching": "You're watching this thread.",
            "muted": "You muted this thread.",
        }[level],
    )
    return _back(request, thread.get_absolute_url())


@require_POST
def thread_bookmark(request, pk):
    thread = selectors.thread_for(user=request.user, pk=pk)
    added = services.bookmark_toggle(user=request.user, thread=thread)
    messages.success(request, "Bookmarked." if added else "Bookmark removed.")
    return _back(request, thread.get_absolute_url())


@require_POST
def thread_vote(request, pk):
    thread = selectors.thread_for(user=request.user, pk=pk)
    try:
        added = services.vote_toggle(user=request.user, thread=thread)
    except services.ForumError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Your vote is counted." if added else "Your vote is withdrawn.")
    return _back(request, thread.get_absolute_url())


@require_POST
def thread_moderate(request, pk):
    """Quick moderator actions from the thread page: lock, pin, suggestion status."""
    thread = selectors.thread_for(user=request.user, pk=pk)
    if not permissions.is_moderator(request.user):
        raise Http404
    action = request.POST.get("action")
    reason = request.POST.get("reason", "")[:300]
    if action in ("lock", "unlock"):
        try:
            services.thread_set_locked(
                moderator=request.user,
                thread=thread,
                locked=action == "lock",
                reason=reason,
                origin=Actor.from_request(request),
            )
        except services.ForumError as exc:
            messages.error(request, exc.message)
            return redirect(thread.get_absolute_url())
    elif action in ("pin", "unpin"):
        services.thread_set_pinned(
            moderator=request.user, thread=thread, pinned=action == "pin", origin=Actor.from_request(request)
        )
    elif action == "status":
        try:
            services.suggestion_status_set(
                moderator=request.user,
                thread=thread,
                status=request.POST.get("status", ""),
                origin=Actor.from_request(request),
            )
        except services.ForumError as exc:
            messages.error(request, exc.message)
            return redirect(thread.get_absolute_url())
    else:
        raise Http404
    messages.success(request, "Done.")
    return redirect(thread.get_absolute_url())


@require_POST
def category_watch(request, slug):
    category = selectors.category_for(user=request.user, slug=slug)
    watching = services.category_watch_toggle(user=request.user, category=category)
    messages.success(
        request, f"You're watching {category.name}." if watching else f"You stopped watching {category.name}."
    )
    return redirect(category.get_absolute_url())
