"""Pieces of member pages cached across requests, per member, until what they show changes.

Much of what a page shows is the same from one request to the next: the
header's unread counts, the categories of the discussions index, the home
page's panels. Each such piece is cached under a key made of

* its name and the member's id, so no member is ever served another's;
* the member's own generation (``member_scope``), which changes whenever the
  member's access does (account, address, roles, authenticator: the same
  events that drop the access cache, ``connect.access.forget``) or their
  profile (task force, discipline) is saved;
* the generations of everything else it was built from, named by the caller
  (``"forum.board"``, ``inbox_scope(member id)``, …), which the service or
  signal that changes those rows moves on with :func:`bump`.

A generation is a random token, not a counter: bumping it makes every entry
built under the old one unreachable, and a generation the cache lost is
replaced by a fresh token rather than read as a default, so an evicted
generation can never bring an old entry back. :func:`bump` moves it at once
and again after the transaction commits, so an entry built from rows read
just before a change and stored just after it is never used. Entries are
only written outside application transactions (their rows may still roll
back), and live at most ``CONNECT_FRAGMENT_CACHE_TTL`` seconds.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

from .access import in_transaction

# Bump when the layout of an entry changes, so a deploy never reads old ones.
LAYOUT_VERSION = 1


def member_scope(user_id):
    """The generation of one member's access and profile."""
    return f"member:{user_id}"


# The generation of what any page shows about members: names, task forces,
# whether an account is active (post authors, who reacted, the directory).
PROFILES = "connect.profiles"

# The generation of the site's Wagtail pages (spotlights, resources, events):
# moved on by every save, publish, unpublish, move or delete of a page, of a
# view restriction and of an image (what the home page's panels show).
PAGES = "connect.pages"


# The generation of Wagtail's sites (hostname, port, root page): moved on by
# every save or delete of one (connect.views.page_serve caches the lookup).
SITES = "connect.sites"


def inbox_scope(user_id):
    """The generation of what is addressed to one member (their notifications)."""
    return f"inbox:{user_id}"


def welcome_scope(user_id):
    """The generation of one member's welcome progress (guidelines read, welcome put away)."""
    return f"welcome:{user_id}"


def _generation_key(name):
    return f"connect:fragment-gen:{LAYOUT_VERSION}:{name}"


def _tokens(names):
    keys = [_generation_key(name) for name in names]
    found = cache.get_many(keys)
    tokens = []
    for key in keys:
        token = found.get(key)
        if token is None:
            # Never a default: an entry built under a generation the cache has
            # since lost must stay unreachable.
            token = secrets.token_hex(8)
            if not cache.add(key, token, timeout=None):
                token = cache.get(key) or token
        tokens.append(token)
    return tokens


# Generations moved while the shared cache did not answer (the move went to
# this process's memory only): moved again in the shared cache as soon as it
# answers, before this process reads another entry. Meanwhile this process
# builds every fragment afresh; other processes may serve an old entry until
# then (at most the cache's retry interval, ``CONNECT_CACHE_RETRY_AFTER``).
_unsent: set[str] = set()
_unsent_lock = threading.Lock()


def _cache_degraded():
    is_degraded = getattr(cache, "is_degraded", None)
    return bool(is_degraded and is_degraded())


def _move(names):
    cache.set_many({_generation_key(name): secrets.token_hex(8) for name in names}, timeout=None)
    if _cache_degraded():
        with _unsent_lock:
            _unsent.update(names)


def _resend():
    with _unsent_lock:
        names = set(_unsent)
        _unsent.clear()
    if names:
        _move(names)


def bump(*names):
    """Move the generations ``names`` on, now and after the transaction commits:
    every entry built from them is dropped."""
    if not names:
        return

    def move():
        _move(names)

    move()
    transaction.on_commit(move)


def get_or_build(name, *, user_id, depends, build):
    """The cached value of fragment ``name`` for member ``user_id``, built by
    ``build()`` (whose result must be picklable) when missing or when one of
    ``depends`` (generation names) or the member's own generation moved."""
    if _cache_degraded():
        # A generation moved now would reach this process's memory only.
        return build()
    _resend()
    if _cache_degraded():
        return build()
    names = [member_scope(user_id), *depends]
    key = f"connect:fragment:{LAYOUT_VERSION}:{name}:{user_id}:" + ":".join(_tokens(names))
    value = cache.get(key)
    if value is None:
        value = build()
        if not in_transaction():
            cache.set(key, value, settings.CONNECT_FRAGMENT_CACHE_TTL)
    return value


