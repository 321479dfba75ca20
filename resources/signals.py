"""Tell members what moderators decided about what they shared, keep the
page tree in place after every migrate, and clean up after killed uploads."""

from django.db.models.signals import post_migrate
from django.dispatch import receiver
from wagtail.signals import page_published, workflow_rejected

from .models import ResourcePage, SharedResource


@receiver(page_published, sender=ResourcePage)
def on_resource_published(sender, instance, **kwargs):
    from .services import share_decide

    share_decide(page=instance, decision=SharedResource.Status.PUBLISHED)


@receiver(workflow_rejected)
def on_workflow_rejected(sender, instance, user=None, **kwargs):
    from .services import share_decide

    page = getattr(instance, "content_object", None)
    if isinstance(page, ResourcePage) or getattr(page, "specific_class", None) is ResourcePage:
        share_decide(page=page, decision=SharedResource.Status.DECLINED)


def on_post_migrate(sender, app_config=None, **kwargs):
    from .setup import ensure_library

    ensure_library()


def on_housekeeping(sender, **kwargs):
    """Hourly: delete uploaded files a process killed before its commit left
    in media, and stale temporary upload files (a day old and more)."""
    from .uploads import remove_orphaned_files

    remove_orphaned_files()


def connect_signals(app_config):
    from connect.tasks import housekeeping

    housekeeping.connect(on_housekeeping, dispatch_uid="resources_remove_orphaned_uploads")
    post_migrate.connect(on_post_migrate, sender=app_config, dispatch_uid="resources_page_tree")
