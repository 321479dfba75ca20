"""Starting a thread."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone

from .. import events, permissions
from ..models import (
    Post,
    Thread,
    ThreadRead,
)
from ._validation import (
    _check_posting_rate,
    _check_thread_rate,
    _clean_tags,
    _existing_submission,
    _guard,
    _validate_body,
    _validate_title,
    _watch,
    refresh_thread,
)
from .errors import NotAllowed


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
    _check_posting_rate(author)
    _check_thread_rate(author)
    # Tags are read beside the title: a name, a date of birth or a phone number
    # in them is as public as in the post.
    findings = _guard(
        "\n\n".join([title, ", ".join(tags), body]), author=author, confirm_privacy=confirm_privacy
    )
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
