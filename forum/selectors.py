"""Reads in discussions, filtered by what the member may see.

Every list fetches what its rows show up front (``select_related``, one query
per kind of extra), so a page costs the same number of queries whatever the
number of threads, posts, authors and reactions on it.
"""

from __future__ import annotations

from django.conf import settings
from django.core.cache import cache
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.http import Http404

from connect import compiled
from connect.access import in_transaction

from . import permissions
from .models import (
    Bookmark,
    Category,
    CategorySubscription,
    Flag,
    Post,
    Reaction,
    Thread,
    ThreadRead,
    ThreadSubscription,
    Vote,
)


def _threads_per_page():
    return getattr(settings, "FORUM_THREADS_PER_PAGE", 25)


def posts_per_page():
    return getattr(settings, "FORUM_POSTS_PER_PAGE", 20)


def _with_read_state(qs, user):
    last_read = ThreadRead.objects.filter(user_id=user.pk, thread_id=OuterRef("pk")).values(
        "last_read_post_id"
    )[:1]
    return qs.annotate(last_read_post_id=Coalesce(Subquery(last_read), Value(0)))


def _mark_unread(threads):
    for thread in threads:
        thread.is_unread = bool(thread.last_post_id and thread.last_post_id > thread.last_read_post_id)
        thread.is_new = thread.last_read_post_id == 0
    return threads


CATEGORY_STATS_KEY = "forum:category-stats:1"


def forget_category_stats():
    """Drop the board-wide category figures, now and after commit: called
    whenever a thread or category is saved or deleted (forum.signals)."""
    cache.delete(CATEGORY_STATS_KEY)
    transaction.on_commit(lambda: cache.delete(CATEGORY_STATS_KEY))


def _category_stats():
    """``{"counts": {category id: threads on the board}, "latest": {category id:
    thread id}}`` for every category. The same for every member (each page
    keeps only the categories its member may see), so it is cached until a
    thread or category changes."""
    stats = cache.get(CATEGORY_STATS_KEY)
    if stats is not None:
        return stats
    on_board = Thread.objects.filter(is_hidden=False).order_by()
    counts = dict(on_board.values("category_id").annotate(n=Count("id")).values_list("category_id", "n"))
    latest = on_board.filter(category_id=OuterRef("pk")).order_by("-last_activity_at", "-id").values("pk")[:1]
    stats = {
        "counts": counts,
        "latest": dict(
            Category.objects.order_by().annotate(latest=Subquery(latest)).values_list("pk", "latest")
        ),
    }
    if not in_transaction():
        cache.set(CATEGORY_STATS_KEY, stats, 24 * 3600)
    return stats


def category_index(*, user):
    """The categories a member may see, each with its number of threads and the latest one."""
    categories = list(permissions.visible_categories(user))
    stats = _category_stats() if categories else {"counts": {}, "latest": {}}
    latest_ids = {c.pk: stats["latest"].get(c.pk) for c in categories}
    threads = {
        t.pk: t
        for t in _mark_unread(
            list(
                _with_read_state(
                    Thread.objects.filter(pk__in=[v for v in latest_ids.values() if v]), user
                ).select_related("last_post__author__profile")
            )
        )
    }
    watched = set(CategorySubscription.objects.filter(user_id=user.pk).values_list("category_id", flat=True))
    for category in categories:
        category.thread_count = stats["counts"].get(category.pk, 0)
        category.latest_thread = threads.get(latest_ids.get(category.pk))
        category.is_watched = category.pk in watched
    return categories


def startable_categories(*, user):
    """The categories ``user`` may start a thread in, in the board's order."""
    return [c for c in permissions.visible_categories(user) if permissions.can_start_thread(user, c)]


def category_for(*, user, slug):
    category = Category.objects.filter(slug=slug).first()
    if category is None or not permissions.can_see_category(user, category):
        raise Http404
    return category


