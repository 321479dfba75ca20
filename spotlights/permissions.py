"""Who may see which spotlights: the one rule behind the spotlight's own URL,
the archive, this week's spotlight, task-force pages, search and the
downloads and resources a spotlight links to."""

from django.utils import timezone

from connect.permissions import visible_pages


def visible_spotlights(user, qs=None):
    """Spotlights a member may see: visible pages (live, not expired, passing
    view restrictions) whose week has begun. A spotlight published ahead for
    next week stays out of sight until its Monday; moderators read it in the
    admin's preview meanwhile."""
    from .models import SpotlightPage

    if qs is None:
        qs = SpotlightPage.objects.all()
    return visible_pages(user, qs).filter(week__lte=timezone.localdate())


def can_view_spotlight(user, page):
    return visible_spotlights(user).filter(pk=page.pk).exists()
