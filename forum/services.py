"""Every write in discussions happens here.

Each service checks permissions, validates, writes inside a transaction and
schedules its side effects (notifications, emails, search index) with
``transaction.on_commit`` through :mod:`forum.events`, so nothing is sent for
a write that is rolled back.
"""

from __future__ import annotations

import re
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Max
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify

from connect.audit import audit_record

from . import emails, events, live, permissions, privacy
from .models import (
    Bookmark,
    CategorySubscription,
    EmailFrequency,
    Flag,
    MemberHandle,
    Notification,
    NotificationPreference,
    Post,
    PostRevision,
    Reaction,
    SuggestionStatus,
    Suspension,
    Thread,
    ThreadRead,
    ThreadSubscription,
    Vote,
)
from .rendering import (
    MAX_SOURCE_CHARS,
    MarkdownTooComplex,
    MarkdownTooLong,
    extract_mentions,
    render_markdown,
)

MAX_TITLE_CHARS = 200
MAX_TAGS = 5


class ForumError(Exception):
    """A write was refused; ``message`` is written for the member, ``field`` names the form field."""

    def __init__(self, message, field=None):
        super().__init__(message)
        self.message = message
        self.field = field


class NotAllowed(ForumError):
    """The member may not do this. Views answer with a 404."""

    def __init__(self, message="Not found."):
        super().__init__(message)


class PrivacyCheckRequired(ForumError):
    """The text looks like it identifies a victim; the author must edit or confirm."""

    def __init__(self, findings):
        super().__init__("This post may identify a victim.", field="body")
        self.findings = findings


# --- Handles and rendering -----------------------------------------------------


def _handle_base(user):
    base = slugify(user.display_name or user.email.split("@")[0]).replace("-", ".")
    return (base or f"member{user.pk}")[:120]


def handle_for(user):
    """The member's @handle, created from their display name the first time it is needed."""
    existing = getattr(user, "forum_handle", None) if _has_cached_handle(user) else None
    if existing is None:
        existing = MemberHandle.objects.filter(user=user).first()
    if existing is not None:
        return existing.handle
    base = _handle_base(user)
    candidate = base
    for n in range(2, 50):
        try:
            with transaction.atomic():
                MemberHandle.objects.create(user=user, handle=candidate, handle_lower=candidate.lower())
            return candidate
        except IntegrityError:
            existing = MemberHandle.objects.filter(user=user).first()
            if existing is not None:
                return existing.handle
            candidate = f"{base}{n}"
    candidate = f"member{user.pk}"
    MemberHandle.objects.get_or_create(user=user, defaults={"handle": candidate, "handle_lower": candidate})
    return candidate


def _has_cached_handle(user):
    try:
        user.forum_handle  # noqa: B018 - raises when the relation is missing
    except MemberHandle.DoesNotExist:
        return False
    return True


def users_for_handles(handles):
    """Active users for ``@handles``, case-insensitively. Unknown handles are dropped."""
    lowered = {h.lower() for h in handles}
    if not lowered:
        return []
    return list(
        get_user_model()
        .objects.filter(forum_handle__handle_lower__in=lowered, is_active=True)
        .select_related("profile")
    )


def _mention_url(handle):
    row = MemberHandle.objects.filter(handle_lower=handle.lower()).select_related("user__profile").first()
    profile = getattr(row.user, "profile", None) if row else None
    return profile.get_absolute_url() if profile else None


def render_body(body):
    return render_markdown(body, mention_url=_mention_url)


def _validate_body(body):
    body = (body or "").replace("\r\n", "\n")
    if not body.strip():
        raise ForumError("Write something before posting: the post is empty.", field="body")
    if len(body) > MAX_SOURCE_CHARS:
        raise ForumError(
            f"The post is {len(body):,} characters long; the limit is {MAX_SOURCE_CHARS:,}. "
            "Please shorten it or split it into several posts.",
            field="body",
        )
    try:
        html = render_body(body)
    except (MarkdownTooComplex, MarkdownTooLong) as exc:
        raise ForumError(str(exc), field="body")
    return body, html