def thread_list(*, user, category=None, page=1, sort="activity", tag=""):
    """One page of threads, pinned first, then by last activity (or by votes), with unread markers."""
    qs = permissions.visible_threads(user, Thread.objects.all())
    if category is not None:
        qs = qs.filter(category=category)
    if tag:
        qs = qs.filter(tags__name__iexact=tag)
    qs = _with_read_state(qs, user).select_related(
        "category", "author__profile", "last_post__author__profile"
    )
    if sort == "votes":
        qs = qs.order_by("-is_pinned", "-vote_count", "-last_activity_at", "-id")
    elif sort == "new":
        qs = qs.order_by("-created_at", "-id")
    else:
        qs = qs.order_by("-is_pinned", "-last_activity_at", "-id")
    page_obj = Paginator(qs, _threads_per_page()).get_page(page)
    threads = _mark_unread(list(page_obj.object_list))
    if threads:
        voted = set(
            Vote.objects.filter(user_id=user.pk, thread_id__in=[t.pk for t in threads]).values_list(
                "thread_id", flat=True
            )
        )
        for thread in threads:
            thread.has_voted = thread.pk in voted
    page_obj.object_list = threads
    return page_obj


def _member_state(user):
    # The member's own marks on a thread, as annotations of its row.
    return {
        "member_last_read": Subquery(
            ThreadRead.objects.filter(user_id=user.pk, thread_id=OuterRef("pk")).values("last_read_post_id")[
                :1
            ]
        ),
        "member_subscription": Subquery(
            ThreadSubscription.objects.filter(user_id=user.pk, thread_id=OuterRef("pk")).values("level")[:1]
        ),
        "member_bookmarked": Exists(Bookmark.objects.filter(user_id=user.pk, thread_id=OuterRef("pk"))),
        "member_voted": Exists(Vote.objects.filter(user_id=user.pk, thread_id=OuterRef("pk"))),
    }


def thread_for(*, user, pk, with_member_state=False, with_author=True):
    qs = Thread.objects.select_related("category", *(["author__profile"] if with_author else []))
    if with_member_state:
        # The member's own marks on the thread, in the same query.
        qs = qs.annotate(**_member_state(user))
    thread = qs.filter(pk=pk).first()
    if thread is None or not permissions.can_see_thread(user, thread):
        raise Http404
    return thread


def thread_member_state(*, user, thread):
    """Put the member's own marks on ``thread`` (from ``thread_for``) as
    ``thread_for(with_member_state=True)`` does, in one query."""
    state = Thread.objects.filter(pk=thread.pk).values(**_member_state(user)).first() or {}
    for name in ("member_last_read", "member_subscription", "member_bookmarked", "member_voted"):
        setattr(thread, name, state.get(name))
    return thread


def merged_target(*, user, pk):
    """The visible thread that thread ``pk`` was merged into, if any."""
    target_id = Thread.objects.filter(pk=pk).values_list("merged_into_id", flat=True).first()
    if not target_id:
        return None
    target = Thread.objects.select_related("category").filter(pk=target_id).first()
    return target if target is not None and permissions.can_see_thread(user, target) else None


def _thread_posts(user, thread):
    """The posts that take a place in ``thread`` for ``user``: hidden posts are
    among them for everyone (readers get a placeholder, see ``_decorate``),
    so a post's page and position are the same for every reader."""
    qs = Post.objects.filter(thread=thread)
    if not permissions.is_moderator(user):
        qs = qs.filter(
            Q(status__in=(Post.Status.VISIBLE, Post.Status.HIDDEN))
            | Q(status=Post.Status.HELD, author_id=user.pk)
        )
    return qs


# A reaction's list of names stops here; the rest are counted ("and 4 others").
MAX_REACTORS_NAMED = 10


def _reactions(post_ids):
    """Every reaction on ``post_ids`` with what naming its member needs, in one query."""
    return list(
        Reaction.objects.filter(post_id__in=post_ids)
        .select_related("user__profile")
        .only(
            "post_id",
            "kind",
            "user__is_active",
            "user__first_name",
            "user__last_name",
            "user__email",
            "user__profile__display_name",
        )
        .order_by("created_at", "id")
    )


def _reactors(user, reactions):
    """``{post_id: {kind: (names, unnamed)}}``: who reacted, as far as ``user`` may see."""
    out = {}
    for reaction in reactions:
        names, unnamed = out.setdefault(reaction.post_id, {}).setdefault(reaction.kind, ([], [0]))
        if len(names) < MAX_REACTORS_NAMED and permissions.can_see_reactor(user, reaction.user):
            names.append(reaction.user.display_name)
        else:
            unnamed[0] += 1
    return {
        post_id: {kind: (tuple(names), unnamed[0]) for kind, (names, unnamed) in kinds.items()}
        for post_id, kinds in out.items()
    }


