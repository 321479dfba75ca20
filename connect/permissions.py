"""Who may do what: plain functions shared by views, consumers, selectors,
search and notifications.

Membership comes first: a person is an *active member* only when every one of
these holds — signed in, account active, email verified, holding a role, and
(when CONNECT_REQUIRE_MFA is on) an authenticator set up.
"""

import contextlib
import contextvars
import threading
import time

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from .models import Role

ANONYMOUS = "anonymous"
INACTIVE = "inactive"
UNVERIFIED = "unverified"
NOT_MEMBER = "not_member"
NEEDS_MFA = "needs_mfa"
ACTIVE = "active"

ROLE_NAMES = frozenset(role.value for role in Role)


def membership_state(user):
    """Why (or whether) ``user`` may use the community. Cached on the user
    object so a request pays for it once."""
    if user is None or not user.is_authenticated:
        return ANONYMOUS
    cached = getattr(user, "_membership_state", None)
    if cached is not None:
        return cached
    state = _compute_membership_state(user)
    user._membership_state = state
    return state


def _flags(users_qs, email_of):
    from allauth.account.models import EmailAddress
    from allauth.mfa.models import Authenticator

    return users_qs.filter(is_active=True).annotate(
        verified=Exists(
            EmailAddress.objects.filter(user=OuterRef("pk"), verified=True, email__iexact=email_of)
        ),
        has_mfa=Exists(
            Authenticator.objects.filter(
                user=OuterRef("pk"),
                type__in=[Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN],
            )
        ),
    )


def _state_from(user, flags, require_mfa=None):
    if flags is None:
        return INACTIVE
    if not flags["verified"]:
        return UNVERIFIED
    if not (user.is_superuser or user.role_names & ROLE_NAMES):
        return NOT_MEMBER
    if require_mfa is None:
        require_mfa = settings.CONNECT_REQUIRE_MFA
    if require_mfa and not flags["has_mfa"]:
        return NEEDS_MFA
    return ACTIVE


def _compute_membership_state(user):
    if not user.is_active:
        return INACTIVE
    # A member from the session comes with these from the access cache
    # (connect.access); any other user object asks the database.
    flags = getattr(user, "_access_flags", None) or (
        _flags(get_user_model()._default_manager.filter(pk=user.pk), user.email)
        .values("verified", "has_mfa")
        .first()
    )
    return _state_from(user, flags)


def prime_membership_states(users, *, reuse=False):
    """Work out ``membership_state`` for many user objects in two queries (flags
    and roles) instead of two each, by the same rule; a live thread with a
    thousand readers asks it for all of them at every event.

    With ``reuse``, the flags and roles read for a member are kept in this
    process and used again while the member's access version
    (``connect.access.versions``, moved by every change of their account,
    addresses, roles or authenticators) and email are unchanged, for at most
    ``CONNECT_ACCESS_CACHE_TTL`` seconds, as the pages' own access cache is:
    a round of a live thread then reads one cache entry per member instead of
    their addresses, authenticators and roles. The account row itself
    (``is_active``, ``is_superuser``) is the caller's, read afresh."""
    users = [u for u in users if u is not None and u.is_authenticated]
    if not users:
        return
    known = {}
    if reuse:
        from . import access

        current = access.versions(u.pk for u in users)
        kept = _kept_access()
        now = time.monotonic()
        for user in users:
            entry = kept.get(user.pk)
            version = current.get(user.pk)
            if (
                entry is not None
                and version is not None
                and entry[0] == version
                and entry[1] == user.email
                and entry[2] > now
            ):
                known[user.pk] = entry[3:]
    fresh = [u for u in users if u.pk not in known]
    if fresh:
        User = get_user_model()
        ids = [u.pk for u in fresh]
        flags = {
            row["pk"]: row
            for row in _flags(User._default_manager.filter(pk__in=ids), OuterRef("email")).values(
                "pk", "verified", "has_mfa"
            )
        }
        roles = {}
        for user_id, name in User.groups.through.objects.filter(user_id__in=ids).values_list(
            "user_id", "group__name"
        ):
            roles.setdefault(user_id, set()).add(name)
        for user in fresh:
            found = flags.get(user.pk)
            known[user.pk] = (
                None if found is None else {"verified": found["verified"], "has_mfa": found["has_mfa"]},
                frozenset(roles.get(user.pk, ())),
            )
        if reuse:
            from . import access

            if not access.in_transaction():
                expires = time.monotonic() + settings.CONNECT_ACCESS_CACHE_TTL
                if len(kept) > 20_000:
                    kept.clear()
                for user in fresh:
                    # The version was read before the rows: a change made since
                    # moved it, and this entry will not be used.
                    if current.get(user.pk) is not None and user.is_active:
                        kept[user.pk] = (current[user.pk], user.email, expires, *known[user.pk])
    require_mfa = settings.CONNECT_REQUIRE_MFA  # read once, not once per member
    for user in users:
        flags, role_names = known[user.pk]
        user._role_names = role_names
        user._membership_state = _state_from(user, flags, require_mfa) if user.is_active else INACTIVE


