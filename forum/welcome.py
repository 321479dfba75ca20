"""The welcome thread newcomers introduce themselves in.

Kept apart from forum.selectors so the home page's welcome asks two small
questions (which thread, has this member posted there) without touching the
thread-page reads.
"""

from . import permissions
from .models import Post, Thread


def welcome_thread(*, user):
    """The newest thread marked as the welcome thread that ``user`` may see, or None."""
    qs = permissions.visible_threads(user, Thread.objects.filter(is_welcome=True))
    return qs.order_by("-created_at", "-id").first()


def has_introduced_themselves(*, user, thread):
    """Whether ``user`` wrote any post in ``thread`` that is still there for
    them (one held for review counts: they did their part)."""
    return Post.objects.filter(thread=thread, author=user).exclude(status=Post.Status.HIDDEN).exists()