def _decorate_posts(user, thread, posts, *, last_read):
    """What the post template reads besides the post: the reactions (the member's
    own and who reacted), the answer and unread marks and, for moderators, open
    flags (one query each)."""
    post_ids = [p.pk for p in posts]
    reactions = _reactions(post_ids) if post_ids else []
    mine = {}
    for reaction in reactions:
        if reaction.user_id == user.pk:
            mine.setdefault(reaction.post_id, set()).add(reaction.kind)
    reactors = _reactors(user, reactions)
    open_flags = {}
    if permissions.is_moderator(user) and post_ids:
        open_flags = dict(
            Flag.objects.filter(post_id__in=post_ids, resolution="")
            .values("post_id")
            .annotate(n=Count("id"))
            .values_list("post_id", "n")
        )
    for post in posts:
        _decorate(user, thread, post, mine.get(post.pk, set()), last_read, open_flags.get(post.pk, 0))
        post.reactors = reactors.get(post.pk, {})
    return posts


def _decorate(user, thread, post, my_reactions, last_read, open_flags):
    # The rendering reads this flag and shows no word of the post; the rule is
    # in permissions, shared with the live fan-out.
    post.is_placeholder = permissions.shows_removed_placeholder(user, post, thread=thread)
    post.my_reactions = my_reactions
    post.is_first = post.pk == thread.first_post_id
    post.is_accepted = post.pk == thread.accepted_answer_id
    post.is_unread = post.pk > last_read and post.author_id != user.pk
    post.open_flags = open_flags


def thread_posts(*, user, thread, post_ids):
    """The posts among ``post_ids`` that ``user`` may see in ``thread``, prepared as
    the thread page prepares them (live updates render them with the same tag)."""
    posts = list(
        _thread_posts(user, thread)
        .filter(pk__in=list(post_ids))
        .select_related("author__profile__task_force")
        .order_by("id")
    )
    last_read = (
        ThreadRead.objects.filter(user_id=user.pk, thread=thread)
        .values_list("last_read_post_id", flat=True)
        .first()
        or 0
    )
    return _decorate_posts(user, thread, posts, last_read=last_read)


def thread_posts_for_members(*, users, thread, post_ids):
    """``(user, posts)`` for each of ``users`` (who may all see ``thread``): the posts
    among ``post_ids`` that member may see, decorated as ``thread_posts`` decorates
    them, in a fixed number of queries whatever the number of members.

    The post objects are shared between members and re-decorated for each, so
    use a member's posts before asking for the next member."""
    users = list(users)
    posts = list(
        Post.objects.filter(thread=thread, pk__in=list(post_ids))
        .select_related("author__profile__task_force")
        .order_by("id")
    )
    if not posts or not users:
        for user in users:
            yield user, []
        return
    ids = [p.pk for p in posts]
    user_ids = [u.pk for u in users]
    reactions = _reactions(ids)
    wanted = set(user_ids)
    mine = {}
    for reaction in reactions:
        if reaction.user_id in wanted:
            mine.setdefault((reaction.user_id, reaction.post_id), set()).add(reaction.kind)
    last_read = dict(
        ThreadRead.objects.filter(user_id__in=user_ids, thread=thread).values_list(
            "user_id", "last_read_post_id"
        )
    )
    open_flags = _open_flags(users, ids)
    for post in posts:
        post.thread = thread  # the thread-wide rules are then worked out once per member
    for user in users:
        yield user, _posts_decorated_for(user, thread, posts, reactions, mine, last_read, open_flags)


def _open_flags(users, post_ids):
    """Open flags per post, read only when one of ``users`` is a moderator."""
    if not any(permissions.is_moderator(u) for u in users):
        return {}
    return dict(
        Flag.objects.filter(post_id__in=post_ids, resolution="")
        .values("post_id")
        .annotate(n=Count("id"))
        .values_list("post_id", "n")
    )


def _posts_decorated_for(user, thread, posts, reactions, mine, last_read, open_flags):
    """The posts of ``posts`` that ``user`` may see (or sees as a removed
    placeholder), decorated for them; shared by the per-member and the
    per-signature fan-out, so both apply the thread page's rules alike."""
    flags = open_flags if permissions.is_moderator(user) else {}
    visible = [
        p
        for p in posts
        if permissions.can_see_post(user, p) or permissions.shows_removed_placeholder(user, p, thread=thread)
    ]
    reactors = _reactors(user, reactions)
    for post in visible:
        _decorate(
            user,
            thread,
            post,
            mine.get((user.pk, post.pk), set()),
            last_read.get(user.pk) or 0,
            flags.get(post.pk, 0),
        )
        post.reactors = reactors.get(post.pk, {})
    return visible