def _validate_title(title):
    title = " ".join((title or "").split())
    if not title:
        raise ForumError("Give the thread a title.", field="title")
    if len(title) > MAX_TITLE_CHARS:
        raise ForumError(
            f"The title is {len(title)} characters long; the limit is {MAX_TITLE_CHARS}.", field="title"
        )
    return title


def _clean_tags(tags):
    cleaned = []
    for tag in tags or []:
        tag = " ".join(str(tag).split()).lower()[:50]
        if tag and tag not in cleaned:
            cleaned.append(tag)
    if len(cleaned) > MAX_TAGS:
        raise ForumError(f"Use at most {MAX_TAGS} tags.", field="tags")
    return cleaned


def privacy_findings(text, *, author):
    """What the privacy guard finds in ``text``; members' own addresses and names are fine."""
    User = get_user_model()
    mentioned = users_for_handles(_safe_mentions(text))
    names = [u.display_name for u in [author, *mentioned]]
    names += [u.get_full_name() for u in [author, *mentioned]]

    def allowed_email(address):
        return User.objects.filter(email__iexact=address, is_active=True).exists()

    return privacy.summarize(privacy.scan(text, allowed_emails=allowed_email, allowed_names=names))


def _safe_mentions(body):
    try:
        return extract_mentions(body)
    except (MarkdownTooComplex, MarkdownTooLong):
        return []


def _guard(text, *, author, confirm_privacy):
    """Return findings when the author confirmed them, raise when they have not."""
    findings = privacy_findings(text, author=author)
    if findings and not confirm_privacy:
        raise PrivacyCheckRequired(findings)
    return findings


# --- Threads and posts ----------------------------------------------------------


def _existing_submission(author, token):
    if not token:
        return None
    return Post.objects.filter(author=author, submission_token=token).select_related("thread").first()


def refresh_thread(thread):
    """Recompute a thread's counters and hidden state from its posts."""
    visible = Post.objects.filter(thread=thread, status=Post.Status.VISIBLE)
    stats = visible.aggregate(n=Count("id"), last=Max("id"))
    last = Post.objects.filter(pk=stats["last"]).first() if stats["last"] else None
    first = Post.objects.filter(thread=thread).order_by("id").first()
    thread.first_post = first
    thread.last_post = last
    thread.reply_count = max(0, stats["n"] - (1 if first and first.status == Post.Status.VISIBLE else 0))
    if last is not None:
        thread.last_activity_at = max(thread.last_activity_at, last.created_at)
    thread.is_hidden = first is None or first.status != Post.Status.VISIBLE
    thread.save(update_fields=["first_post", "last_post", "reply_count", "last_activity_at", "is_hidden"])
    return thread


def _watch(user, thread):
    ThreadSubscription.objects.get_or_create(
        user=user, thread=thread, defaults={"level": ThreadSubscription.Level.WATCHING}
    )


def thread_create(
    *,
    author,
    category,
    title,
    body,
    tags=(),
    is_question=False,
    submission_token="",
    confirm_privacy=False,
):
    """Start a thread with its first post. A repeated submission token returns the first thread."""
    if not permissions.can_start_thread(author, category):
        raise NotAllowed
    existing = _existing_submission(author, submission_token)
    if existing is not None:
        return existing.thread
    title = _validate_title(title)
    body, html = _validate_body(body)
    tags = _clean_tags(tags)
    findings = _guard(f"{title}\n\n{body}", author=author, confirm_privacy=confirm_privacy)
    now = timezone.now()
    try:
        with transaction.atomic():
            thread = Thread.objects.create(
                category=category,
                title=title,
                author=author,
                created_at=now,
                last_activity_at=now,
                is_question=is_question,
                is_hidden=bool(findings),
            )
            post = Post.objects.create(
                thread=thread,
                author=author,
                body=body,
                body_html=html,
                created_at=now,
                status=Post.Status.HELD if findings else Post.Status.VISIBLE,
                privacy_findings=findings,
                submission_token=submission_token or "",
            )
            if tags:
                thread.tags.set(tags)
            refresh_thread(thread)
            _watch(author, thread)
            ThreadRead.objects.update_or_create(
                user=author, thread=thread, defaults={"last_read_post_id": post.pk, "read_at": now}
            )
            events.post_saved(post, created=True)
    except IntegrityError:
        existing = _existing_submission(author, submission_token)
        if existing is None:
            raise
        return existing.thread
    return thread


