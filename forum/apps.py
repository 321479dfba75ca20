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
