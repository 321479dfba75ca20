"""Forum test data, built through the services so counters stay right. Every value is fictional."""

import itertools

from forum import services
from forum.models import Category

_seq = itertools.count(1)


def make_category(*, disciplines=(), roles=(), suggestions=False, **fields):
    n = next(_seq)
    return Category.objects.create(
        name=fields.pop("name", f"Test category {n}"),
        slug=fields.pop("slug", f"test-category-{n}"),
        allowed_disciplines=list(disciplines),
        allowed_roles=list(roles),
        is_suggestions=suggestions,
        **fields,
    )


def make_thread(*, author, category, title=None, body="A first post about protocols.", **kwargs):
    return services.thread_create(
        author=author, category=category, title=title or f"Thread {next(_seq)}", body=body, **kwargs
    )


def make_post(*, author, thread, body="A reply with nothing sensitive.", **kwargs):
    return services.post_create(author=author, thread=thread, body=body, **kwargs)
