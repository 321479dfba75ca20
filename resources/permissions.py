"""Who may see and download what in the library and the events calendar.

A resource or an event is visible when it is a visible page
(`connect.permissions.visible_pages`: live, not expired, passing view
restrictions, for active members). The same functions decide the page's own
URL, the library and events pages, the home panels, related lists, search,
downloads and the calendar feed."""

from django.contrib.contenttypes.models import ContentType
from wagtail.models import Page, ReferenceIndex

from connect.permissions import is_active_member, is_moderator, visible_pages


def visible_resources(user, qs=None):
    from .models import ResourcePage

    return visible_pages(user, ResourcePage.objects.all() if qs is None else qs)


def visible_events(user, qs=None):
    from .models import EventPage

    return visible_pages(user, EventPage.objects.all() if qs is None else qs)


def can_view_page(user, page):
    """Whether ``user`` may see ``page``, by the rule of its own type."""
    return type(page).searchable_for(user).filter(pk=page.pk).exists()


def visible_page_ids(user, page_ids):
    """Which of ``page_ids`` (pages of any type) ``user`` may see. Each type is
    asked through its ``searchable_for``, so a spotlight's own rule (its week
    must have begun) applies without this app knowing spotlights."""
    page_ids = set(page_ids)
    if not page_ids or not is_active_member(user):
        return set()
    seen = set()
    rows = Page.objects.filter(pk__in=page_ids).values_list("content_type_id", flat=True).distinct()
    for content_type_id in rows:
        model = ContentType.objects.get_for_id(content_type_id).model_class()
        if model is None:
            continue
        if hasattr(model, "searchable_for"):
            qs = model.searchable_for(user)
        else:
            qs = visible_pages(user, model.objects.all())
        seen.update(qs.filter(pk__in=page_ids).values_list("pk", flat=True))
    return seen


def can_download_document(user, document):
    """Active members may download a document used by a page they may see; one
    used only by drafts, unpublished or not-yet-visible pages is for
    moderators only (who review it)."""
    if not is_active_member(user):
        return False
    if is_moderator(user):
        return True
    if visible_resources(user).filter(document=document).exists():
        return True
    # Documents linked from a spotlight body or another page's rich text.
    page_ids = ReferenceIndex.get_references_to(document).filter(
        base_content_type=ContentType.objects.get_for_model(Page)
    )
    ids = [int(pk) for pk in page_ids.values_list("object_id", flat=True) if str(pk).isdigit()]
    return bool(visible_page_ids(user, ids))


def can_share_resource(user):
    return is_active_member(user)
