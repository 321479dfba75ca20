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
    read, the categories they watch, their votes (the "New" tags, "Watching")."""
    return f"forum.marks:{user_id}"


def fragment_depends(user):
    """What a cached list of threads or categories shown to ``user`` is built from."""
    return [BOARD, marks_scope(user.pk)]


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
