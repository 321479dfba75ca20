from django.apps import AppConfig


class ForumConfig(AppConfig):
    """Discussion board: categories, threads, posts, notifications, moderation."""

    name = "forum"
    verbose_name = "Discussions"
