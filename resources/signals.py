"""Tell members what moderators decided about what they shared, keep the
page tree in place after every migrate, clean up after killed uploads, and
keep documents' text (and the search entries that carry it) in step with
their files."""

from django.db.models.signals import post_delete, post_migrate, post_save, pre_delete
from django.dispatch import receiver
from wagtail.documents import get_document_model
from wagtail.models import Page, PageViewRestriction
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


def on_document_saved(sender, instance, update_fields=None, **kwargs):
    """An uploaded or replaced file is read by a durable task, in this
    transaction: if the upload commits, so does the work it owes."""
    if update_fields is not None and "file" not in update_fields:
        return
    from connect.tasks import enqueue

    from .tasks import document_text_update

    enqueue(document_text_update, instance.pk)


def on_document_deleted(sender, instance, **kwargs):
    """The document's text goes with it (its rows cascade); the pages that
    showed it lose it from their search entries."""
    from connect.tasks import search_index_later

    from .models import ResourcePage

    for page in ResourcePage.objects.filter(document_id=instance.pk):
        search_index_later(page)


def on_view_restriction_changed(sender, instance, **kwargs):
    """Restricted pages keep their document's words out of the index (see
    ResourcePage.document_text): re-index the resources under the page."""
    from connect.tasks import search_index_later

    from .models import ResourcePage

    page = Page.objects.filter(pk=instance.page_id).first()
    if page is None:
        return  # the page itself was deleted
    for resource in ResourcePage.objects.descendant_of(page, inclusive=True).filter(document__isnull=False):
        search_index_later(resource)


# The connect.fragments generation of what the library lists besides its
# pages: topics, audiences, sources and download counts.
LIBRARY = "resources.library"


def on_library_changed(sender, **kwargs):
    from connect import fragments

    fragments.bump(LIBRARY)


def connect_signals(app_config):
    from connect.tasks import housekeeping

    Document = get_document_model()
    post_save.connect(on_document_saved, sender=Document, dispatch_uid="resources_document_text")
    pre_delete.connect(on_document_deleted, sender=Document, dispatch_uid="resources_document_text_gone")
    for name, signal in (("saved", post_save), ("deleted", post_delete)):
        signal.connect(
            on_view_restriction_changed,
            sender=PageViewRestriction,
            dispatch_uid=f"resources_restriction_{name}",
        )

    from .models import Audience, DocumentDownload, SourceOrganization, Topic

    for name, signal in (("saved", post_save), ("deleted", post_delete)):
        for model in (Topic, Audience, SourceOrganization, DocumentDownload):
            signal.connect(
                on_library_changed, sender=model, dispatch_uid=f"resources_library_{model.__name__}_{name}"
            )

    housekeeping.connect(on_housekeeping, dispatch_uid="resources_remove_orphaned_uploads")
    post_migrate.connect(on_post_migrate, sender=app_config, dispatch_uid="resources_page_tree")