def post_create(*, author, thread, body, submission_token="", confirm_privacy=False):
    """Reply to a thread. A repeated submission token returns the first post, creating nothing."""
    thread = Thread.objects.select_related("category").get(pk=thread.pk)
    if not permissions.can_see_thread(author, thread):
        raise NotAllowed
    existing = _existing_submission(author, submission_token)
    if existing is not None:
        return existing
    if not permissions.can_reply(author, thread):
        if permissions.is_suspended(author):
            raise ForumError("Your account is suspended from posting in discussions.")
        raise ForumError("This thread is locked: no new replies can be posted.")
    body, html = _validate_body(body)
    findings = _guard(body, author=author, confirm_privacy=confirm_privacy)
    try:
        with transaction.atomic():
            post = Post.objects.create(
                thread=thread,
                author=author,
                body=body,
                body_html=html,
                status=Post.Status.HELD if findings else Post.Status.VISIBLE,
                privacy_findings=findings,
                submission_token=submission_token or "",
            )
            live.record(thread, live.Kind.POST_CREATED, post_id=post.pk)
            refresh_thread(thread)
            _watch(author, thread)
            ThreadRead.objects.update_or_create(
                user=author, thread=thread, defaults={"last_read_post_id": post.pk, "read_at": timezone.now()}
            )
            events.post_saved(post, created=True)
    except IntegrityError:
        existing = _existing_submission(author, submission_token)
        if existing is None:
            raise
        return existing
    return post


def post_edit(*, editor, post, body, title=None, confirm_privacy=False, reason="", request=None):
    """Edit a post, keeping the earlier text as a revision. Editing the first post may retitle the thread.

    A moderator editing someone else's post gives a ``reason``; the author is told it."""
    post = Post.objects.select_related("thread__category").get(pk=post.pk)
    if not permissions.can_see_post(editor, post):
        raise NotAllowed
    if not permissions.can_edit_post(editor, post):
        raise ForumError("You can't edit this post.")
    reason = (reason or "").strip()
    if editor.pk != post.author_id and not reason:
        raise ForumError("Tell the author why you are editing their post.", field="reason")
    body, html = _validate_body(body)
    thread = post.thread
    is_first = thread.first_post_id == post.pk
    new_title = _validate_title(title) if (is_first and title is not None) else thread.title
    if body == post.body and new_title == thread.title:
        return post
    findings = _guard(
        f"{new_title}\n\n{body}" if is_first else body, author=editor, confirm_privacy=confirm_privacy
    )
    old_mentions = {h.lower() for h in _safe_mentions(post.body)}
    with transaction.atomic():
        live.record(thread, live.Kind.POST_EDITED, post_id=post.pk)
        PostRevision.objects.create(
            post=post, body=post.body, title=thread.title if is_first else "", edited_by=editor
        )
        post.body = body
        post.body_html = html
        post.edited_at = timezone.now()
        update = ["body", "body_html", "edited_at"]
        if findings:
            # Held like a new post, whoever confirmed it: another look before others see it.
            post.status = Post.Status.HELD
            post.privacy_findings = findings
            update += ["status", "privacy_findings"]
        post.save(update_fields=update)
        if is_first and new_title != thread.title:
            thread.title = new_title
            thread.save(update_fields=["title"])
        refresh_thread(thread)
        if editor.pk != post.author_id:
            _moderation_notice(
                post, editor, f"edited your post: {reason}", request=request, action="forum.post_edit"
            )
        events.post_saved(post, created=False, previous_mentions=old_mentions)
    return post


