"""What every write checks before it touches the database: the text (size, structure,
unreadable characters, the posting rate, the privacy guard), titles and tags; and the
thread bookkeeping (counters under the row lock, watching) that several writes share."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Count, Max

from connect import privacy_guard, ratelimit
from connect.text import unreadable_text_problem

from ..mentions import safe_mentions
from ..models import (
    MemberHandle,
    Post,
    Thread,
    ThreadSubscription,
)
from ..rendering import (
    MAX_MENTIONS,
    MAX_SOURCE_CHARS,
    MarkdownTooComplex,
    MarkdownTooLong,
    render_markdown,
)
from .errors import ForumError, PrivacyCheckRequired

MAX_TITLE_CHARS = 200


MAX_TAGS = 5


def _mention_url(handle):
    row = MemberHandle.objects.filter(handle_lower=handle.lower()).select_related("user__profile").first()
    profile = getattr(row.user, "profile", None) if row else None
    return profile.get_absolute_url() if profile else None


def render_body(body):
    return render_markdown(body, mention_url=_mention_url)


def _refuse_unreadable_characters(text, field="body", *, lines=True):
    """Refuse text a reader would see differently from how it is checked
    (see :mod:`connect.text`, the one rule for every member-written field)."""
    problem = unreadable_text_problem(text, lines=lines)
    if problem:
        raise ForumError(problem, field=field)


def _validate_body(body):
    """Clean and render a post body, refusing what would be expensive or misleading to show.

    Every check here is linear in the length of the body, and rendering is
    bounded by :mod:`forum.rendering`, so the worst body under the size limit
    costs about as much as an ordinary long one.
    """
    body = (body or "").replace("\r\n", "\n")
    if not body.strip():
        raise ForumError("Write something before posting: the post is empty.", field="body")
    if len(body) > MAX_SOURCE_CHARS:
        raise ForumError(
            f"The post is {len(body):,} characters long; the limit is {MAX_SOURCE_CHARS:,}. "
            "Please shorten it or split it into several posts.",
            field="body",
        )
    _refuse_unreadable_characters(body)
    try:
        html = render_body(body)
    except (MarkdownTooComplex, MarkdownTooLong) as exc:
        raise ForumError(str(exc), field="body")
    mentions = safe_mentions(body)
    if len(mentions) > MAX_MENTIONS:
        raise ForumError(
            f"The post mentions {len(mentions):,} members; at most {MAX_MENTIONS} can be mentioned "
            "in one post. Please remove some @mentions.",
            field="body",
        )
    return body, html


# (posts, seconds): a person typing replies stays far below both; a script,
# a stuck key or a compromised account does not.
DEFAULT_POST_RATE_LIMITS = ((10, 60), (100, 3600))


def _check_posting_rate(author):
    """Count one post by ``author``; refuse, keeping the form as typed, when they post too fast."""
    limits = getattr(settings, "CONNECT_POST_RATE_LIMITS", DEFAULT_POST_RATE_LIMITS)
    for limit, period in limits:
        if not ratelimit.consume(f"forum_post_{period}", str(author.pk), limit=limit, period=period):
            span = "minute" if period <= 60 else f"{period // 60} minutes"
            raise ForumError(
                f"You have posted {limit} times in the last {span}, the most allowed. "
                "Nothing was posted; your text is still here. Please wait a little and send it again.",
                field="body",
            )


# (threads, seconds): on top of the posting limit (a thread's first post is
# a post), because a new thread also reaches everyone watching its category.
DEFAULT_THREAD_RATE_LIMITS = ((5, 600), (30, 86400))


def _check_thread_rate(author):
    """Count one new thread by ``author``; refuse, keeping the form as typed, past the limit."""
    limits = getattr(settings, "CONNECT_THREAD_RATE_LIMITS", DEFAULT_THREAD_RATE_LIMITS)
    for limit, period in limits:
        if not ratelimit.consume(f"forum_thread_{period}", str(author.pk), limit=limit, period=period):
            span = f"{period // 60} minutes" if period < 86400 else f"{period // 3600} hours"
            raise ForumError(
                f"You have started {limit} threads in the last {span}, the most allowed. "
                "Nothing was posted; your text is still here. Please wait a little and send it again, "
                "or add it as a reply to one of your threads.",
                field="title",
            )


def _validate_title(title):
    title = " ".join((title or "").split())
    if not title:
        raise ForumError("Give the thread a title.", field="title")
    if len(title) > MAX_TITLE_CHARS:
        raise ForumError(
            f"The title is {len(title)} characters long; the limit is {MAX_TITLE_CHARS}.", field="title"
        )
    _refuse_unreadable_characters(title, "title", lines=False)
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
    """What the privacy guard finds in ``text`` (see :mod:`connect.privacy_guard`).

    Members' @handles are profile links, not social-media accounts. Only the
    author's own legal name and email are allowed: another member's address
    or name gets the same finding as a stranger's, so the guard never tells
    the writer who is a member.
    """
    mentioned = list(dict.fromkeys(h.lower() for h in safe_mentions(text)))[:MAX_MENTIONS]
    handles = (
        MemberHandle.objects.filter(handle_lower__in=mentioned, user__is_active=True).values_list(
            "handle", flat=True
        )
        if mentioned
        else []
    )
    return privacy_guard.privacy_findings(text, author=author, handles=handles, mentions=True)


def _guard(text, *, author, confirm_privacy):
    """Return findings when the author confirmed them, raise when they have not."""
    findings = privacy_findings(text, author=author)
    if findings and not confirm_privacy:
        raise PrivacyCheckRequired(findings)
    return findings


def _existing_submission(author, token):
    if not token:
        return None
    return Post.objects.filter(author=author, submission_token=token).select_related("thread").first()


def refresh_thread(thread):
    """Recompute a thread's counters and hidden state from its posts.

    Called inside the writer's transaction. The thread row is taken with
    ``select_for_update`` first, so two replies committing at the same
    moment are counted one after the other: the second sees the first's post
    and neither overwrites the other's reply count or last post.
    """
    locked = Thread.objects.select_for_update(no_key=True).only("pk", "last_activity_at").get(pk=thread.pk)
    visible = Post.objects.filter(thread=thread, status=Post.Status.VISIBLE)
    stats = visible.aggregate(n=Count("id"), last=Max("id"))
    last = Post.objects.filter(pk=stats["last"]).first() if stats["last"] else None
    first = Post.objects.filter(thread=thread).order_by("id").first()
    thread.first_post = first
    thread.last_post = last
    thread.reply_count = max(0, stats["n"] - (1 if first and first.status == Post.Status.VISIBLE else 0))
    thread.last_activity_at = locked.last_activity_at
    if last is not None:
        thread.last_activity_at = max(thread.last_activity_at, last.created_at)
    thread.is_hidden = first is None or first.status != Post.Status.VISIBLE
    thread.save(update_fields=["first_post", "last_post", "reply_count", "last_activity_at", "is_hidden"])
    return thread


def _lock_member(user):
    """Serialise one member's toggles: a double click sends two requests at
    once, and both must not find "nothing there" and insert (a unique
    constraint error) or both delete."""
    get_user_model().objects.select_for_update().filter(pk=user.pk).values_list("pk", flat=True).first()


def _watch(user, thread):
    ThreadSubscription.objects.get_or_create(
        user=user, thread=thread, defaults={"level": ThreadSubscription.Level.WATCHING}
    )
