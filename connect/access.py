"""The signed-in member and their access state, cached across requests.

Every request of a signed-in member needs the same few facts before its view
runs: the account row, whether the address is verified, which roles the member
holds and whether an authenticator is set up (connect.permissions turns them
into a membership state). They change only when an account, an email address,
a role or an authenticator changes, so they are computed once (two queries)
and kept in the cache for ``CONNECT_ACCESS_CACHE_TTL`` seconds, keyed by the
member's id, and valid only while it carries the member's current version.

Invalidation: every save or delete of those rows (whoever makes it: the
services in connect.services, allauth's own email and MFA flows, a shell)
gives the member a new version through the signals at the bottom of this
module, at once and again after the transaction commits, so an entry built
from the old rows, even one stored a moment after the change, is never used.
Bulk ``QuerySet.update`` calls send no signal; no code path changes these
rows that way, and the short lifetime bounds the damage if one ever did, or
if the cache server was unreachable at the moment of a change (connect.cache
then records the new version only in the process's own memory).

Entries are written only outside transactions, so state read from
uncommitted rows that might be rolled back is never shared.
"""

import secrets

from allauth.account.auth_backends import AuthenticationBackend
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import Exists, OuterRef

# Bump when the layout of an entry changes, so a deploy never reads old ones.
LAYOUT_VERSION = 1


def cache_key(user_id):
    return f"connect:member-access:{LAYOUT_VERSION}:{user_id}"


def _version_key(user_id):
    return f"connect:member-access-version:{LAYOUT_VERSION}:{user_id}"


def _bump(user_id):
    cache.set(_version_key(user_id), secrets.token_hex(8), timeout=None)
    cache.delete(cache_key(user_id))


def forget(user_id):
    """Invalidate the cached access state of ``user_id`` now and after commit.

    The member's version changes each time, and an entry counts only while
    it carries the current version: a request that read the rows just before
    a change and stores its entry just after it stores one nobody will use.
    """
    if user_id is None:
        return
    _bump(user_id)
    transaction.on_commit(lambda: _bump(user_id))
    # The member's cached page fragments were built under the old access too.
    from .fragments import bump, member_scope

    bump(member_scope(user_id))


def in_transaction():
    """Whether an application transaction is open (whose reads must not be
    cached: it may still roll back)."""
    # The atomic blocks a test case wraps around each test are not the
    # application's transactions; caching under them is what tests observe.
    return any(not getattr(block, "_from_testcase", False) for block in connection.atomic_blocks)


def _load(user_id):
    """The account row with its verified-address and authenticator flags
    (one query), and its role names (one more)."""
    from allauth.account.models import EmailAddress
    from allauth.mfa.models import Authenticator

    User = get_user_model()
    user = (
        User._default_manager.filter(pk=user_id)
        .annotate(
            _access_verified=Exists(
                EmailAddress.objects.filter(
                    user=OuterRef("pk"), verified=True, email__iexact=OuterRef("email")
                )
            ),
            _access_has_mfa=Exists(
                Authenticator.objects.filter(
                    user=OuterRef("pk"),
                    type__in=[Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN],
                )
            ),
        )
        .first()
    )
    if user is None:
        return None
    fields = [f.attname for f in User._meta.concrete_fields]
    return {
        "fields": fields,
        "values": [getattr(user, name) for name in fields],
        "verified": user._access_verified,
        "has_mfa": user._access_has_mfa,
        "roles": sorted(user.groups.values_list("name", flat=True)),
    }


def member_get(user_id):
    """The user with id ``user_id``, carrying its access flags and role names
    so connect.permissions asks the database nothing more; None if there is
    no such user."""
    key, version_key = cache_key(user_id), _version_key(user_id)
    found = cache.get_many([key, version_key])
    version = found.get(version_key)
    entry = found.get(key)
    if entry is None or entry.get("version") != version:
        entry = _load(user_id)
        if entry is None:
            return None
        entry["version"] = version
        if not in_transaction():
            cache.set(key, entry, settings.CONNECT_ACCESS_CACHE_TTL)
    User = get_user_model()
    user = User.from_db(connection.alias, entry["fields"], entry["values"])
    user._access_flags = {"verified": entry["verified"], "has_mfa": entry["has_mfa"]}
    user._role_names = frozenset(entry["roles"])
    return user


class CachedAuthenticationBackend(AuthenticationBackend):
    """allauth's backend (email sign-in) whose session lookup of the member
    comes from the access cache: a page view of a signed-in member costs no
    query for the account, its address, roles or authenticators."""

    def get_user(self, user_id):
        try:
            user = member_get(get_user_model()._meta.pk.to_python(user_id))
        except (TypeError, ValueError):
            return None
        return user if user is not None and self.user_can_authenticate(user) else None


def connect_invalidation_signals():
    """Drop a member's entry whenever a row it was computed from changes."""
    from allauth.account.models import EmailAddress
    from allauth.mfa.models import Authenticator
    from django.contrib.auth.models import Group
    from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete

    User = get_user_model()

    def on_user(sender, instance, **kwargs):
        forget(instance.pk)

    def on_related(sender, instance, **kwargs):
        forget(instance.user_id)

    def on_groups(sender, instance, action, reverse, pk_set, **kwargs):
        if not reverse:
            # member.groups.add/remove/clear(...)
            if action.startswith("post_"):
                forget(instance.pk)
        elif action in ("post_add", "post_remove"):
            # group.user_set.add/remove(...): the members are in pk_set.
            for pk in pk_set or ():
                forget(pk)
        elif action == "pre_clear":
            # group.user_set.clear(): whoever is in the group until now.
            for pk in instance.user_set.values_list("pk", flat=True):
                forget(pk)

    def on_group(sender, instance, **kwargs):
        # Roles are known by their group's name: a renamed or deleted group
        # changes every member's roles without touching the membership rows.
        for pk in instance.user_set.values_list("pk", flat=True):
            forget(pk)

    # weak=False: the receivers are local functions, kept alive by the signal.
    post_save.connect(on_group, sender=Group, weak=False, dispatch_uid="connect.access.Group.save")
    pre_delete.connect(on_group, sender=Group, weak=False, dispatch_uid="connect.access.Group.delete")
    for name, signal in (("save", post_save), ("delete", post_delete)):
        for model, receiver in ((User, on_user), (EmailAddress, on_related), (Authenticator, on_related)):
            signal.connect(
                receiver, sender=model, weak=False, dispatch_uid=f"connect.access.{model.__name__}.{name}"
            )
    m2m_changed.connect(
        on_groups, sender=User.groups.through, weak=False, dispatch_uid="connect.access.groups"
    )


def versions(user_ids):
    """``{user_id: version}`` of the members' cached access, in one cache read
    (two when some member had none yet: a version is then set for them first).

    Whoever keeps something computed from a member's account, addresses, roles
    or authenticators reads the version before reading the rows, and trusts
    what it kept only while the version is unchanged (``forget`` moves it)."""
    user_ids = list(user_ids)
    keys = {_version_key(uid): uid for uid in user_ids}
    found = cache.get_many(list(keys))
    missing = [key for key in keys if key not in found]
    if missing:
        for key in missing:
            cache.add(key, secrets.token_hex(8), timeout=None)
        found.update(cache.get_many(missing))
    return {uid: found.get(key) for key, uid in keys.items()}
