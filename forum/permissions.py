"""Who may see and do what in discussions.

Plain functions shared by views, selectors, notifications, search and (later)
the WebSocket consumers. What a member may not see does not exist for them:
callers turn a False from a ``can_see_*`` into a 404.

A restricted category follows its audience for everyone, moderators and
administrators included, on the board and on the moderation screens alike:
"Law Enforcement Only" is for law enforcement. A moderator outside a
category's audience moderates nothing in it (``can_moderate``); the queue only
tells them that something there waits for a moderator who is in it.

What a member may do with a post is decided once, in ``post_actions``; the
thread page, its template tag and the services all read that answer, so a
button is shown exactly when the service accepts what it does.
"""

from dataclasses import dataclass

from django.db.models import Q
from django.utils import timezone

from connect import compiled
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
    """Whether ``user`` may read ``post`` (its words, not only its place in the thread)."""
    return _sees_post(user, _thread_rules(user, post.thread), post)


def shows_removed_placeholder(user, post, *, thread=None):
    """Whether ``user`` sees ``post`` as "A post was removed by a moderator": a
    hidden post keeps its place in the thread for readers (replies that answer
    it still make sense, and the numbering does not shift), without its words."""
    thread = post.thread if thread is None else thread
    rules = _thread_rules(user, thread)
    return rules.sees and _removed_by_moderator(post) and not _sees_post(user, rules, post)


def _removed_by_moderator(post):
    # A post its author deleted is gone for everyone, the author included; only
    # a moderator's removal leaves a placeholder and the author's marked copy.
    return post.status == Post.Status.HIDDEN and post.hidden_by_id != post.author_id


def active_suspension(user):
    now = timezone.now()
    return (
        Suspension.objects.filter(user_id=user.pk, lifted_at__isnull=True)
        .exclude(ends_at__lte=now)
        .order_by("-created_at")
        .first()
    )


def suspended_user_ids():
    """``values("user_id")`` of every member suspended now."""
    return (
        Suspension.objects.filter(lifted_at__isnull=True)
        .exclude(ends_at__lte=timezone.now())
        .values("user_id")
    )


def suspension_scope(user_id):
    """The generation of one member's suspensions (moved on by every save or
    delete of one: ``forum.signals.suspension_changed``)."""
    return f"forum.suspension:{user_id}"


# The generation of every member's suspensions at once (who is suspended now:
# what other apps' cached "may write to them" answers are built from).
SUSPENSIONS = "forum.suspensions"


def suspensions_epoch():
    """How many suspensions' ends have passed: moves when a suspension lapses,
    with no save to move ``SUSPENSIONS`` on."""
    from bisect import bisect_right

    from connect import fragments

    def ends():
        stamps = Suspension.objects.filter(lifted_at__isnull=True, ends_at__isnull=False).values_list(
            "ends_at", flat=True
        )
        return tuple(sorted(stamp.timestamp() for stamp in stamps))

    # Not a member's own: user 0's generation never moves.
    stamps = fragments.get_or_build("forum-suspension-ends", user_id=0, depends=[SUSPENSIONS], build=ends)
    return bisect_right(stamps, timezone.now().timestamp())


def _suspension_end(user):
    # By the rule of active_suspension: when the member's suspensions end.
    ends = list(
        Suspension.objects.filter(user_id=user.pk, lifted_at__isnull=True)
        .exclude(ends_at__lte=timezone.now())
        .values_list("ends_at", flat=True)
    )
    if not ends:
        return ("none",)
    if None in ends:
        return ("forever",)
    return ("until", max(ends))


def is_suspended(user):
    if not connect_permissions.is_active_member(user):
        return False
    if not hasattr(user, "_forum_suspended"):
        from connect import fragments

        # When the member's suspension ends, kept until one of theirs is
        # saved; whether that moment has passed is asked of the clock each time.
        end = fragments.get_or_build(
            "forum-suspension",
            user_id=user.pk,
            depends=[suspension_scope(user.pk)],
            build=lambda: _suspension_end(user),
        )
        user._forum_suspended = end[0] == "forever" or (end[0] == "until" and end[1] > timezone.now())
    return user._forum_suspended


