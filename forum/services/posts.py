"""Replying, editing, deleting and restoring posts."""

from __future__ import annotations

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from connect import ratelimit
from connect.audit import audit_record

from .. import events, live, permissions
from ..mentions import safe_mentions
from ..models import (
    Post,
    PostRevision,
    Thread,
    ThreadRead,
)
from ._validation import (
    _check_posting_rate,
    _existing_submission,
    _guard,
    _validate_body,
    _validate_title,
    _watch,
    refresh_thread,
)
from .errors import ForumError, NotAllowed
from .moderation import _moderation_notice

# (previews, seconds): a member clicking "Preview" stays far below it; a script
# using the endpoint as a free Markdown renderer does not.
DEFAULT_PREVIEW_RATE_LIMITS = ((60, 60), (600, 3600))


def post_preview(*, author, body):
    """The HTML ``body`` would be posted as: the same checks and renderer as
    ``post_create`` and ``post_edit`` (size, structure, unreadable characters,
    mentions), so what the member previews is what is posted. Nothing is
    stored; the privacy guard runs when the post is sent.

    Raises :class:`ForumError` with the message the form would show."""
    if not permissions.can_write(author):
        raise NotAllowed
    limits = getattr(settings, "CONNECT_PREVIEW_RATE_LIMITS", DEFAULT_PREVIEW_RATE_LIMITS)
    for limit, period in limits:
        if not ratelimit.consume(f"forum_preview_{period}", str(author.pk), limit=limit, period=period):
            raise ForumError("Too many previews in a short time. Please wait a moment.", field="body")
    _body, html = _validate_body(body)
    return html


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
    _check_posting_rate(author)
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


def post_edit(*, editor, post, body, title=None, confirm_privacy=False, reason="", origin=None):
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
    old_mentions = {h.lower() for h in safe_mentions(post.body)}
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
                post, editor, f"edited your post: {reason}", origin=origin, action="forum.post_edit"
            )
        events.post_saved(post, created=False, previous_mentions=old_mentions)
    return post


def post_delete(*, user, post, reason="", origin=None):
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
                origin=origin,
                action="forum.post_hide",
            )
        else:
            audit_record(action="forum.post_delete", origin=origin, actor=user, target=post)
        events.post_changed(post)
    return post


def post_restore(*, moderator, post, origin=None):
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
        _moderation_notice(post, moderator, "restored your post", origin=origin, action="forum.post_restore")
        events.post_changed(post)
    return post