def thread_posts_by_signature(*, users, thread, post_ids):
    """``(members, posts)`` for ``users`` (who may all see ``thread``), grouped so
    that every member of a group sees exactly ``posts``, decorated exactly so:
    the same post signature (``permissions.member_post_signature``), the same
    authorship, own reactions and unread marks on these posts. Each group is
    decorated once, for its first member, by the same code as
    :func:`thread_posts_for_members`; a thousand readers of a new reply are
    usually one or two groups. The queries are those of
    :func:`thread_posts_for_members`, the read markers' SQL built once for the
    same readers (``connect.compiled``)."""
    users = list(users)
    posts = list(
        Post.objects.filter(thread=thread, pk__in=list(post_ids))
        .select_related("author__profile__task_force")
        .order_by("id")
    )
    if not posts or not users:
        if users:
            yield users, []
        return
    ids = [p.pk for p in posts]
    user_ids = sorted({u.pk for u in users})
    reactions = _reactions(ids)
    wanted = set(user_ids)
    mine = {}
    for reaction in reactions:
        if reaction.user_id in wanted:
            mine.setdefault((reaction.user_id, reaction.post_id), set()).add(reaction.kind)
    last_read = dict(
        compiled.rows(
            "live-read-markers",
            (thread.pk, tuple(user_ids)),
            lambda: ThreadRead.objects.filter(user_id__in=user_ids, thread_id=thread.pk).values_list(
                "user_id", "last_read_post_id"
            ),
            convert=False,
        )
    )
    open_flags = _open_flags(users, ids)
    for post in posts:
        post.thread = thread  # the thread-wide rules are then worked out once per member
    groups = {}
    for user in users:
        read = last_read.get(user.pk) or 0
        key = (
            permissions.member_post_signature(user, thread),
            tuple(p.author_id == user.pk for p in posts),
            tuple(frozenset(mine.get((user.pk, p.pk), ())) for p in posts),
            tuple(p.pk > read for p in posts),
        )
        groups.setdefault(key, []).append(user)
    for members in groups.values():
        yield members, _posts_decorated_for(members[0], thread, posts, reactions, mine, last_read, open_flags)


def thread_page(*, user, thread_id, page=1):
    """Everything the thread page shows, in a fixed number of queries."""
    thread = thread_for(user=user, pk=thread_id, with_member_state=True)
    return {"thread": thread, **thread_page_posts(user=user, thread=thread, page=page)}


def thread_page_posts(*, user, thread, page=1):
    """The page of posts of ``thread`` (from ``thread_for(with_member_state=True)``)
    that ``user`` sees, prepared for the post tag, with the thread's tags."""
    posts_qs = _thread_posts(user, thread).select_related("author__profile__task_force").order_by("id")
    page_obj = Paginator(posts_qs, posts_per_page()).get_page(page)
    posts = list(page_obj.object_list)
    post_ids = [p.pk for p in posts]
    last_read = thread.member_last_read or 0
    _decorate_posts(user, thread, posts, last_read=last_read)
    first_unread = next((p for p in posts if p.is_unread), None)
    tags = list(thread.tags.values_list("name", flat=True))
    page_obj.object_list = posts
    return {
        "page_obj": page_obj,
        "posts": posts,
        "first_unread": first_unread,
        "last_read_post_id": last_read,
        "subscription": thread.member_subscription,
        "is_bookmarked": thread.member_bookmarked,
        "has_voted": thread.member_voted,
        "tags": tags,
        "max_post_id": max(post_ids) if post_ids else 0,
    }


def post_for(*, user, pk):
    post = Post.objects.select_related("thread__category", "author__profile").filter(pk=pk).first()
    if post is None or not permissions.can_see_post(user, post):
        raise Http404
    return post


def post_page_number(*, user, post):
    before = _thread_posts(user, post.thread).filter(id__lt=post.pk).count()
    return before // posts_per_page() + 1