def prime_suspensions(users):
    """Set what ``is_suspended`` remembers for many members in one query, by the
    same rule as ``active_suspension`` (a live thread asks it for every reader)."""
    users = list(users)
    if not users:
        return
    ids = sorted({u.pk for u in users})
    # The end is compared here rather than in the SQL, so the SQL for the same
    # readers is built once (connect.compiled); the rule is active_suspension's.
    rows = compiled.rows(
        "suspensions",
        tuple(ids),
        lambda: Suspension.objects.filter(user_id__in=ids, lifted_at__isnull=True).values_list(
            "user_id", "ends_at"
        ),
    )
    now = timezone.now()
    suspended = {user_id for user_id, ends_at in rows if ends_at is None or ends_at > now}
    for user in users:
        user._forum_suspended = user.pk in suspended


def can_write(user):
    return connect_permissions.is_active_member(user) and not is_suspended(user)


def can_start_thread(user, category):
    return (
        can_write(user)
        and can_see_category(user, category)
        and (not category.is_archived or is_moderator(user))
    )


@dataclass(frozen=True)
class PostActions:
    """What one member may do with one post; every field False means "nothing"."""

    edit: bool = False
    delete: bool = False  # the author removing their own post
    hide: bool = False  # a moderator removing someone else's post, with a reason
    restore: bool = False
    react: bool = False
    quote: bool = False
    flag: bool = False
    accept: bool = False
    vote: bool = False  # on the first post of a suggestion: a vote for the thread
    history: bool = False


NOTHING = PostActions()

_THREAD_RULES_ATTR = "_forum_thread_rules"


@dataclass(frozen=True)
class _ThreadRules:
    sees: bool
    moderates: bool
    writes: bool
    # Neither locked nor in an archived category: open to its authors' edits.
    open: bool
    reply: bool
    accept: bool
    vote: bool


def _thread_rules(user, thread):
    """The thread-wide part of ``post_actions``, worked out once per thread object and member
    (a page of posts asks it once per post)."""
    # Keyed by what the answer depends on, so a thread object changed after it
    # was asked (locked, moved, archived) is asked afresh.
    key = (user.pk, thread.is_locked, thread.is_hidden, thread.category_id, thread.category.is_archived)
    memo = getattr(thread, _THREAD_RULES_ATTR, None)
    if memo is not None and memo[0] == key:
        return memo[1]
    sees = can_see_thread(user, thread)
    moderates = sees and is_moderator(user)
    writes = sees and can_write(user)
    closed = thread.is_locked or thread.category.is_archived
    rules = _ThreadRules(
        sees=sees,
        moderates=moderates,
        writes=writes,
        open=not closed,
        reply=writes and (moderates or (not closed and not thread.is_hidden)),
        accept=sees and thread.is_question and (thread.author_id == user.pk or moderates),
        vote=(
            writes
            and thread.category.is_suggestions
            and not thread.category.is_archived
            and thread.author_id != user.pk
        ),
    )
    setattr(thread, _THREAD_RULES_ATTR, (key, rules))
    return rules


def thread_signature(user, thread):
    """All that ``post_actions``, the removed-post placeholder and the thread's
    own controls know of ``user`` for ``thread``: for the same posts, two
    requests with equal signatures get the same actions on every post (the
    rest follows from the post and whether ``user`` wrote it). The thread page
    keys its cached copy with it (``forum.views.thread``)."""
    rules = _thread_rules(user, thread)
    return (rules.sees, rules.moderates, rules.writes, rules.open, rules.reply, rules.accept, rules.vote)


