"""Reads for the moderators' screens in the Wagtail admin.

Kept apart from forum.selectors, which serves the members' pages and is tuned
for them: the admin's list asks different questions (hidden threads, held
posts, any state) of the threads a moderator may moderate.
"""

from django.db.models import Exists, OuterRef, Q

from . import permissions
from .models import Post

THREAD_STATES = [
    ("pinned", "Pinned"),
    ("locked", "Locked"),
    ("hidden", "Hidden"),
    ("held", "Has posts held for review"),
]


def admin_thread_list(*, user, q="", category=None, state=""):
    """Threads ``user`` may moderate, newest activity first, with whether each
    has a post held for review (``has_held``)."""
    held = Post.objects.filter(thread=OuterRef("pk"), status=Post.Status.HELD)
    qs = permissions.moderated_threads(user).annotate(has_held=Exists(held))
    if q:
        term = q.strip()
        match = Q(title__icontains=term)
        if term.isdigit():
            match |= Q(pk=int(term))
        qs = qs.filter(match)
    if category is not None:
        qs = qs.filter(category=category)
    if state == "pinned":
        qs = qs.filter(is_pinned=True)
    elif state == "locked":
        qs = qs.filter(is_locked=True)
    elif state == "hidden":
        qs = qs.filter(is_hidden=True)
    elif state == "held":
        qs = qs.filter(has_held=True)
    return qs.select_related("category", "author__profile").order_by("-last_activity_at", "-id")