def post_delete(*, user, post, reason="", request=None):
    """Soft-delete: the post is hidden (restorable by moderators). Deleting a first post hides the thread."""
    post = Post.objects.select_related("thread__category").get(pk=post.pk)
    if not permissions.can_delete_post(user, post):
        raise NotAllowed
    reason = (reason or "").strip()
    if user.pk != post.author_id and not reason:
        raise ForumError("Tell the author why the post is hidden.", field="reason")
    with transaction.atomic():
        live.record(post.thread, live.Kind.POST_DELETED, post_id=post.pk)
        post.status = Post.Status.HIDDEN
        post.hidden_by = user
        post.hidden_reason = (
            reason[:500] if reason else ("Deleted by the author" if user.pk == post.author_id else "")
        )
        post.save(update_fields=["status", "hidden_by", "hidden_reason"])
        refresh_thread(post.thread)
        if user.pk != post.author_id:
            _moderation_notice(
                post,
                user,
                f"removed your post: {reason}",
                request=request,
                action="forum.post_hide",
            )
        else:
            audit_record(action="forum.post_delete", request=request, actor=user, target=post)
        events.post_changed(post)
    return post


def post_restore(*, moderator, post, request=None):
    post = Post.objects.select_related("thread__category").get(pk=post.pk)
    if not permissions.can_restore_post(moderator, post):
        raise NotAllowed
    with transaction.atomic():
        live.record(post.thread, live.Kind.POST_RESTORED, post_id=post.pk)
        post.status = Post.Status.VISIBLE
        post.hidden_by = None
        post.hidden_reason = ""
        post.save(update_fields=["status", "hidden_by", "hidden_reason"])
        refresh_thread(post.thread)
        _moderation_notice(
            post, moderator, "restored your post", request=request, action="forum.post_restore"
        )
        events.post_changed(post)
    return post


# --- Reactions, bookmarks, subscriptions, reading ------------------------------------


def reaction_toggle(*, user, post, kind):
    """Add the reaction, or take it back if it is already there. Returns True when added."""
    if kind not in Reaction.Kind.values:
        raise ForumError("Unknown reaction.")
    post = Post.objects.select_related("thread__category").get(pk=post.pk)
    if not permissions.can_see_post(user, post):
        raise NotAllowed
    if not permissions.can_react(user, post):
        raise ForumError("You can't react to this post.")
    counter = f"{kind}_count"
    with transaction.atomic():
        live.record(post.thread, live.Kind.POST_REACTIONS, post_id=post.pk)
        deleted, _ = Reaction.objects.filter(post=post, user=user, kind=kind).delete()
        if deleted:
            Post.objects.filter(pk=post.pk).update(**{counter: F(counter) - 1})
            return False
        Reaction.objects.create(post=post, user=user, kind=kind)
        Post.objects.filter(pk=post.pk).update(**{counter: F(counter) + 1})
        events.notify_later(
            recipient_id=post.author_id,
            kind=Notification.Kind.REACTION,
            actor_id=user.pk,
            post=post,
            message=Reaction.Kind(kind).label,
        )
    return True


def bookmark_toggle(*, user, thread):
    if not permissions.can_see_thread(user, thread):
        raise NotAllowed
    deleted, _ = Bookmark.objects.filter(user=user, thread=thread).delete()
    if deleted:
        return False
    Bookmark.objects.get_or_create(user=user, thread=thread)
    return True


def thread_subscription_set(*, user, thread, level):
    """Watch or mute a thread; ``level`` None goes back to normal."""
    if not permissions.can_see_thread(user, thread):
        raise NotAllowed
    if level is None:
        ThreadSubscription.objects.filter(user=user, thread=thread).delete()
        return None
    if level not in ThreadSubscription.Level.values:
        raise ForumError("Unknown choice.")
    ThreadSubscription.objects.update_or_create(user=user, thread=thread, defaults={"level": level})
    return level


def category_watch_toggle(*, user, category):
    if not permissions.can_see_category(user, category):
        raise NotAllowed
    deleted, _ = CategorySubscription.objects.filter(user=user, category=category).delete()
    if deleted:
        return False
    CategorySubscription.objects.get_or_create(user=user, category=category)
    return True