_kept = threading.local()


def _kept_access():
    kept = getattr(_kept, "entries", None)
    if kept is None:
        kept = _kept.entries = {}
    return kept


def forget_membership_state(user):
    """Drop what `membership_state` remembered on this user object, after a
    service changed the member's roles or account in the same request."""
    for attr in ("_membership_state", "_role_names", "_access_flags"):
        if hasattr(user, attr):
            delattr(user, attr)


def is_active_member(user):
    return membership_state(user) == ACTIVE


def is_moderator(user):
    """Moderators and administrators moderate; administrators can do everything."""
    return is_active_member(user) and (
        user.is_superuser or bool(user.role_names & {Role.MODERATOR, Role.ADMINISTRATOR})
    )


def is_administrator(user):
    return is_active_member(user) and (user.is_superuser or Role.ADMINISTRATOR in user.role_names)


# The admin's frame, which anyone let into some part of it needs: its home
# page, their account settings (name, theme; passwords and emails are
# managed by allauth, not there), icons, translations and sign-out.
ADMIN_FRAME_VIEWS = frozenset(
    {
        "wagtailadmin_home",
        "wagtailadmin_account",
        "wagtailadmin_sprite",
        "wagtailadmin_javascript_catalog",
        "wagtailadmin_logout",
        "wagtailadmin_dismissibles",
    }
)


def admin_areas(user):
    """The parts of the Wagtail admin opened to ``user`` who is not a
    moderator: URL namespaces and view names that apps return from their
    `register_admin_access` hook (``hook(user) -> iterable or None``)."""
    if not is_active_member(user):
        return frozenset()
    from wagtail import hooks

    areas = set()
    for hook in hooks.get_hooks("register_admin_access"):
        areas.update(hook(user) or ())
    return frozenset(areas)


def can_open_admin_view(user, view_name):
    """Moderators and administrators open the whole Wagtail admin (each view
    still checks its own permission); anyone else only the areas an app
    opened to them, and the frame around them. Deny by default: a view of the
    admin nobody opened does not exist for them."""
    if is_moderator(user):
        return True
    areas = admin_areas(user)
    if not areas or not view_name:
        return False
    if view_name in ADMIN_FRAME_VIEWS or view_name in areas:
        return True
    namespace, colon, _rest = view_name.partition(":")
    return bool(colon) and namespace in areas


def can_review_requests(user):
    return is_moderator(user)


def can_view_profile(user, profile):
    return is_active_member(user) and profile.user.is_active


def can_edit_profile(user, profile):
    return is_active_member(user) and profile.user_id == user.pk


