"""Every member gets an @handle as soon as they have a profile, so they can be mentioned."""

from django.db import transaction


def profile_saved(sender, instance, created, raw=False, **kwargs):
    if raw or not created:
        return
    from .services import handle_for

    user_id = instance.user_id

    def run():
        from django.contrib.auth import get_user_model

        user = get_user_model().objects.filter(pk=user_id).select_related("profile").first()
        if user is not None:
            handle_for(user)

    transaction.on_commit(run)
