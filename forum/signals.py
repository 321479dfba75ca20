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


def category_stats_changed(sender, instance, **kwargs):
    """A thread was posted in, moved, hidden or removed, or a category changed:
    the discussions index counts again."""
    from .selectors import forget_category_stats

    forget_category_stats()
