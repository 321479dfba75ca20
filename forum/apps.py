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

        from django.db.models.signals import m2m_changed, post_delete

        from .models import (
            Bookmark,
            Category,
            CategorySubscription,
            Flag,
            Post,
            Suspension,
            TaggedThread,
            Thread,
            ThreadRead,
            ThreadSubscription,
            Vote,
        )
        from .signals import (
            board_changed,
            category_stats_changed,
            marks_changed,
            suspension_changed,
            thread_changed,
            thread_tags_changed,
        )

        # The discussions index's thread counts and latest threads (forum.selectors).
        for signal, name in ((post_save, "save"), (post_delete, "delete")):
            for model in (Thread, Category):
                signal.connect(
                    category_stats_changed,
                    sender=model,
                    dispatch_uid=f"forum.category_stats.{model.__name__}.{name}",
                )
            for model in (ThreadRead, CategorySubscription, Vote, ThreadSubscription, Bookmark):
                signal.connect(
                    marks_changed, sender=model, dispatch_uid=f"forum.marks.{model.__name__}.{name}"
                )
            for model in (Post, Thread, Category):
                signal.connect(
                    board_changed, sender=model, dispatch_uid=f"forum.board.{model.__name__}.{name}"
                )
            signal.connect(suspension_changed, sender=Suspension, dispatch_uid=f"forum.suspension.{name}")
            # A thread's cached page (forum.views.thread).
            for model in (Post, Thread, Flag, TaggedThread):
                signal.connect(
                    thread_changed, sender=model, dispatch_uid=f"forum.thread.{model.__name__}.{name}"
                )
        m2m_changed.connect(thread_tags_changed, sender=TaggedThread, dispatch_uid="forum.thread.tags")