def thread_mark_read(*, user, thread, post_id):
    """Remember that ``user`` has seen ``thread`` up to ``post_id``; never moves backwards."""
    if not post_id:
        return
    updated = ThreadRead.objects.filter(user=user, thread=thread, last_read_post_id__lt=post_id).update(
        last_read_post_id=post_id, read_at=timezone.now()
    )
    if not updated:
        try:
            with transaction.atomic():
                ThreadRead.objects.get_or_create(
                    user=user, thread=thread, defaults={"last_read_post_id": post_id}
                )
        except IntegrityError:
            pass


def vote_toggle(*, user, thread):
    thread = Thread.objects.select_related("category").get(pk=thread.pk)
    if not permissions.can_see_thread(user, thread):
        raise NotAllowed
    if not permissions.can_vote(user, thread):
        raise ForumError("You can't vote for this suggestion.")
    with transaction.atomic():
        live.record(thread, live.Kind.THREAD_VOTES)
        deleted, _ = Vote.objects.filter(user=user, thread=thread).delete()
        if deleted:
            Thread.objects.filter(pk=thread.pk).update(vote_count=F("vote_count") - 1)
            return False
        Vote.objects.create(user=user, thread=thread)
        Thread.objects.filter(pk=thread.pk).update(vote_count=F("vote_count") + 1)
    return True


def answer_accept(*, user, thread, post):
    """Mark ``post`` as the answer to a question (``post`` None clears it)."""
    thread = Thread.objects.select_related("category").get(pk=thread.pk)
    if not permissions.can_see_thread(user, thread):
        raise NotAllowed
    if not permissions.can_accept_answer(user, thread):
        raise ForumError("Only the person who asked can accept an answer.")
    if post is not None:
        post = Post.objects.filter(pk=post.pk).first()
        if post is None or not permissions.can_accept_answer(user, thread, post):
            raise ForumError("That reply can't be the accepted answer.")
    with transaction.atomic():
        live.record(thread, live.Kind.THREAD_ANSWER, post_id=post.pk if post else thread.accepted_answer_id)
        thread.accepted_answer = post
        thread.save(update_fields=["accepted_answer"])
        if post is not None and post.author_id != user.pk:
            events.notify_later(
                recipient_id=post.author_id, kind=Notification.Kind.ACCEPTED, actor_id=user.pk, post=post
            )
    return thread


def flag_create(*, reporter, post, reason, details=""):
    """Tell moderators about a post. Flagging the same post twice is a no-op."""
    post = Post.objects.select_related("thread__category").get(pk=post.pk)
    if not permissions.can_see_post(reporter, post):
        raise NotAllowed
    if not permissions.can_flag(reporter, post):
        raise ForumError("You can't flag this post.")
    if reason not in Flag.Reason.values:
        raise ForumError("Choose a reason.", field="reason")
    flag = Flag.objects.filter(post=post, reporter=reporter, resolution="").first()
    if flag is not None:
        return flag
    try:
        with transaction.atomic():
            return Flag.objects.create(
                post=post, reporter=reporter, reason=reason, details=(details or "")[:500]
            )
    except IntegrityError:
        return Flag.objects.get(post=post, reporter=reporter, resolution="")


# --- Notifications and preferences --------------------------------------------------


def notification_mark_read(*, user, notification_ids=None):
    qs = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if notification_ids is not None:
        qs = qs.filter(pk__in=notification_ids)
    return qs.update(read_at=timezone.now())


def preferences_for(user):
    pref, _ = NotificationPreference.objects.get_or_create(user=user)
    return pref


def preferences_update(*, user, mention_email, reply_email):
    for value in (mention_email, reply_email):
        if value not in EmailFrequency.values:
            raise ForumError("Unknown choice.")
    pref = preferences_for(user)
    pref.mention_email = mention_email
    pref.reply_email = reply_email
    with transaction.atomic():
        pref.save()
        # What waits for a digest follows the new choice: "never" drops it, the
        # other digest takes it over; "right away" leaves it for the digest it
        # was waiting for.
        for kind, frequency in (("mention", mention_email), ("reply", reply_email)):
            target = {
                EmailFrequency.NEVER: Notification.EmailState.SKIPPED,
                EmailFrequency.DAILY: Notification.EmailState.DAILY,
                EmailFrequency.WEEKLY: Notification.EmailState.WEEKLY,
            }.get(frequency)
            if target is None:
                continue
            Notification.objects.filter(
                recipient=user,
                kind__in=emails.notification_kinds_for(kind),
                email_state__in=[Notification.EmailState.DAILY, Notification.EmailState.WEEKLY],
            ).exclude(email_state=target).update(email_state=target)
    return pref


