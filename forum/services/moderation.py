"""Moderators' writes: flags, approving and hiding posts, locking, pinning, moving, merging,
tagging, suggestion status and suspensions. Each is audited and limited to the
categories in the moderator's audience."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from connect import privacy_guard
from connect.audit import audit_record
from connect.live import access_changed
from notifications import moderators as moderator_kinds
from notifications.models import Notification
from notifications.moderators import moderators_notify_on_commit

from .. import events, live, permissions
from .. import notification_kinds as kinds
from ..models import (
    Flag,
    Post,
    PostRevision,
    SuggestionStatus,
    Suspension,
    Thread,
    ThreadSubscription,
)
from ..signals import board_changed
from ._validation import _clean_tags, _refuse_unreadable_characters, refresh_thread, render_body
from .errors import ForumError, NotAllowed, PrivacyCheckRequired


def flag_create(*, reporter, post, reason, details="", confirm_privacy=False):
    """Tell moderators about a post. Flagging the same post twice is a no-op.

    The details are checked by the privacy guard like any member text: only
    moderators read them, but they are kept, so the reporter removes what
    was found or confirms it.
    """
    post = Post.objects.select_related("thread__category").get(pk=post.pk)
    if not permissions.can_see_post(reporter, post):
        raise NotAllowed
    if not permissions.can_flag(reporter, post):
        raise ForumError("You can't flag this post.")
    if reason not in Flag.Reason.values:
        raise ForumError("Choose a reason.", field="reason")
    _refuse_unreadable_characters(details or "", "details")
    try:
        privacy_guard.privacy_check(
            details, author=reporter, confirm_privacy=confirm_privacy, field="details"
        )
    except privacy_guard.PrivacyCheckRequired as exc:
        raise PrivacyCheckRequired(exc.findings, field="details") from None
    flag = Flag.objects.filter(post=post, reporter=reporter, resolution="").first()
    if flag is not None:
        return flag
    try:
        with transaction.atomic():
            flag = Flag.objects.create(
                post=post, reporter=reporter, reason=reason, details=(details or "")[:500]
            )
            moderators_notify_on_commit(
                kind=moderator_kinds.FLAG,
                target=flag,
                url=reverse("forum_admin:queue"),
                exclude_ids=[reporter.pk],
            )
            return flag
    except IntegrityError:
        return Flag.objects.get(post=post, reporter=reporter, resolution="")


def _require_moderator(user, category=None):
    """Moderators only and, for what is in ``category``, only those in its audience."""
    allowed = permissions.is_moderator(user) if category is None else permissions.can_moderate(user, category)
    if not allowed:
        raise NotAllowed


def _moderation_notice(post_or_thread, moderator, message, *, origin=None, action, detail=None, link=True):
    """Audit a moderator action and tell the affected author why.

    With ``link=False`` the notice is not tied to the thread: for an author who
    can no longer see it (moved or merged into a category outside their audience)."""
    if isinstance(post_or_thread, Post):
        post, thread = post_or_thread, post_or_thread.thread
    else:
        post, thread = None, post_or_thread
    audit_record(
        action=action,
        origin=origin,
        actor=moderator,
        target=post or thread,
        detail={"message": message, **(detail or {})},
    )
    author_id = post.author_id if post is not None else thread.author_id
    if author_id != moderator.pk:
        events.notify_later(
            recipient_id=author_id,
            kind=kinds.MODERATION,
            actor_id=moderator.pk,
            post=post if link else None,
            thread=thread if link else None,
            message=message[:500],
        )


def _resolve_flags(post, moderator, resolution):
    Flag.objects.filter(post=post, resolution="").update(
        resolution=resolution, resolved_by=moderator, resolved_at=timezone.now()
    )


def post_approve(*, moderator, post, origin=None):
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
            origin=origin,
            action="forum.post_approve",
        )
        if was_held:
            events.post_saved(post, created=True)
        else:
            events.post_changed(post)
    return post


def post_hide(*, moderator, post, reason, origin=None):
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
            post, moderator, f"hid your post: {reason}", origin=origin, action="forum.post_hide"
        )
        events.post_changed(post)
    return post


def _thread_action(moderator, thread, *, field, value, message, action, origin):
    _require_moderator(moderator, thread.category)
    with transaction.atomic():
        live.record(thread, live.thread_kind(field, value))
        setattr(thread, field, value)
        thread.save(update_fields=[field])
        _moderation_notice(thread, moderator, message, origin=origin, action=action)
    return thread


def thread_set_locked(*, moderator, thread, locked, reason="", origin=None):
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
        origin=origin,
    )


def thread_set_pinned(*, moderator, thread, pinned, origin=None):
    return _thread_action(
        moderator,
        thread,
        field="is_pinned",
        value=bool(pinned),
        message="pinned your thread" if pinned else "unpinned your thread",
        action="forum.thread_pin" if pinned else "forum.thread_unpin",
        origin=origin,
    )


def thread_set_welcome(*, moderator, thread, origin=None):
    """Make ``thread`` the welcome thread the home page asks newcomers to post
    in, unmarking the one before. It must be in a category every member reads:
    a newcomer the welcome cannot reach would never tick the step."""
    _require_moderator(moderator, thread.category)
    if thread.category.is_restricted or thread.is_hidden or thread.is_locked:
        raise ForumError("The welcome thread must be open, visible, and in a category every member can read.")
    with transaction.atomic():
        Thread.objects.filter(is_welcome=True).exclude(pk=thread.pk).update(is_welcome=False)
        Thread.objects.filter(pk=thread.pk).update(is_welcome=True)
        thread.is_welcome = True
        audit_record(action="forum.thread_welcome", origin=origin, actor=moderator, target=thread)
    return thread


def _check_audience(source, target, confirm_wider, field):
    if permissions.widens_audience(source, target) and not confirm_wider:
        raise ForumError(
            f"“{target.name}” has a wider audience than “{source.name}” ({source.audience_label}): "
            "its posts would become visible to more members. Tick the confirmation to go ahead.",
            field=field,
        )


def thread_move(*, moderator, thread, category, reason="", confirm_wider=False, origin=None):
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
            origin=origin,
            action="forum.thread_move",
            detail={"from": old.pk, "to": category.pk},
            link=author_sees,
        )
        events.thread_changed(thread)
    return thread


def thread_merge(*, moderator, source, target, reason="", confirm_wider=False, origin=None):
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
        board_changed()  # a bulk update sends no signal
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
            origin=origin,
            action="forum.thread_merge",
            detail={"into": target.pk, "posts": len(moved)},
        )
        events.thread_changed(target)
        events.thread_changed(source)
    return target


def thread_tags_set(*, moderator, thread, tags, origin=None):
    _require_moderator(moderator, thread.category)
    tags = _clean_tags(tags)
    with transaction.atomic():
        thread.tags.set(tags)
        board_changed()  # the lists filtered by tag
        _moderation_notice(
            thread,
            moderator,
            "changed the tags of your thread to: " + (", ".join(tags) if tags else "no tags"),
            origin=origin,
            action="forum.thread_tags",
            detail={"tags": tags},
        )
        events.thread_changed(thread)
    return thread


def suggestion_status_set(*, moderator, thread, status, origin=None):
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
        origin=origin,
    )


def member_suspend(*, moderator, user, reason, days=None, origin=None):
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
            origin=origin,
            actor=moderator,
            target=user,
            detail={"reason": reason, "ends_at": ends_at.isoformat() if ends_at else None},
        )
        events.notify_later(
            recipient_id=user.pk,
            kind=kinds.MODERATION,
            actor_id=moderator.pk,
            message=f"suspended you from posting {until}: {reason}"[:500],
        )
        # A suspended member no longer follows threads live: their sockets close now.
        access_changed(user.pk)
    return suspension


def suspension_lift(*, moderator, suspension, origin=None):
    _require_moderator(moderator)
    with transaction.atomic():
        suspension.lifted_at = timezone.now()
        suspension.save(update_fields=["lifted_at"])
        audit_record(action="forum.member_unsuspend", origin=origin, actor=moderator, target=suspension.user)
        events.notify_later(
            recipient_id=suspension.user_id,
            kind=kinds.MODERATION,
            actor_id=moderator.pk,
            message="lifted your suspension from posting",
        )
    return suspension


# --- Redaction ---------------------------------------------------------------------

REDACTED = "[redacted by a moderator]"
MAX_PASSAGE_CHARS = 2000


def _scrub(text, passage):
    return text.replace(passage, REDACTED) if text and passage in text else text


def _scrub_findings(findings, gone):
    """Stored guard findings name what was found; a finding inside a redacted text goes too."""
    changed = False
    for finding in findings:
        text = finding.get("text", "")
        if text and text != REDACTED and gone(text):
            finding["text"] = REDACTED
            changed = True
    return changed


def post_redact(*, actor, post, passage=None, revision=None, origin=None):
    """Redact a passage of a post, or one stored revision, wherever it is kept.

    A passage is replaced by :data:`REDACTED` in the post, every stored
    revision, the thread title (for a first post), the hidden reason, flags'
    details, stored guard findings and notifications about the post; a
    revision's text is replaced whole. The post and thread are re-indexed for
    search and live pages told to redraw the post. The audit log records who
    redacted what kind of thing and how much, never the text itself.
    """
    post = Post.objects.select_related("thread__category").get(pk=post.pk)
    if not permissions.can_moderate(actor, post.thread.category):
        raise NotAllowed
    if (passage is None) == (revision is None):
        raise ForumError("Choose a passage of the post or one of its revisions to redact.", field="passage")
    thread = post.thread
    with transaction.atomic():
        revisions = list(PostRevision.objects.select_for_update().filter(post=post))
        if revision is not None:
            target = next((r for r in revisions if r.pk == getattr(revision, "pk", revision)), None)
            if target is None:
                raise ForumError("That revision is not part of this post's history.", field="revision")
            old = target.body
            target.body = REDACTED
            target.title = REDACTED if target.title else ""
            target.save(update_fields=["body", "title"])
            changed_post = _scrub_findings(post.privacy_findings, lambda t: t in old and t not in post.body)
            detail = {"scope": "revision", "revision": target.pk, "characters": len(old)}
            title_changed = False
        else:
            passage = (passage or "").strip()
            if not passage:
                raise ForumError("Paste the passage to redact, exactly as it appears.", field="passage")
            if len(passage) > MAX_PASSAGE_CHARS:
                raise ForumError(
                    f"The passage is {len(passage):,} characters long; redact at most "
                    f"{MAX_PASSAGE_CHARS:,} at a time.",
                    field="passage",
                )
            is_first = thread.first_post_id == post.pk
            kept = [post.body, *(r.body for r in revisions), *(r.title for r in revisions)]
            if is_first:
                kept.append(thread.title)
            if not any(passage in text for text in kept):
                raise ForumError(
                    "That passage is not in the post or its history. Paste it exactly as it appears.",
                    field="passage",
                )
            for r in revisions:
                if passage in r.body or passage in r.title:
                    r.body, r.title = _scrub(r.body, passage), _scrub(r.title, passage)
                    r.save(update_fields=["body", "title"])
            changed_post = passage in post.body or passage in post.hidden_reason
            post.body = _scrub(post.body, passage)
            post.hidden_reason = _scrub(post.hidden_reason, passage)
            changed_post |= _scrub_findings(post.privacy_findings, lambda t: passage in t or t in passage)
            title_changed = is_first and passage in thread.title
            if title_changed:
                thread.title = _scrub(thread.title, passage)[:200]
                thread.save(update_fields=["title"])
            for flag in Flag.objects.filter(post=post, details__contains=passage):
                flag.details = _scrub(flag.details, passage)[:500]
                flag.save(update_fields=["details"])
            _scrub_notifications(post, thread, passage)
            detail = {"scope": "passage", "characters": len(passage)}
        if changed_post:
            post.body_html = render_body(post.body)
            post.save(update_fields=["body", "body_html", "hidden_reason", "privacy_findings"])
        live.record(thread, live.Kind.POST_EDITED, post_id=post.pk)
        events.post_changed(post)
        if title_changed:
            events.thread_changed(thread)
        audit_record(action="forum.post_redact", actor=actor, target=post, origin=origin, detail=detail)
    return post


def _scrub_notifications(post, thread, passage):
    about = Q(target_type=ContentType.objects.get_for_model(Post), target_id=post.pk) | Q(
        target_type=ContentType.objects.get_for_model(type(thread)), target_id=thread.pk
    )
    for notification in Notification.objects.filter(about, message__contains=passage):
        notification.message = _scrub(notification.message, passage)[:500]
        notification.save(update_fields=["message"])
