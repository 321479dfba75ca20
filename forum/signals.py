"""Every member gets an @handle when their profile is created or next saved, so they can
be mentioned. Handles are made on this write, never while a page is read."""

from django.db import transaction


def profile_saved(sender, instance, created, raw=False, **kwargs):
    if raw:
        return
    from .models import MemberHandle
    from .services import handle_for

    if not created and MemberHandle.objects.filter(user_id=instance.user_id).exists():
        return

    user_id = instance.user_id

    def run():
        from django.contrib.auth import get_user_model

        user = get_user_model().objects.filter(pk=user_id).select_related("profile").first()
        if user is not None:
            handle_for(user)

    transaction.on_commit(run)