def email_unsubscribe(*, user, kind):
    """Stop emails of one kind ("mention" or "reply") for ``user``."""
    pref = preferences_for(user)
    field = {"mention": "mention_email", "reply": "reply_email"}[kind]
    setattr(pref, field, EmailFrequency.NEVER)
    pref.save(update_fields=[field])
    # What was waiting for a digest is not sent either.
    Notification.objects.filter(
        recipient=user,
        kind__in=emails.notification_kinds_for(kind),
        email_state__in=[Notification.EmailState.DAILY, Notification.EmailState.WEEKLY],
    ).update(email_state=Notification.EmailState.SKIPPED)
    return pref


# --- Moderation ------------------------------------------------------------------


def _require_moderator(user, category=None):
    """Moderators only and, for what is in ``category``, only those in its audience."""
    allowed = permissions.is_moderator(user) if category is None else permissions.can_moderate(user, category)
    if not allowed:
        raise NotAllowed


def _moderation_notice(post_or_thread, moderator, message, *, request=None, action, detail=None, link=True):
    """Audit a moderator action and tell the affected author why.

    With ``link=False`` the notice is not tied to the thread: for an author who
    can no longer see it (moved or merged into a category outside their audience)."""
    if isinstance(post_or_thread, Post):
        post, thread = post_or_thread, post_or_thread.thread
    else:
        post, thread = None, post_or_thread
    audit_record(
        action=action,
        request=request,
        actor=moderator,
        target=post or thread,
        detail={"message": message, **(detail or {})},
    )
    author_id = post.author_id if post is not None else thread.author_id
    if author_id != moderator.pk:
        events.notify_later(
            recipient_id=author_id,
            kind=Notification.Kind.MODERATION,
            actor_id=moderator.pk,
            post=post if link else None,
            thread=thread if link else None,
            message=message[:500],
        )


def _resolve_flags(post, moderator, resolution):
    Flag.objects.filter(post=post, resolution="").update(
        resolution=resolution, resolved_by=moderator, resolved_at=timezone.now()
    )


def post_approve(*, moderator, post, request=None):
    """Approve a held or flagged post: it becomes (or stays) visible and its flags are closed."""
    post = Post.objects.select_related("thread__category").get(pk=post.pk)
    _require_moderator(moderator, post.thread.category)
    with transaction.atomic():
        live.record(post.thread, live.Kind.POST_RESTORED, post_id=post.pk)
        was_held = post.status == Post.Status.HELD
        post.status = Post.Status.VISIBLE
        post.hidden_by = None
        post.hidden_reason = ""
        post.save(update_fields=["status", "hidden_by", "hidden_reason"])
        _resolve_flags(post, moderator, Flag.Resolution.APPROVED)
        refresh_thread(post.thread)
        _moderation_notice(
            post,
            moderator,
            "approved your post after review" if was_held else "reviewed your post and kept it visible",
            request=request,
            action="forum.post_approve",
        )
        if was_held:
            events.post_saved(post, created=True)
        else:
            events.post_changed(post)
    return post


def post_hide(*, moderator, post, reason, request=None):
    post = Post.objects.select_related("thread__category").get(pk=post.pk)
    _require_moderator(moderator, post.thread.category)
    reason = (reason or "").strip()
    if not reason:
        raise ForumError("Tell the author why the post is hidden.", field="reason")
    with transaction.atomic():
        live.record(post.thread, live.Kind.POST_HIDDEN, post_id=post.pk)
        post.status = Post.Status.HIDDEN
        post.hidden_by = moderator
        post.hidden_reason = reason[:500]
        post.save(update_fields=["status", "hidden_by", "hidden_reason"])
        _resolve_flags(post, moderator, Flag.Resolution.HIDDEN)
        refresh_thread(post.thread)
        _moderation_notice(
            post, moderator, f"hid your post: {reason}", request=request, action="forum.post_hide"
        )
        events.post_changed(post)
    return post


