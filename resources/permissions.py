"""Who may see and download what in the library and the events calendar."""

from django.contrib.contenttypes.models import ContentType
from wagtail.models import Page, ReferenceIndex

from connect.permissions import is_active_member, is_moderator


def visible_pages(user, qs):
    """Live pages without view restrictions, for active members only. Drafts,
    scheduled pages and unpublished pages stay invisible (a 404)."""
    if not is_active_member(user):
        return qs.none()
    return qs.live().public()


def can_download_document(user, document):
    """Active members may download a document used by a live page; one used
    only by drafts or unpublished pages is for moderators only."""
    if not is_active_member(user):
        return False
    if is_moderator(user):
        return True
    from .models import ResourcePage

    if ResourcePage.objects.live().public().filter(document=document).exists():
        return True
    # Documents linked from a spotlight body or another page's rich text.
    page_ids = ReferenceIndex.get_references_to(document).filter(
        base_content_type=ContentType.objects.get_for_model(Page)
    )
    ids = [int(pk) for pk in page_ids.values_list("object_id", flat=True) if str(pk).isdigit()]
    return bool(ids) and Page.objects.live().public().filter(pk__in=ids).exists()


def can_share_resource(user):
    return is_active_member(user)
