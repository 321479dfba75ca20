"""Who a post mentions and quotes. Shared by the services (privacy check,
edits) and the notifications fan-out, so neither has to import the other."""

from __future__ import annotations

import re

from django.contrib.auth import get_user_model
from django.urls import reverse

from .rendering import MAX_MENTIONS, MarkdownTooComplex, MarkdownTooLong, extract_mentions

QUOTE_LINK = re.compile(r"\]\((?:[a-z]+://[^/\s)]+)?/discussions/p/(\d{1,18})/(?:#[\w-]*)?\)")


def safe_mentions(body):
    """The @handles in ``body``; none for a body too complex to parse (it is refused anyway)."""
    try:
        return extract_mentions(body)
    except (MarkdownTooComplex, MarkdownTooLong):
        return []


def users_for_handles(handles):
    """Active users for ``@handles``, case-insensitively. Unknown handles are dropped.

    Only the first :data:`MAX_MENTIONS` distinct handles are looked up, the
    same ones the rendered post links, so a post cannot make one query (or
    notify a crowd) with thousands of names.
    """
    lowered = list(dict.fromkeys(h.lower() for h in handles))[:MAX_MENTIONS]
    if not lowered:
        return []
    return list(
        get_user_model()
        .objects.filter(forum_handle__handle_lower__in=lowered, is_active=True)
        .select_related("profile")
    )


def quoted_post_ids(body):
    """Posts quoted in ``body``: links to a post's permalink inside a ``>`` quote."""
    ids = []
    for line in body.splitlines():
        if line.lstrip().startswith(">"):
            for match in QUOTE_LINK.finditer(line):
                pk = int(match.group(1))
                if pk not in ids:
                    ids.append(pk)
    return ids


def quote_markdown(post):
    """The Markdown a reply starts with when a member quotes ``post``."""
    url = reverse("forum:post", kwargs={"pk": post.pk})
    author = post.author.display_name
    lines = [f"> [{author} wrote]({url}):", ">"]
    lines += [f"> {line}" if line else ">" for line in post.body.splitlines()[:40]]
    return "\n".join(lines) + "\n\n"