def _thread_action(moderator, thread, *, field, value, message, action, request):
    _require_moderator(moderator, thread.category)
    with transaction.atomic():
        live.record(thread, live.thread_kind(field, value))
        setattr(thread, field, value)
        thread.save(update_fields=[field])
        _moderation_notice(thread, moderator, message, request=request, action=action)
    return thread


def thread_set_locked(*, moderator, thread, locked, reason="", request=None):
    reason = (reason or "").strip()
    if locked and not reason:
        raise ForumError("Tell the author why the thread is locked.", field="reason")
    message = ("locked your thread" if locked else "unlocked your thread") + (f": {reason}" if reason else "")
    return _thread_action(
        moderator,
        thread,
        field="is_locked",
        value=bool(locked),
        message=message,
        action="forum.thread_lock" if locked else "forum.thread_unlock",
        request=request,
    )


def thread_set_pinned(*, moderator, thread, pinned, request=None):
    return _thread_action(
        moderator,
        thread,
        field="is_pinned",
        value=bool(pinned),
        message="pinned your thread" if pinned else "unpinned your thread",
        action="forum.thread_pin" if pinned else "forum.thread_unpin",
        request=request,
    )


def _check_audience(source, target, confirm_wider, field):
    if permissions.widens_audience(source, target) and not confirm_wider:
        raise ForumError(
            f"“{target.name}” has a wider audience than “{source.name}” ({source.audience_label}): "
            "its posts would become visible to more members. Tick the confirmation to go ahead.",
            field=field,
        )


def thread_move(*, moderator, thread, category, reason="", confirm_wider=False, request=None):
    """Move ``thread`` to ``category``. The moderator must be in the audience of both:
    a move is no way into a room, nor a way to hand its threads to another."""
    _require_moderator(moderator, thread.category)
    _require_moderator(moderator, category)
    if category.pk == thread.category_id:
        return thread
    old = thread.category
    _check_audience(old, category, confirm_wider, "category")
    author_sees = permissions.can_see_category(thread.author, category)
    where = category.name if author_sees else "a category you cannot see"
    with transaction.atomic():
        live.record(thread, live.Kind.THREAD_MOVED)
        thread.category = category
        thread.save(update_fields=["category"])
        _moderation_notice(
            thread,
            moderator,
            f"moved your thread “{thread.title}” from {old.name} to {where}"
            + (f": {reason}" if reason else ""),
            request=request,
            action="forum.thread_move",
            detail={"from": old.pk, "to": category.pk},
            link=author_sees,
        )
        events.thread_changed(thread)
    return thread


def thread_merge(*, moderator, source, target, reason="", confirm_wider=False, request=None):
    """Move every post of ``source`` into ``target``; ``source`` is hidden and points to ``target``."""
    _require_moderator(moderator, source.category)
    _require_moderator(moderator, target.category)
    if source.pk == target.pk:
        raise ForumError("A thread can't be merged into itself.", field="target")
    _check_audience(source.category, target.category, confirm_wider, "target")
    with transaction.atomic():
        live.record(target, live.Kind.THREAD_MERGED)
        live.record(source, live.Kind.THREAD_MERGED)
        moved = list(Post.objects.filter(thread=source).values_list("pk", flat=True))
        Post.objects.filter(pk__in=moved).update(thread=target)
        for sub in ThreadSubscription.objects.filter(thread=source):
            ThreadSubscription.objects.get_or_create(
                user_id=sub.user_id, thread=target, defaults={"level": sub.level}
            )
        source.merged_into = target
        source.is_hidden = True
        source.save(update_fields=["merged_into", "is_hidden"])
        refresh_thread(target)
        source.first_post = source.last_post = None
        source.reply_count = 0
        source.save(update_fields=["first_post", "last_post", "reply_count"])
        into = (
            f"“{target.title}”"
            if permissions.can_see_thread(source.author, target)
            else "a thread in a category you cannot see"
        )
        _moderation_notice(
            source,
            moderator,
            f"merged your thread into {into}" + (f": {reason}" if reason else ""),
            request=request,
            action="forum.thread_merge",
            detail={"into": target.pk, "posts": len(moved)},
        )
        events.thread_changed(target)
        events.thread_changed(source)
    return target