def first_unread_post(*, user, thread):
    last_read = (
        ThreadRead.objects.filter(user_id=user.pk, thread=thread)
        .values_list("last_read_post_id", flat=True)
        .first()
        or 0
    )
    return _thread_posts(user, thread).filter(id__gt=last_read).order_by("id").first()


def recent_threads(*, user, limit=5):
    """The ``limit`` threads with the latest activity that ``user`` may see.

    The board's newest threads come first from the last-activity index (a
    few rows), and the visibility rule runs on those alone; asked of the
    whole table, the planner would read every visible thread to sort them.
    Only a member who may see fewer than ``limit`` of them pays for that."""
    window = limit * 10
    newest = list(Thread.objects.order_by("-last_activity_at", "-id").values_list("pk", flat=True)[:window])
    threads = _recent_threads(user, Thread.objects.filter(pk__in=newest), limit)
    if len(threads) < limit and len(newest) == window:
        threads = _recent_threads(user, Thread.objects.all(), limit)
    return threads


def _recent_threads(user, qs, limit):
    qs = permissions.visible_threads(user, qs)
    qs = _with_read_state(qs, user).select_related("category", "last_post__author__profile")
    return _mark_unread(list(qs.order_by("-last_activity_at", "-id")[:limit]))


def task_force_threads(*, user, task_force, limit=5):
    """Recent threads started by members of ``task_force`` that ``user`` may see."""
    qs = permissions.visible_threads(user, Thread.objects.filter(author__profile__task_force=task_force))
    return list(qs.select_related("category", "author__profile").order_by("-last_activity_at", "-id")[:limit])


def member_recent_posts(*, user, member, limit=5):
    """The newest posts by ``member`` that ``user`` may read, with their threads."""
    qs = permissions.visible_posts(user, Post.objects.filter(author_id=member.pk))
    if permissions.is_moderator(user):
        # A profile is not a moderation screen: only what is on the board.
        qs = qs.filter(status=Post.Status.VISIBLE, thread__is_hidden=False)
    return list(qs.select_related("thread__category").order_by("-created_at", "-id")[:limit])


def bookmarked_threads(*, user, page=1):
    ids = Bookmark.objects.filter(user_id=user.pk).values("thread_id")
    qs = permissions.visible_threads(user, Thread.objects.filter(pk__in=ids))
    qs = _with_read_state(qs, user).select_related("category", "last_post__author__profile")
    page_obj = Paginator(qs.order_by("-last_activity_at", "-id"), _threads_per_page()).get_page(page)
    page_obj.object_list = _mark_unread(list(page_obj.object_list))
    return page_obj


def mention_suggestions(*, user, q, category_slug="", limit=8):
    """Members whose name or handle starts with ``q``, for the @mention suggestions.

    With ``category_slug`` (the category the member is writing in) only members
    who can see that category are suggested; a category the member cannot see
    suggests nobody, so the answer never tells whether it exists. Only members
    who have a handle are suggested: a read creates none (``forum.signals``
    gives one when a profile is saved)."""
    from connect.models import MemberProfile

    q = (q or "").strip().lstrip("@")[:50]
    if not q:
        return []
    category = None
    if category_slug:
        category = Category.objects.filter(slug=category_slug).first()
        if category is None or not permissions.can_see_category(user, category):
            return []
    profiles = (
        permissions.visible_members(
            user, MemberProfile.objects.select_related("user__forum_handle", "task_force"), category
        )
        .filter(user__forum_handle__isnull=False)
        .filter(
            Q(display_name__istartswith=q)
            | Q(user__first_name__istartswith=q)
            | Q(user__last_name__istartswith=q)
            | Q(user__forum_handle__handle_lower__startswith=q.lower())
        )
        .order_by("display_name", "pk")[:limit]
    )
    results = []
    for profile in profiles:
        results.append(
            {
                "handle": profile.user.forum_handle.handle,
                "name": profile.display_name,
                "task_force": profile.task_force.name,
            }
        )
    return results


def moderation_queue():
    """Posts waiting for a moderator: held by the privacy guard or flagged by members."""
    return (
        Post.objects.filter(Q(status=Post.Status.HELD) | Q(flags__resolution=""))
        .select_related("thread__category", "author__profile")
        .annotate(open_flag_count=Count("flags", filter=Q(flags__resolution="")))
        .distinct()
        .order_by("created_at")
    )
