"""Rendering of posts on the thread page.

The thread page is the busiest page of the board, and a post has some thirty
conditional pieces; building them in Python is several times faster than the
same markup as an included template (see docs/benchmarks.md). Every value is
escaped with ``format_html``/``escape``; only ``body_html``, which was
sanitised when the post was saved, is inserted as is.
"""

from django import template
from django.utils.dateformat import format as date_format
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.timezone import localtime

from connect.templatetags.avatars import avatar_html

register = template.Library()

_STAMP = "M j, Y g:i a"


def _when(value):
    local = localtime(value)
    return local.isoformat(), date_format(local, _STAMP)


# What the list of who reacted says, per kind of reaction.
_WHO = {"helpful": "Found helpful by {}", "thanks": "Thanked by {}"}


def _who(kind, names, unnamed):
    people = list(names)
    if unnamed:
        people.append(
            f"{unnamed} other{'' if unnamed == 1 else 's'}"
            if names
            else f"{unnamed} member{'' if unnamed == 1 else 's'}"
        )
    if len(people) > 1:
        people = [", ".join(people[:-1]) + " and " + people[-1]]
    return _WHO.get(kind, "{}").format(people[0]) if people else ""


def _reactions(context, post, actions, base, csrf, name):
    """The reaction buttons, "Helpful · 3", each described by who reacted (the
    names ``post.reactors`` holds: those the reader may see, from the selector)."""
    out = []
    reactors = getattr(post, "reactors", {})
    shown = []
    for kind, label in context.get("reaction_kinds", ()):
        count = getattr(post, f"{kind}_count", 0) or 0
        if count or actions.react:
            shown.append((kind, label, count))
    if not shown:
        return out
    if actions.react:
        out.append(format_html('<form method="post" action="{}react/" class="display-inline">{}', base, csrf))
    for kind, label, count in shown:
        names, unnamed = reactors.get(kind, ((), 0))
        who = _who(kind, names, unnamed) if count else ""
        who_id = f"post-{post.pk}-{kind}-who"
        text = format_html("{} · {}", label, count) if count else label
        described = format_html(' aria-describedby="{}"', who_id) if who else ""
        out.append('<span class="forum-reaction">')
        if actions.react:
            pressed = kind in post.my_reactions
            out.append(
                format_html(
                    '<button class="usa-button usa-button--unstyled forum-reaction__button" type="submit" '
                    'name="kind" value="{}" aria-pressed="{}"{}>{}'
                    '<span class="usa-sr-only"> (post by {})</span></button>',
                    kind,
                    "true" if pressed else "false",
                    described,
                    text,
                    name,
                )
            )
        else:
            # Not a control, but focusable so that who reacted can be read by keyboard too.
            out.append(
                format_html(
                    '<span class="forum-reaction__count connect-target"{}{}>{}</span>',
                    mark_safe(' tabindex="0"') if who else "",  # noqa: S308
                    described,
                    text,
                )
            )
        if who:
            out.append(
                format_html('<span class="forum-reaction__who" id="{}" role="tooltip">{}</span>', who_id, who)
            )
        out.append("</span>")
    if actions.react:
        out.append("</form>")
    return out


def _removed_placeholder(post):
    """What readers see where a hidden post was: its place and time, none of its words."""
    iso, stamp = _when(post.created_at)
    return format_html(
        '<li id="post-{}" class="forum-post forum-post--removed border-1px border-base-lighter radius-md '
        'padding-2 margin-bottom-2 bg-base-lightest"><p class="margin-0 text-base-dark">'
        'A post was removed by a moderator. <span class="font-body-2xs">'
        '(<time datetime="{}">{}</time>)</span></p></li>',
        post.pk,
        iso,
        stamp,
    )


