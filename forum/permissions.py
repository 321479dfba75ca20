"""Who may see and do what in discussions.

Plain functions shared by views, selectors, notifications, search and (later)
the WebSocket consumers. What a member may not see does not exist for them:
callers turn a False from a ``can_see_*`` into a 404.

A restricted category follows its audience for everyone on the board,
moderators and administrators included: "Law Enforcement Only" is for law
enforcement. Moderators act on held and flagged posts of every category from
the moderation screens in the Wagtail admin (``forum.admin_views``), which do
not go through these checks.
"""

from django.db.models import Q
from django.utils import timezone

from connect import permissions as connect_permissions

from .models import Category, Post, Suspension, Thread

_CACHE_ATTR = "_forum_visible_category_ids"


def is_moderator(user):
    return connect_permissions.is_moderator(user)


def _discipline(user):
    profile = getattr(user, "profile", None)
    return getattr(profile, "discipline", None)


def category_allows(user, category):
    """Whether ``category``'s audience includes ``user`` (membership is checked by callers)."""
    if not category.is_restricted:
        return True
    if category.allowed_disciplines and _discipline(user) in category.allowed_disciplines:
        return True
    return bool(set(category.allowed_roles) & set(user.role_names))


def visible_category_ids(user):
    """Ids of the categories ``user`` may see; one query, remembered on the user object."""
    if not connect_permissions.is_active_member(user):
        return frozenset()
    cached = getattr(user, _CACHE_ATTR, None)
    if cached is not None:
        return cached
    ids = frozenset(
        c.pk
        for c in Category.objects.only("pk", "allowed_disciplines", "allowed_roles")
        if category_allows(user, c)
    )
    setattr(user, _CACHE_ATTR, ids)
    return ids


def forget_visible_categories(user):
    if hasattr(user, _CACHE_ATTR):
        delattr(user, _CACHE_ATTR)


def can_see_category(user, category):
    return connect_permissions.is_active_member(user) and category_allows(user, category)


def widens_audience(source, target):
    """Whether moving posts from category ``source`` to ``target`` shows them to people
    who could not see them before (someone outside ``source``'s audience)."""
    if not source.is_restricted:
        return False
    if not target.is_restricted:
        return True
    return bool(
        set(target.allowed_disciplines) - set(source.allowed_disciplines)
        or set(target.allowed_roles) - set(source.allowed_roles)
    )


def visible_categories(user, qs=None):
    qs = Category.objects.all() if qs is None else qs
    return qs.filter(pk__in=visible_category_ids(user))


def visible_threads(user, qs=None):
    qs = Thread.objects.all() if qs is None else qs
    qs = qs.filter(category_id__in=visible_category_ids(user))
    if not is_moderator(user):
        qs = qs.filter(is_hidden=False)
    return qs


def can_see_thread(user, thread):
    if not can_see_category(user, thread.category):
        return False
    return not thread.is_hidden or is_moderator(user) or _own_held_thread(user, thread)


def _own_held_thread(user, thread):
    # An author sees their own thread while its first post waits for review.
    return (
        thread.author_id == user.pk
        and thread.first_post_id is not None
        and (Post.objects.filter(pk=thread.first_post_id, status=Post.Status.HELD).exists())
    )


def visible_posts(user, qs=None):
    """Posts others may read: visible posts in visible threads. Moderators see all."""
    qs = Post.objects.all() if qs is None else qs
    qs = qs.filter(thread__category_id__in=visible_category_ids(user))
    if not is_moderator(user):
        qs = qs.filter(status=Post.Status.VISIBLE, thread__is_hidden=False)
    return qs


def can_see_post(user, post):
    if not can_see_category(user, post.thread.category):
        return False
    if is_moderator(user):
        return True
    if post.status == Post.Status.VISIBLE:
        return can_see_thread(user, post.thread)
    # Authors still see their own held post (labelled "waiting for review").
    return post.status == Post.Status.HELD and post.author_id == user.pk


def active_suspension(user):
    now = timezone.now()
    return (
        Suspension.objects.filter(user_id=user.pk, lifted_at__isnull=True)
        .exclude(ends_at__lte=now)
        .order_by("-created_at")
        .first()
    )


def is_suspended(user):
    if not connect_permissions.is_active_member(user):
        return False
    if not hasattr(user, "_forum_suspended"):
        user._forum_suspended = active_suspension(user) is not None
    return user._forum_suspended


def can_write(user):
    return connect_permissions.is_active_member(user) and not is_suspended(user)


def can_start_thread(user, category):
    return (
        can_write(user)
        and can_see_category(user, category)
        and (not category.is_archived or is_moderator(user))
    )


def can_reply(user, thread):
    if not can_write(user) or not can_see_thread(user, thread):
        return False
    if is_moderator(user):
        return True
    return not thread.is_locked and not thread.category.is_archived and not thread.is_hidden


def can_edit_post(user, post):
    if not can_write(user) or not can_see_post(user, post):
        return False
    if is_moderator(user):
        return True
    return post.author_id == user.pk and post.status != Post.Status.HIDDEN and not post.thread.is_locked


def can_delete_post(user, post):
    if not can_see_post(user, post) or post.status == Post.Status.HIDDEN:
        return False
    return is_moderator(user) or (post.author_id == user.pk and can_write(user))


def can_restore_post(user, post):
    return is_moderator(user) and post.status == Post.Status.HIDDEN


def can_react(user, post):
    return (
        can_write(user)
        and post.status == Post.Status.VISIBLE
        and can_see_post(user, post)
        and post.author_id != user.pk
    )


def can_flag(user, post):
    return (
        connect_permissions.is_active_member(user) and post.author_id != user.pk and can_see_post(user, post)
    )


def can_accept_answer(user, thread):
    return (
        can_see_thread(user, thread)
        and thread.is_question
        and (thread.author_id == user.pk or is_moderator(user))
    )


def can_vote(user, thread):
    return (
        can_write(user)
        and thread.category.is_suggestions
        and can_see_thread(user, thread)
        and thread.author_id != user.pk
    )


def can_view_revisions(user, post):
    return is_moderator(user) and can_see_post(user, post)


def can_moderate(user):
    return is_moderator(user)


def visible_members(user, qs, category=None):
    """Members ``user`` may mention: active members with a profile and a role and, for a
    ``category``, only those in its audience (a mention of anyone else would
    notify nobody)."""
    qs = connect_permissions.visible_profiles(user, qs)
    # Only people who hold a role can read discussions at all: applicants and
    # accounts without a role are never suggested.
    qs = qs.filter(user__groups__name__in=connect_permissions.ROLE_NAMES).distinct()
    if category is not None and category.is_restricted:
        audience = Q(discipline__in=category.allowed_disciplines or [])
        if category.allowed_roles:
            audience |= Q(user__groups__name__in=category.allowed_roles)
        qs = qs.filter(audience)
    return qs