def can_see_contact(viewer, profile, visibility):
    """Whether ``viewer`` may see a contact detail shown with ``visibility``."""
    from .models import ContactVisibility

    if not is_active_member(viewer):
        return False
    if profile.user_id == viewer.pk:
        return True
    if visibility == ContactVisibility.MEMBERS:
        return True
    if visibility == ContactVisibility.TASK_FORCE:
        viewer_profile = getattr(viewer, "profile", None)
        return viewer_profile is not None and viewer_profile.task_force_id == profile.task_force_id
    return False


def visible_profiles(user, qs):
    """Profiles a member may see in the directory: active members only.
    (A profile held by the privacy guard is listed, but what its member wrote
    is shown only to them and moderators: see :func:`can_see_profile_text`.)"""
    if not is_active_member(user):
        return qs.none()
    return qs.filter(user__is_active=True)


def directory_signature(user):
    """What of the viewer :func:`visible_profiles` depends on, as a key: the
    directory's listing is cached once per signature (``connect.views``), so
    this must change with every fact about the viewer that rule reads."""
    return "member" if is_active_member(user) else "none"


def can_see_profile_text(user, profile):
    """Whether ``user`` may read what ``profile``'s member wrote about themselves."""
    return not profile.privacy_findings or profile.user_id == user.pk or is_moderator(user)


def can_release_profile(user, profile):
    """Moderators release a profile the privacy guard held."""
    return bool(profile.privacy_findings) and is_moderator(user)


def visible_task_forces(user, qs):
    """Task forces a member may see on the roster and in search: active ones."""
    if not is_active_member(user):
        return qs.none()
    return qs.filter(is_active=True)


# The pages whose view restriction a member does not pass, per member, while
# ``restrictions_read_once()`` is open (None outside it: read on every call).
_RESTRICTED_PAGES = contextvars.ContextVar("connect_restricted_pages", default=None)


@contextlib.contextmanager
def restrictions_read_once():
    """Within the block, :func:`visible_pages` reads the view restrictions once
    per member instead of once per call: the search page asks it for every
    kind of page it searches. What is read is forgotten when the block ends,
    so a restriction added or removed after it is honoured by the next one."""
    token = _RESTRICTED_PAGES.set({})
    try:
        yield
    finally:
        _RESTRICTED_PAGES.reset(token)


def _restricted_pages(user):
    """The pages whose view restriction ``user`` (an active member) does not pass."""
    memo = _RESTRICTED_PAGES.get()
    key = (user.pk, user.is_superuser)
    if memo is not None and key in memo:
        return memo[key]
    from wagtail.models import BaseViewRestriction, PageViewRestriction

    restrictions = PageViewRestriction.objects.select_related("page").annotate(
        in_group=Exists(
            PageViewRestriction.groups.through.objects.filter(
                pageviewrestriction=OuterRef("pk"), group__user=user
            )
        )
    )
    pages = []
    for restriction in restrictions:
        if restriction.restriction_type in (BaseViewRestriction.NONE, BaseViewRestriction.LOGIN):
            continue  # an active member is signed in
        if restriction.restriction_type == BaseViewRestriction.GROUPS and (
            user.is_superuser or restriction.in_group
        ):
            continue
        pages.append(restriction.page)
    if memo is not None:
        memo[key] = pages
    return pages


def visible_pages(user, qs):
    """The pages of ``qs`` a member may see: live, not past their expiry date
    (Wagtail unpublishes expired pages only when its command runs), and
    passing every view restriction on the page and its ancestors for this
    member. A shared-password restriction is never passed here: a listing or a
    feed has no password session, and a member is known by who they are, not
    by a password they were told. Page types narrow this further (a spotlight
    also waits for its week) in their own ``searchable_for``; everything that
    shows, serves, finds or sends a page asks that, so all paths agree."""
    if not is_active_member(user):
        return qs.none()
    qs = qs.live().filter(Q(expire_at__isnull=True) | Q(expire_at__gt=timezone.now()))
    hidden = Q()
    for page in _restricted_pages(user):
        hidden |= qs.descendant_of_q(page, inclusive=True)
    return qs.exclude(hidden) if hidden else qs