@register.simple_tag(takes_context=True)
def forum_post(context, post):
    """One ``<li>`` of the thread page for ``post``.

    Which links and buttons appear is read from ``post.actions``
    (``forum.permissions.post_actions``, set by the view), never decided here:
    the services accept exactly what is shown."""
    if getattr(post, "is_placeholder", False):
        return _removed_placeholder(post)
    actions = post.actions
    is_moderator = context.get("is_moderator", False)
    base = f"{context['post_base']}{post.pk}/"
    csrf = format_html(
        '<input type="hidden" name="csrfmiddlewaretoken" value="{}">', context.get("csrf_token", "")
    )
    author = post.author
    profile = getattr(author, "profile", None)
    name = author.display_name
    sr_name = format_html('<span class="usa-sr-only"> post by {}</span>', name)
    status = post.status
    out = []

    classes = "forum-post border-1px border-base-lighter radius-md padding-2 margin-bottom-2"
    if post.is_unread:
        classes += " forum-post--unread"
    if status != "visible":
        classes += " bg-base-lightest"
    out.append(
        format_html(
            '<li id="post-{}" class="{}"><article aria-labelledby="post-{}-by">', post.pk, classes, post.pk
        )
    )
    iso, stamp = _when(post.created_at)
    out.append(
        format_html(
            '<header class="display-flex flex-justify flex-wrap"><p class="margin-0" id="post-{}-by">'
            '{}<a class="text-bold" href="{}">{}</a> <span class="text-base font-body-2xs">{}</span></p>'
            '<p class="margin-0 font-body-2xs"><a href="{}"><time datetime="{}">{}</time></a>',
            post.pk,
            avatar_html(author),
            profile.get_absolute_url() if profile else "#",
            name,
            profile.task_force.name if profile else "",
            base,
            iso,
            stamp,
        )
    )
    if post.edited_at:
        out.append(format_html(' · <span title="Edited {}">edited</span>', _when(post.edited_at)[1]))
        if actions.history:
            out.append(format_html(' (<a href="{}history/">history</a>)', base))
    if post.is_unread:
        out.append(' · <span class="usa-tag connect-new">New</span>')
    out.append("</p></header>")
    if status == "held":
        out.append(
            '<div class="usa-alert usa-alert--warning usa-alert--slim margin-y-1">'
            '<div class="usa-alert__body">'
            '<p class="usa-alert__text">Waiting for moderator review: only '
            + ("moderators and " if is_moderator else "")
            + "the author can see this post.</p></div></div>"
        )
    elif status == "hidden" and is_moderator:
        out.append(
            format_html(
                '<div class="usa-alert usa-alert--error usa-alert--slim margin-y-1">'
                '<div class="usa-alert__body">'
                '<p class="usa-alert__text">Hidden{}</p></div></div>',
                f": {post.hidden_reason}" if post.hidden_reason else "",
            )
        )
    elif status == "hidden":
        # Only its author gets this far (everyone else gets the placeholder).
        out.append(
            format_html(
                '<div class="usa-alert usa-alert--warning usa-alert--slim margin-y-1">'
                '<div class="usa-alert__body">'
                '<p class="usa-alert__text">Hidden by a moderator — only you can see this.{}</p>'
                "</div></div>",
                f" Reason: {post.hidden_reason}" if post.hidden_reason else "",
            )
        )
    if is_moderator and post.open_flags:
        out.append(
            format_html(
                '<p class="text-secondary-dark text-bold">{} open flag{} — '
                '<a href="{}">review in the queue</a></p>',
                post.open_flags,
                "" if post.open_flags == 1 else "s",
                context.get("queue_url", ""),
            )
        )
    if post.is_accepted:
        out.append('<p class="text-bold text-success-darker">✓ Accepted answer</p>')
    out.append('<div class="forum-post__body usa-prose">')
    out.append(post.body_html)  # sanitised with nh3 when the post was saved
    out.append('</div><footer class="forum-post__actions margin-top-1">')
    out.extend(_reactions(context, post, actions, base, csrf, name))
    if actions.quote:
        out.append(
            format_html(
                '<a class="margin-right-1" href="{}?quote={}">Quote{}</a>',
                context["reply_url"],
                post.pk,
                sr_name,
            )
        )
    if actions.accept:
        out.append(
            format_html(
                '<form method="post" action="{}accept/" class="display-inline">{}{}'
                '<button class="usa-button usa-button--unstyled margin-right-1" type="submit">{}</button>'
                "</form>",
                base,
                csrf,
                mark_safe('<input type="hidden" name="clear" value="1">') if post.is_accepted else "",  # noqa: S308
                "Unmark answer" if post.is_accepted else "Accept as answer",
            )
        )
    if actions.edit:
        out.append(format_html('<a class="margin-right-1" href="{}edit/">Edit{}</a>', base, sr_name))
    if actions.delete or actions.hide:
        out.append(
            format_html(
                '<a class="margin-right-1" href="{}delete/">{}{}</a>',
                base,
                "Delete" if actions.delete else "Hide",
                sr_name,
            )
        )
    if actions.restore:
        out.append(
            format_html(
                '<form method="post" action="{}restore/" class="display-inline">{}'
                '<button class="usa-button usa-button--unstyled margin-right-1" type="submit">'
                "Restore</button></form>",
                base,
                csrf,
            )
        )
    if actions.flag:
        out.append(format_html('<a class="margin-right-1" href="{}flag/">Flag{}</a>', base, sr_name))
    out.append("</footer></article></li>")
    return mark_safe("".join(str(piece) for piece in out))  # noqa: S308 - every piece above is escaped