def thread_tags_set(*, moderator, thread, tags, request=None):
    _require_moderator(moderator, thread.category)
    tags = _clean_tags(tags)
    with transaction.atomic():
        thread.tags.set(tags)
        _moderation_notice(
            thread,
            moderator,
            "changed the tags of your thread to: " + (", ".join(tags) if tags else "no tags"),
            request=request,
            action="forum.thread_tags",
            detail={"tags": tags},
        )
        events.thread_changed(thread)
    return thread


def suggestion_status_set(*, moderator, thread, status, request=None):
    if status not in SuggestionStatus.values:
        raise ForumError("Unknown status.")
    label = SuggestionStatus(status).label.lower()
    return _thread_action(
        moderator,
        thread,
        field="suggestion_status",
        value=status,
        message=f"marked your suggestion as {label}",
        action="forum.suggestion_status",
        request=request,
    )


def member_suspend(*, moderator, user, reason, days=None, request=None):
    """Bar ``user`` from writing in discussions for ``days`` days, or for good when ``days`` is None."""
    _require_moderator(moderator)
    reason = (reason or "").strip()
    if not reason:
        raise ForumError("Give a reason; the member will see it.", field="reason")
    if user.pk == moderator.pk:
        raise ForumError("You can't suspend yourself.")
    ends_at = timezone.now() + timedelta(days=int(days)) if days else None
    with transaction.atomic():
        suspension = Suspension.objects.create(
            user=user, reason=reason[:500], created_by=moderator, ends_at=ends_at
        )
        until = f"until {timezone.localtime(ends_at):%B %-d, %Y}" if ends_at else "indefinitely"
        audit_record(
            action="forum.member_suspend",
            request=request,
            actor=moderator,
            target=user,
            detail={"reason": reason, "ends_at": ends_at.isoformat() if ends_at else None},
        )
        events.notify_later(
            recipient_id=user.pk,
            kind=Notification.Kind.MODERATION,
            actor_id=moderator.pk,
            message=f"suspended you from posting {until}: {reason}"[:500],
        )
    return suspension


def suspension_lift(*, moderator, suspension, request=None):
    _require_moderator(moderator)
    with transaction.atomic():
        suspension.lifted_at = timezone.now()
        suspension.save(update_fields=["lifted_at"])
        audit_record(
            action="forum.member_unsuspend", request=request, actor=moderator, target=suspension.user
        )
        events.notify_later(
            recipient_id=suspension.user_id,
            kind=Notification.Kind.MODERATION,
            actor_id=moderator.pk,
            message="lifted your suspension from posting",
        )
    return suspension


QUOTE_LINK = re.compile(r"\]\((?:[a-z]+://[^/\s)]+)?/discussions/p/(\d{1,18})/(?:#[\w-]*)?\)")


def quoted_post_ids(body):
    """Posts quoted in ``body``: links to a post's permalink inside a ``>`` quote."""
    ids = []
    for line in body.splitlines():
        if line.lstrip().startswith(">"):
            for match in QUOTE_LINK.finditer(line):
                pk = int(match.group(1))
                if pk not in ids:
                    ids.append(pk)
    return ids


def quote_markdown(post):
    """The Markdown a reply starts with when a member quotes ``post``."""
    url = reverse("forum:post", kwargs={"pk": post.pk})
    author = post.author.display_name
    lines = [f"> [{author} wrote]({url}):", ">"]
    lines += [f"> {line}" if line else ">" for line in post.body.splitlines()[:40]]
    return "\n".join(lines) + "\n\n"


def base_url():
    return settings.WAGTAILADMIN_BASE_URL.rstrip("/")
