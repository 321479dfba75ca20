"""How a search hit is shown, whatever model it comes from."""

from django import template
from django.utils.html import strip_tags
from django.utils.text import Truncator

register = template.Library()

EXCERPT_FIELDS = ("search_description", "summary", "excerpt", "intro", "description", "body")


@register.filter
def hit_url(hit):
    """A page's URL, else the object's get_absolute_url(), else nothing."""
    for attr in ("url", "get_absolute_url"):
        value = getattr(hit, attr, None)
        if callable(value):
            try:
                value = value()
            except Exception:  # noqa: BLE001 - a hit without a URL is shown unlinked
                value = None
        if value:
            return value
    return ""


@register.filter
def hit_title(hit):
    return getattr(hit, "title", None) or str(hit)


@register.filter
def hit_label(hit):
    """What kind of thing the hit is, e.g. "Spotlight" or "Discussion thread"."""
    specific = getattr(hit, "specific_deferred", None) or hit
    return str(specific._meta.verbose_name).capitalize()


@register.filter
def hit_excerpt(hit, length=40):
    for field in EXCERPT_FIELDS:
        value = getattr(hit, field, None)
        if value and not callable(value):
            return Truncator(strip_tags(str(value))).words(int(length))
    return ""
