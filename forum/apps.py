from django.apps import AppConfig


class ForumConfig(AppConfig):
    """Discussion board: categories, threads, posts, reactions, moderation."""

    name = "forum"
    verbose_name = "Discussions"

    def ready(self):
        from django.db.models.signals import post_save

        from connect.models import MemberProfile

        from .signals import profile_saved

        post_save.connect(profile_saved, sender=MemberProfile, dispatch_uid="forum.profile_handle")

        from connect.tasks import housekeeping

        from .live import on_housekeeping

        housekeeping.connect(on_housekeeping, dispatch_uid="forum.prune_thread_events")
