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


class FragmentNode(template.Node):
    def __init__(self, nodelist, name, depends, vary, shared=False):
        self.nodelist, self.name, self.depends, self.vary = nodelist, name, depends, vary
        self.shared = shared

    def render(self, context):
        from django.utils.safestring import mark_safe

        from connect import fragments

        request = context.get("request")
        user = getattr(request, "user", None)
        values = dict(context.get("fragment_fills") or {})
        if user is None or (not user.is_authenticated and not self.shared):
            # No request (a template rendered on its own): nothing to key a copy by.
            return mark_safe(fragments.fill(str(self.nodelist.render(context)), values))  # noqa: S308

        def build():
            # The block's forms are stored with a marker for their CSRF token.
            with context.push(csrf_token=fragments.csrf_marker()):
                return str(self.nodelist.render(context))

        html = fragments.render_cached(
            self.name.resolve(context),
            # Shared: one copy for every visitor with the same ``vary``; user
            # 0's generation never moves (connect.fragments.pages_epoch).
            user_id=0 if self.shared else user.pk,
            depends=list(self.depends.resolve(context) or ()) if self.depends else [],
            vary=[v.resolve(context) for v in self.vary],
            render=build,
        )
        token = context.get("csrf_token")
        if token:
            values[fragments.csrf_marker()] = token
        html = fragments.fill(html, values)
        return mark_safe(html)  # noqa: S308 - the block's own rendering, escaped as it rendered


@register.tag
def fragment(parser, token):
    """``{% fragment "name" depends vary… %}…{% endfragment %}``: the block's HTML,
    cached per member (``connect.fragments``) until one of the generations
    named by ``depends`` moves, and varying with each ``vary`` value. The
    view passes the block's data as ``connect.fragments.Lazy`` values, so a
    cached block costs no query. Forms inside get the request's CSRF token;
    any other value of one request (a form's one-time submission token) is
    rendered as ``connect.fragments.marker(name)`` and given in the context's
    ``fragment_fills`` (``{marker: value}``), put in on every use."""
    bits = token.split_contents()
    if len(bits) < 3:
        raise template.TemplateSyntaxError("fragment takes a name and a list of generations")
    nodelist = parser.parse(("endfragment",))
    parser.delete_first_token()
    return FragmentNode(
        nodelist,
        parser.compile_filter(bits[1]),
        parser.compile_filter(bits[2]),
        [parser.compile_filter(bit) for bit in bits[3:]],
    )


@register.tag
def shared_fragment(parser, token):
    """``{% shared_fragment "name" vary… %}…{% endshared_fragment %}``: the
    block's HTML, cached once for everyone with the same ``vary`` values (the
    page frame: every member with the same header links, counts and roles
    sees the same header). ``vary`` must therefore hold everything the block
    shows that is not the same for every visitor; its CSRF token is put in
    on every use, as in ``{% fragment %}``."""
    bits = token.split_contents()
    if len(bits) < 2:
        raise template.TemplateSyntaxError("shared_fragment takes a name")
    nodelist = parser.parse(("endshared_fragment",))
    parser.delete_first_token()
    return FragmentNode(
        nodelist,
        parser.compile_filter(bits[1]),
        None,
        [parser.compile_filter(bit) for bit in bits[2:]],
        shared=True,
    )
