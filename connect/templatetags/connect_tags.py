import datetime

from django import template
from django.utils import timezone
from django.utils.timesince import timesince

register = template.Library()

_CLASSES = {
    "select": "usa-select",
    "selectmultiple": "usa-select",
    "textarea": "usa-textarea",
    "clearablefile": "usa-file-input",
    "file": "usa-file-input",
}


@register.simple_tag
def uswds_widget(field):
    """Render a bound field's widget with USWDS classes and the ARIA links to
    its hint and error, so screen readers read them with the field."""
    css = _CLASSES.get(field.widget_type, "usa-input")
    attrs = {"class": (css + (" usa-input--error" if field.errors else "")).strip()}
    described = []
    if field.help_text:
        described.append(f"{field.id_for_label}-hint")
    if field.errors:
        described.append(f"{field.id_for_label}-error")
        attrs["aria-invalid"] = "true"
    if described:
        attrs["aria-describedby"] = " ".join(described)
    return field.as_widget(attrs=attrs)


@register.simple_tag(takes_context=True)
def querystring_without(context, *keys):
    query = context["request"].GET.copy()
    for key in keys:
        query.pop(key, None)
    return query.urlencode()


@register.filter
def ago(value):
    """Under a minute, "just now"; after it, Django's "5 minutes ago" (its own
    timesince says "0 minutes" for anything under a minute)."""
    if not value:
        return ""
    if timezone.now() - value < datetime.timedelta(minutes=1):
        return "just now"
    return f"{timesince(value)} ago"