def connect_invalidation_signals():
    """A member's fragments follow their profile (task force, discipline: what
    restricted categories and the directory show them); their access is
    followed through ``connect.access.forget``. Every save of a profile, an
    account, a task force or a profile's expertise moves ``PROFILES`` on:
    fragments that name other members (posts, the directory) depend on it."""
    from django.contrib.auth import get_user_model
    from django.db.models.signals import m2m_changed, post_delete, post_save

    from .models import ExpertiseTag, MemberProfile, TaggedExpertise, TaskForce, WelcomeProgress

    def on_profile(sender, instance, **kwargs):
        bump(member_scope(instance.user_id), PROFILES)

    def on_welcome(sender, instance, **kwargs):
        bump(welcome_scope(instance.user_id))

    def on_people(sender, **kwargs):
        bump(PROFILES)

    for name, signal in (("save", post_save), ("delete", post_delete)):
        signal.connect(
            on_profile, sender=MemberProfile, weak=False, dispatch_uid=f"connect.fragments.profile.{name}"
        )
        signal.connect(
            on_welcome, sender=WelcomeProgress, weak=False, dispatch_uid=f"connect.fragments.welcome.{name}"
        )
        # ExpertiseTag: an area's name is printed on every card that carries it.
        for model in (get_user_model(), TaskForce, TaggedExpertise, ExpertiseTag):
            signal.connect(
                on_people,
                sender=model,
                weak=False,
                dispatch_uid=f"connect.fragments.people.{model.__name__}.{name}",
            )
    m2m_changed.connect(
        on_people,
        sender=TaggedExpertise,
        weak=False,
        dispatch_uid="connect.fragments.people.expertise",
    )
    _connect_page_signals()


def _connect_page_signals():
    from django.db.models.signals import m2m_changed, post_delete, post_save
    from wagtail.images import get_image_model
    from wagtail.models import Page, PageViewRestriction, Site
    from wagtail.signals import page_published, page_unpublished, post_page_move

    image_model = get_image_model()

    def on_pages(sender, **kwargs):
        bump(PAGES)

    def on_sites(sender, **kwargs):
        bump(SITES)

    for name, signal in (("save", post_save), ("delete", post_delete)):
        signal.connect(on_sites, sender=Site, weak=False, dispatch_uid=f"connect.fragments.sites.{name}")

    def on_model(sender, instance, **kwargs):
        # Every page type is its own sender: one receiver for all models, asking the type.
        if isinstance(instance, (Page, PageViewRestriction, image_model)):
            bump(PAGES)

    for name, signal in (("save", post_save), ("delete", post_delete)):
        signal.connect(on_model, weak=False, dispatch_uid=f"connect.fragments.pages.{name}")
    for name, signal in (
        ("published", page_published),
        ("unpublished", page_unpublished),
        ("moved", post_page_move),
    ):
        signal.connect(on_pages, weak=False, dispatch_uid=f"connect.fragments.pages.{name}")
    m2m_changed.connect(
        on_pages,
        sender=PageViewRestriction.groups.through,
        weak=False,
        dispatch_uid="connect.fragments.pages.restriction_groups",
    )


def pages_epoch():
    """How many of the pages' expiry moments have passed. A page leaves every
    list the moment it expires (``connect.permissions.visible_pages``), with no
    save to move ``PAGES`` on: fragments that list pages vary with this too."""
    from bisect import bisect_right

    def expiries():
        from wagtail.models import Page

        stamps = Page.objects.filter(expire_at__isnull=False).values_list("expire_at", flat=True)
        return tuple(sorted(stamp.timestamp() for stamp in stamps))

    # Not a member's own: user 0's generation never moves.
    stamps = get_or_build("page-expiries", user_id=0, depends=[PAGES], build=expiries)
    return bisect_right(stamps, time.time())


class Lazy:
    """A value computed on first use and then kept: what a view hands a
    template for the data inside a ``{% fragment %}``, so a page served from
    the cache never asks the database for it (templates call callables)."""

    def __init__(self, fn, *args, **kwargs):
        self._fn, self._args, self._kwargs = fn, args, kwargs
        self._done = False
        self._value = None

    def __call__(self):
        if not self._done:
            self._value = self._fn(*self._args, **self._kwargs)
            self._done = True
        return self._value


def render_cached(name, *, user_id, depends, vary, render):
    """The HTML ``render()`` gives, cached as fragment ``name`` for the member.

    ``vary`` (page number, sort, …) is part of the key; so is the current
    minute, so relative times ("5 minutes ago") are right to the minute."""
    bucket = int(time.time() // 60)
    # Hashed: ``vary`` may hold what a member typed (a tag to filter by).
    digest = hashlib.sha256(repr([str(v) for v in vary]).encode()).hexdigest()[:32]
    key = f"{name}:{bucket}:{digest}"
    return get_or_build(key, user_id=user_id, depends=depends, build=render)


def marker(name):
    """What a cached fragment holds in place of a value of one request (its
    CSRF token, a form's one-time submission token), put back on every use
    (``fill``): forms can be cached, their tokens never are.

    Derived from the secret key, so no member can write one into a post or a
    profile and have a token put there."""
    digest = hmac.new(settings.SECRET_KEY.encode(), f"connect.fragments.{name}".encode(), hashlib.sha256)
    return "fill" + digest.hexdigest()[:40]


def csrf_marker():
    return marker("csrf")


def fill(html, values):
    """``html`` (a cached fragment) with each marker of ``values`` replaced by its value."""
    for key, value in values.items():
        if key in html:
            html = html.replace(key, str(value))
    return html