def member_post_signature(user, thread):
    """All that the post functions (``can_see_post``, ``shows_removed_placeholder``,
    ``post_actions``, ``can_see_reactor``) and the post tag's moderator view know
    of ``user`` in ``thread``, besides which posts they wrote: two members with
    equal signatures who wrote the same posts see the same posts with the same
    actions. The live fan-out renders once per signature."""
    return (thread_signature(user, thread), is_active_member(user), is_moderator(user))


def _sees_post(user, rules, post):
    if not rules.sees:
        return False
    if rules.moderates or post.status == Post.Status.VISIBLE:
        return True
    # Authors still see their own held post (labelled "waiting for review") and
    # their own hidden post (labelled "only you can see this").
    if post.author_id != user.pk:
        return False
    return post.status == Post.Status.HELD or _removed_by_moderator(post)


def post_actions(user, post, *, thread=None):
    """Everything ``user`` may do with ``post``: from their roles and suspension, the thread's
    lock, the category's archive flag and audience and the post's status.

    Pass ``thread`` (the post's thread) when asking for a page of posts: the
    thread-wide part is then computed once, without a query per post."""
    thread = post.thread if thread is None else thread
    rules = _thread_rules(user, thread)
    if not _sees_post(user, rules, post):
        return NOTHING
    own = post.author_id == user.pk
    visible = post.status == Post.Status.VISIBLE
    hidden = post.status == Post.Status.HIDDEN
    is_first = post.pk == thread.first_post_id
    return PostActions(
        edit=rules.writes and not hidden and (rules.moderates or (own and rules.open)),
        delete=own and not hidden and (rules.writes or rules.moderates),
        hide=rules.moderates and not own and not hidden,
        restore=rules.moderates and hidden,
        react=rules.reply and visible and not own,
        quote=rules.reply and visible,
        flag=is_active_member(user) and visible and not own,
        accept=rules.accept and visible and not is_first,
        vote=rules.vote and is_first,
        history=rules.moderates,
    )


def is_active_member(user):
    return connect_permissions.is_active_member(user)


def can_reply(user, thread):
    return _thread_rules(user, thread).reply


def can_edit_post(user, post):
    return post_actions(user, post).edit


def can_delete_post(user, post):
    """Whether ``user`` may take ``post`` off the board: delete their own or hide another's."""
    actions = post_actions(user, post)
    return actions.delete or actions.hide


def can_restore_post(user, post):
    return post_actions(user, post).restore


def can_see_reactor(user, reactor):
    """Whether ``user`` may read ``reactor``'s name beside a reaction: as in the
    directory (``connect.permissions.visible_profiles``), active members see
    active members; a deactivated account still counts but is not named."""
    return is_active_member(user) and reactor.is_active


def can_react(user, post):
    return post_actions(user, post).react


def can_quote(user, post):
    return post_actions(user, post).quote


def can_flag(user, post):
    return post_actions(user, post).flag


def can_accept_answer(user, thread, post=None):
    """Whether ``user`` may mark ``post`` as the thread's answer or, without ``post``,
    change the accepted answer at all (clearing it)."""
    if post is None:
        return _thread_rules(user, thread).accept
    return post.thread_id == thread.pk and post_actions(user, post, thread=thread).accept


def can_vote(user, thread):
    rules = _thread_rules(user, thread)
    return rules.sees and rules.vote


def can_view_revisions(user, post):
    return post_actions(user, post).history


def can_moderate(user, category):
    """Whether ``user`` may moderate what is in ``category`` — read held and flagged
    posts, approve, hide, restore, lock, pin, move, merge, tag. Only moderators
    in its audience: moderating means reading."""
    return is_moderator(user) and can_see_category(user, category)


def moderated_threads(user, qs=None):
    """The threads in categories ``user`` may moderate (``can_moderate``),
    hidden ones included: the admin's thread list."""
    qs = Thread.objects.all() if qs is None else qs
    if not is_moderator(user):
        return qs.none()
    return qs.filter(category_id__in=visible_category_ids(user))


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
