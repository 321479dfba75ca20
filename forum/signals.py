"""Every member gets an @handle when their profile is created or next saved, so they can
be mentioned. Handles are made on this write, in its transaction, never while a page is read."""


def profile_saved(sender, instance, created, raw=False, **kwargs):
    if raw:
        return
    from django.contrib.auth import get_user_model

    from .models import MemberHandle
    from .services import handle_for

    if not created and MemberHandle.objects.filter(user_id=instance.user_id).exists():
        return
    # A fresh user: one the caller holds may remember a handle that is gone.
    user = get_user_model().objects.get(pk=instance.user_id)
    user.profile = instance  # the handle is made from the display name just saved
    handle_for(user)


# The connect.fragments generation of everything on the board: moved on by
# every save or delete of a post, thread or category (and by the services'
# bulk updates of them), so a cached fragment built from any of them is dropped.
BOARD = "forum.board"


def marks_scope(user_id):
    """The generation of one member's own marks on the board: what they have
    read, the categories and threads they watch or mute, their bookmarks and
    votes (the "New" tags, "Watching")."""
    return f"forum.marks:{user_id}"


def fragment_depends(user):
    """What a cached list of threads or categories shown to ``user`` is built from."""
    return [BOARD, marks_scope(user.pk)]


def thread_scope(thread_id):
    """The generation of one thread's page: its posts, reactions, flags and tags.
    (Its row's ``event_seq`` moves with every change too; this also covers
    the writes that record no event.)"""
    return f"forum.thread:{thread_id}"


def thread_changed(sender, instance, **kwargs):
    """A post, thread, flag or tag of a thread was saved or deleted."""
    from connect import fragments

    from .models import Flag, Post, Thread

    if isinstance(instance, Thread):
        thread_id = instance.pk
    elif isinstance(instance, Flag):
        thread_id = Post.objects.filter(pk=instance.post_id).values_list("thread_id", flat=True).first()
    else:
        thread_id = getattr(instance, "thread_id", None) or getattr(instance, "content_object_id", None)
    if thread_id:
        fragments.bump(thread_scope(thread_id))


def thread_tags_changed(sender, instance, action, reverse, pk_set=None, **kwargs):
    from connect import fragments

    if action.startswith("post_") and not reverse:
        fragments.bump(thread_scope(instance.pk))


def suspension_changed(sender, instance, **kwargs):
    """A suspension was saved or deleted: whether its member may write is asked again."""
    from connect import fragments

    from .permissions import SUSPENSIONS, suspension_scope

    fragments.bump(suspension_scope(instance.user_id), SUSPENSIONS)


def marks_changed(sender, instance, **kwargs):
    """A read marker, category subscription or vote was saved or deleted."""
    from connect import fragments

    fragments.bump(marks_scope(instance.user_id))


def board_changed(sender=None, instance=None, **kwargs):
    """A post, thread or category was saved or deleted: fragments built from the board are dropped."""
    from connect import fragments

    fragments.bump(BOARD)


def category_stats_changed(sender, instance, **kwargs):
    """A thread was posted in, moved, hidden or removed, or a category changed:
    the discussions index counts again."""
    from .selectors import forget_category_stats

    forget_category_stats()
