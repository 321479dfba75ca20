"""Live fan-out: one thread's event delivered to every socket of a process at once.

Each socket of a thread receives the same group message. Answering each alone
(reload its member and session, the thread, the events, render the posts) costs
a dozen queries and a render per socket: a thousand readers meant twelve
thousand queries and a thousand renders for one reply. Here the sockets of one
process that ask within the same moment are answered together:

* members, sessions, roles, suspensions and the thread are read once for the
  whole batch (``connect.permissions.prime_membership_states``,
  ``forum.permissions.prime_suspensions``), and each member is then judged by
  the same permission functions as the thread page, one by one;
* the events and posts are read once, the member-specific parts (reactions,
  read marker, open flags) in one query each
  (``forum.selectors.thread_posts_for_members``);
* a post is rendered once per distinct *signature*: members whose post
  actions, moderator view, unread mark, reactions and flag count for that post
  are equal receive the same HTML, because the post tag reads nothing else.
  A member who may not see a post gets no HTML for it, exactly as before.

Every answer is still read from the database after the request was made, so
a member whose access ended is refused at the next event, as before. Between
events, three things are kept per process, none of them an answer: the SQL
for the same sockets' lists of ids (``connect.compiled``), each member's
object while their row is byte-identical, and each member's addresses,
authenticators and roles while their access version holds
(``connect.permissions.prime_membership_states(reuse=True)``, moved by every
change of those rows, as the pages' own access cache is). Sessions, account
and profile rows, suspensions, the thread, its events and posts are read at
every event; members who see the posts alike share one rendering, one list of
messages and one encoded copy of it (``selectors.thread_posts_by_signature``).
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from functools import partial

from channels.db import database_sync_to_async
from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils.module_loading import import_string

from connect import compiled
from connect import permissions as connect_permissions
from connect.channels import session_expired, session_limits

from . import live, permissions, selectors
from .models import Thread, ThreadEvent
from .templatetags.forum_tags import forum_post

OK = "ok"
CLOSE_FORBIDDEN = 4403
CLOSE_SESSION = 4401


# --- Members, in one batch ---------------------------------------------------------


# Decoding a session (a signed, compressed string) costs about 0.1 ms and a
# member object with its profile about as much; a thread with a thousand
# readers paid both a thousand times per event. Both are kept per process,
# keyed by the exact row the database returned just now: an unchanged row
# gives the same object (its remembered permission answers wiped), a changed
# row a new one, so nothing is answered from stale data.
# The objects are reused, so each thread keeps its own.
_local = threading.local()
_CACHE_LIMIT = 20_000


def _cache(name):
    cache = getattr(_local, name, None)
    if cache is None:
        cache = {}
        setattr(_local, name, cache)
    return cache


def _remember(cache, key, value):
    if len(cache) >= _CACHE_LIMIT:
        cache.clear()
    cache[key] = value


# What a round reads of a session (``members``, ``session_expired``): each
# idle socket's session is kept decoded in the process, so only these are kept.
_SESSION_FACTS = ("_auth_user_id", "connect_started", "connect_last_seen")


def _session_facts(data):
    return {name: data[name] for name in _SESSION_FACTS if name in data}


def _session_data(keys):
    """``{session_key: data}`` for the sessions that still exist, one query for the
    database engines (``SessionStore.load`` would ask once per key); ``data``
    holds what a round reads of it (``_SESSION_FACTS``)."""
    engine = import_string(f"{settings.SESSION_ENGINE}.SessionStore")
    keys = [k for k in keys if k]
    if hasattr(engine, "get_model_class") and keys:
        from django.utils import timezone

        store = engine()
        model = engine.get_model_class()
        keys = sorted(keys)
        # The expiry is compared here rather than in the SQL, so the SQL for
        # the same sockets is built once (connect.compiled).
        rows = compiled.rows(
            "live-sessions",
            (model._meta.label, tuple(keys)),
            lambda: model.objects.filter(session_key__in=keys).values_list(
                "session_key", "session_data", "expire_date"
            ),
        )
        now = timezone.now()
        out = {}
        decoded = _cache("sessions")
        for key, raw, expires in rows:
            if expires <= now:
                continue
            known = decoded.get(key)
            if known is None or known[0] != raw:
                known = (raw, _session_facts(store.decode(raw)))
                _remember(decoded, key, known)
            # The kept dict itself, not a copy: a round only reads it.
            out[key] = known[1]
        return out
    out = {}
    for key in keys:
        store = engine(key)
        data = store.load()
        if data:
            out[key] = _session_facts(data)
    return out


def _fresh(instance, attnames, related):
    """Forget what was remembered on ``instance`` (membership state, roles,
    suspension, visible categories, thread rules): only its row is reused."""
    for attr in list(vars(instance)):
        if attr not in attnames and attr != "_state":
            delattr(instance, attr)
    instance._state.fields_cache = dict(related)
    return instance


# Columns no access rule reads, left deferred on the kept objects (each idle
# socket's member is kept in the process, twice: the row and the object). Code
# that reads one anyway gets it from the database, never a stale copy.
_UNREAD_FIELDS = frozenset({"password", "bio", "privacy_findings"})


def _users(ids):
    """``{pk: user}`` with ``profile`` loaded, as ``select_related("profile")`` gives.

    The rows are read as the database sends them, without Django's converters
    (dates parsed, JSON decoded, booleans made): a member whose row is exactly
    the one seen before keeps their object, and only new or changed rows are
    read again and converted. Converting a thousand unchanged rows was half
    the cost of a thousand readers' access check."""
    from django.db import router

    from connect.models import MemberProfile

    User = get_user_model()
    user_fields = [f.attname for f in User._meta.concrete_fields if f.attname not in _UNREAD_FIELDS]
    profile_fields = [
        f.attname for f in MemberProfile._meta.concrete_fields if f.attname not in _UNREAD_FIELDS
    ]
    columns = [*user_fields, *(f"profile__{name}" for name in profile_fields)]
    ids = sorted(ids)
    db = router.db_for_read(User)
    raw_rows = {
        row[0]: tuple(row)
        for row in compiled.rows(
            "live-members",
            tuple(ids),
            lambda: User.objects.filter(pk__in=ids).values_list(*columns),
            convert=False,
        )
    }
    objects = _cache("members")
    reuse, stale = {}, set()
    for pk, raw in raw_rows.items():
        known = objects.get(pk)
        if known is not None and known[0] == raw:
            reuse[pk] = known[1:]
        else:
            stale.add(pk)
    fresh = {}
    if stale:
        n = len(user_fields)
        for row in User.objects.filter(pk__in=stale).values_list(*columns):
            user = User.from_db(db, user_fields, row[:n])
            profile = None
            if row[n] is not None:
                profile = MemberProfile.from_db(db, profile_fields, row[n:])
            fresh[row[0]] = (user, profile)
            # Keyed by the first read: a row changed in between is simply read again next time.
            _remember(objects, row[0], (raw_rows[row[0]], user, profile))
    user_names, profile_names = set(user_fields), set(profile_fields)
    out = {}
    for pk in raw_rows:
        if pk in fresh:
            user, profile = fresh[pk]
        elif pk in reuse:
            user, profile = reuse[pk]
        else:
            continue  # deleted between the two reads
        _fresh(user, user_names, {"profile": profile})
        if profile is not None:
            _fresh(profile, profile_names, {"user": user})
        out[user.pk] = user
    return out


def members(pairs, *, allow_suspended=False):
    """``{(user_id, session_key): (status, user)}``: the same rule as a socket's own
    check (session alive and theirs, active member, not suspended unless
    ``allow_suspended``: a suspended member's header still counts notifications),
    for many sockets in a fixed number of queries."""
    pairs = set(pairs)
    sessions = _session_data({key for _, key in pairs})
    ids = {uid for uid, _ in pairs}
    users = _users(ids)
    connect_permissions.prime_membership_states(users.values(), reuse=True)
    active = [u for u in users.values() if permissions.is_active_member(u)]
    permissions.prime_suspensions(active)
    out = {}
    now, limits = time.time(), session_limits()
    for user_id, key in pairs:
        data = sessions.get(key) if key else None
        if (
            not data
            or str(data.get("_auth_user_id", "")) != str(user_id)
            or session_expired(data, now=now, limits=limits)
        ):
            out[(user_id, key)] = (CLOSE_SESSION, None)
            continue
        user = users.get(user_id)
        # A suspended member still reads the pages, but no longer follows them live.
        if (
            user is None
            or not permissions.is_active_member(user)
            or (not allow_suspended and permissions.is_suspended(user))
        ):
            out[(user_id, key)] = (CLOSE_FORBIDDEN, None)
        else:
            out[(user_id, key)] = (OK, user)
    return out


def thread_access(thread_id, pairs):
    """``(thread, {pair: (status, user)})``: who among ``pairs`` may follow the thread."""
    found = members(pairs)
    thread = Thread.objects.select_related("category").filter(pk=thread_id).first()
    out = {}
    for pair, (status, user) in found.items():
        if status == OK and (thread is None or not permissions.can_see_thread(user, thread)):
            status, user = CLOSE_FORBIDDEN, None
        out[pair] = (status, user)
    return thread, out


# --- Events, rendered once per signature ------------------------------------------


def _signature(user, post, is_moderator):
    # Everything forum_post reads that differs between members (see its code):
    # two members with equal signatures get byte-identical HTML.
    return (
        post.pk,
        post.is_placeholder,
        post.actions,
        is_moderator,
        post.is_unread,
        frozenset(post.my_reactions),
        tuple(sorted(getattr(post, "reactors", {}).items())),
        post.open_flags if is_moderator else 0,
    )


def _wanted(thread, events):
    wanted = set()
    for event in events:
        if event.kind in live.POST_KINDS and event.post_id:
            wanted.add(event.post_id)
        if event.kind == live.Kind.THREAD_ANSWER and thread.accepted_answer_id:
            wanted.add(thread.accepted_answer_id)
    return wanted


def _render_for(users, thread, post_ids):
    """``{user_id: {post_id: html}}`` for the posts each member may see. Members
    who see the same posts the same way (``selectors.thread_posts_by_signature``)
    share one dict, rendered once."""
    rendered = {}
    contexts = {}
    out = {}
    if not post_ids:
        empty = {}
        return {u.pk: empty for u in users}
    for members, posts in selectors.thread_posts_by_signature(users=users, thread=thread, post_ids=post_ids):
        user = members[0]
        is_moderator = permissions.is_moderator(user)
        if is_moderator not in contexts:
            contexts[is_moderator] = live.post_context(user, thread)
        html = {}
        for post in posts:
            post.actions = permissions.post_actions(user, post, thread=thread)
            key = _signature(user, post, is_moderator)
            if key not in rendered:
                rendered[key] = str(forum_post(contexts[is_moderator], post))
            html[post.pk] = rendered[key]
        for member in members:
            out[member.pk] = html
    return out


_NO_HTML = {}  # never written to: the HTML of a member who sees none of the posts


def _messages(thread, events, html, merged_url, state=None):
    """What one member receives for ``events``, given the HTML rendered for them
    (``state``, the thread's :func:`forum.live.thread_state`, is shared by a batch)."""
    state = live.thread_state(thread) if state is None else state
    out = []
    for event in events:
        message = {"type": event.kind, "sequence": event.sequence, "thread": state}
        if event.kind in live.POST_KINDS:
            ids = [event.post_id]
            if event.kind == live.Kind.THREAD_ANSWER and thread.accepted_answer_id:
                ids.append(thread.accepted_answer_id)
            posts = {str(pk): html[pk] for pk in ids if pk in html}
            if posts:
                message["posts"] = posts
            elif event.kind == live.Kind.POST_CREATED:
                # Nothing this member may see (a post held for review): only the number moves on.
                message = {"type": "sequence", "sequence": event.sequence, "thread": state}
            elif event.post_id:
                message = {
                    "type": "post.removed",
                    "sequence": event.sequence,
                    "post_id": event.post_id,
                    "thread": state,
                }
        elif event.kind == live.Kind.THREAD_MERGED and merged_url:
            message["url"] = merged_url
        out.append(message)
    return out


def deliveries(thread_id, requests):
    """For each ``(user_id, session_key, since)``: ``(status, messages, last_sequence)``,
    everything after ``since`` for that member, or a ``reload`` when the gap is
    larger than the catch-up limit."""
    thread, access = thread_access(thread_id, {(uid, key) for uid, key, _ in requests})
    limit = getattr(settings, "FORUM_LIVE_CATCH_UP_LIMIT", 100)
    results = {}
    pending = []
    for request in requests:
        user_id, key, since = request
        status, user = access[(user_id, key)]
        if status != OK:
            results[request] = (status, [], since)
            continue
        current = thread.event_seq
        if since > current or current - since > limit:
            # Too far behind, or ahead of the database (restored from a backup): start again.
            results[request] = (OK, [{"type": "reload", "sequence": current}], current)
        elif since == current:
            results[request] = (OK, [], current)
        else:
            pending.append((request, user))
    if pending:
        lowest = min(request[2] for request, _ in pending)
        events = list(
            ThreadEvent.objects.filter(thread_id=thread.pk, sequence__gt=lowest).order_by("sequence")
        )
        users = list({user.pk: user for _, user in pending}.values())
        state = live.thread_state(thread)
        html = _render_for(users, thread, _wanted(thread, events))
        merged_urls = {}
        if thread.merged_into_id and any(e.kind == live.Kind.THREAD_MERGED for e in events):
            target = Thread.objects.select_related("category").filter(pk=thread.merged_into_id).first()
            for user in users:
                if target is not None and permissions.can_see_thread(user, target):
                    merged_urls[user.pk] = target.get_absolute_url()
        # Members who share their HTML (one dict per signature), their starting
        # point and the merged thread's address get the very same messages.
        shared = {}
        for request, user in pending:
            mine = [e for e in events if e.sequence > request[2]]
            if not mine or mine[0].sequence != request[2] + 1:
                # Sequences have no gaps, so a missing first event was pruned
                # (manage.py prune_thread_events): replaying the rest would
                # leave the page silently incomplete.
                results[request] = (OK, [{"type": "reload", "sequence": thread.event_seq}], thread.event_seq)
                continue
            mine_html = html.get(user.pk, _NO_HTML)
            merged_url = merged_urls.get(user.pk)
            key = (id(mine_html), request[2], merged_url)
            messages = shared.get(key)
            if messages is None:
                messages = shared[key] = _messages(thread, mine, mine_html, merged_url, state)
            results[request] = (OK, messages, mine[-1].sequence)
    return results


def reply_access(thread_id, requests):
    """For each ``(user_id, session_key)``: ``(status, may_reply, display_name)``."""
    thread, access = thread_access(thread_id, requests)
    out = {}
    for pair in requests:
        status, user = access[pair]
        if status != OK:
            out[pair] = (status, False, "")
        else:
            out[pair] = (OK, permissions.can_reply(user, thread), user.display_name)
    return out


# --- Presence: one cache entry per thread ------------------------------------------
# {channel name: [user id, name, expires at]}. The cache is Redis when REDIS_URL
# is set, so every process sees the same viewers.


def _presence_key(thread_id):
    return f"forum.live.presence.{thread_id}"


def _presence_ttl():
    return getattr(settings, "FORUM_LIVE_PRESENCE_TTL", 90)


def presence_update(thread_id, entries):
    """Set (``(channel, user_id, name)``) or remove (``(channel, None, "")``) viewers
    of ``thread_id`` in one read and one write of the thread's entry."""
    from django.core.cache import cache

    key = _presence_key(thread_id)
    now = time.time()
    viewers = {k: v for k, v in (cache.get(key) or {}).items() if v[2] > now}
    for channel_name, user_id, name in entries:
        if user_id is None:
            viewers.pop(channel_name, None)
        else:
            viewers[channel_name] = [user_id, name, now + _presence_ttl()]
    cache.set(key, viewers, _presence_ttl() * 2)


def presence_viewers(thread_id):
    """``{user id: name}`` of the thread's viewers now."""
    from django.core.cache import cache

    now = time.time()
    viewers = {}
    for user_id, name, expires in (cache.get(_presence_key(thread_id)) or {}).values():
        if expires > now:
            viewers[user_id] = name
    return viewers


def presence_lists(read_viewers, thread_id, requests):
    """For each ``(user_id, session_key)``: ``(status, presence message)``, the
    viewers read once for all. A member sees the count and the names of the
    others, at most ``FORUM_LIVE_PRESENCE_NAMES`` of them (a thousand names help
    nobody, and sending each of a thousand readers a thousand names is a million)."""
    thread, access = thread_access(thread_id, requests)
    viewers = read_viewers(thread_id) if thread is not None else {}
    ordered = sorted((name, user_id) for user_id, name in viewers.items())
    limit = getattr(settings, "FORUM_LIVE_PRESENCE_NAMES", 50)
    out = {}
    for pair in requests:
        status = access[pair][0]
        if status != OK:
            out[pair] = (status, None)
            continue
        names = []
        for name, user_id in ordered:
            if user_id != pair[0]:
                names.append(name)
                if len(names) == limit:
                    break
        out[pair] = (OK, {"type": "presence", "count": len(viewers), "names": names})
    return out


def presence_encoded(thread_id, requests):
    """:func:`presence_lists` from the cache, each distinct message as JSON text
    encoded once (most viewers see the same first names)."""
    texts = {}
    out = {}
    for pair, (status, message) in presence_lists(presence_viewers, thread_id, requests).items():
        if message is None:
            out[pair] = (status, None)
            continue
        key = (message["count"], tuple(message["names"]))
        if key not in texts:
            texts[key] = json.dumps(message)
        out[pair] = (status, texts[key])
    return out


def access_statuses(thread_id, requests):
    """``{(user_id, session_key): status}``: who among them may still follow the thread."""
    return {pair: status for pair, (status, _user) in thread_access(thread_id, requests)[1].items()}


def recheck_viewers(thread_id, requests, viewers):
    """:func:`access_statuses`, and the viewers (``(channel, user_id)``) still allowed
    kept in the viewers' list under their current names, in one cache write."""
    _thread, access = thread_access(thread_id, requests)
    names = {pair[0]: user.display_name for pair, (status, user) in access.items() if status == OK}
    presence_update(thread_id, [(channel, uid, names[uid]) for channel, uid in viewers if uid in names])
    return {pair: status for pair, (status, _user) in access.items()}


def typing_frame(name):
    return json.dumps({"type": "typing", "name": name})


def connect_state(thread_id, requests):
    """For each ``(user_id, session_key)``: ``(status, the thread's current
    sequence, its category id)``; the socket joins the category's group, where
    a narrower audience is announced."""
    thread, access = thread_access(thread_id, requests)
    out = {}
    for pair in requests:
        if access[pair][0] == OK:
            out[pair] = (OK, thread.event_seq, thread.category_id)
        else:
            out[pair] = (access[pair][0], 0, None)
    return out


def _message_key(message):
    # Within one batch the members whose posts share a signature share the very
    # same HTML strings (``_render_for``), and every message carries the same
    # thread state: identity of the HTML and of the state and equality of the
    # rest tell which messages encode to the same text.
    return (
        message["type"],
        message["sequence"],
        message.get("post_id"),
        message.get("url"),
        # One state dict per batch: its identity stands for its content.
        id(message.get("thread")),
        tuple((k, id(v)) for k, v in message.get("posts", {}).items()),
    )


def encode_messages(results):
    """``results`` of :func:`deliveries` with each message as ``(sequence, JSON
    text)``, each distinct message encoded once for the whole batch rather than
    once per socket (the sequence lets a socket skip what it already has)."""
    texts = {}
    lists = {}
    out = {}
    for request, (status, messages, last) in results.items():
        # Requests answered with the very same list (``deliveries`` shares one
        # per signature) share one encoded list too.
        encoded = lists.get(id(messages))
        if encoded is not None:
            out[request] = (status, encoded, last)
            continue
        encoded = lists[id(messages)] = []
        for message in messages:
            key = _message_key(message)
            text = texts.get(key)
            if text is None:
                text = texts[key] = json.dumps(message)
            encoded.append((message["sequence"], text))
        out[request] = (status, encoded, last)
    return out


def deliveries_in_category(thread_id, requests):
    """:func:`deliveries` encoded (:func:`encode_messages`), each with the
    thread's category id now (a moved thread's sockets follow it to its new
    category's group)."""
    results = encode_messages(deliveries(thread_id, requests))
    category_id = Thread.objects.filter(pk=thread_id).values_list("category_id", flat=True).first()
    return {request: (*result, category_id) for request, result in results.items()}


# --- Batching the sockets of one process -------------------------------------------


# The batches run on a thread of their own, not on the one thread that runs
# every view and consumer query of the process (channels' thread-sensitive
# default): a reply's event would otherwise wait behind the rest of the reply's
# own request, and every page being served, before a reader got it.
_executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="live-fanout")


def _database(work):
    from django.db import connection

    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        # An in-memory SQLite database (the test suite's) is shared between
        # threads only with table locks: stay on the one thread.
        return database_sync_to_async(work)
    return database_sync_to_async(work, thread_sensitive=False, executor=_executor)


class _Batch:
    """Requests for one thread that wait for the same database round."""

    def __init__(self, work):
        self.work = work
        self.waiting = []
        self.running = False


_batches: dict = {}


async def _ask(kind, work, thread_id, request):
    loop = asyncio.get_running_loop()
    key = (id(loop), kind, thread_id)
    batch = _batches.get(key)
    if batch is None:
        batch = _batches[key] = _Batch(work)
    future = loop.create_future()
    batch.waiting.append((request, future))
    if not batch.running:
        batch.running = True
        asyncio.ensure_future(_run(key, batch, thread_id))
    return await future


async def _run(key, batch, thread_id):
    try:
        # Let the other sockets woken by the same group message join this round.
        for _ in range(3):
            await asyncio.sleep(0)
        while batch.waiting:
            waiting, batch.waiting = batch.waiting, []
            requests = list({request for request, _ in waiting})
            try:
                results = await _database(batch.work)(thread_id, requests)
            except Exception as exc:  # noqa: BLE001 - each socket handles its own failure
                for _, future in waiting:
                    if not future.done():
                        future.set_exception(exc)
                continue
            for request, future in waiting:
                if not future.done():
                    future.set_result(results[request])
    finally:
        batch.running = False
        if _batches.get(key) is batch and not batch.waiting:
            del _batches[key]


async def deliver(thread_id, requests):
    """:func:`deliveries_in_category` for a hub's sockets, already gathered."""
    return await _database(deliveries_in_category)(thread_id, list(requests))


async def presence_frames(thread_id, pairs):
    return await _database(presence_encoded)(thread_id, list(pairs))


async def statuses(thread_id, pairs):
    return await _database(access_statuses)(thread_id, list(pairs))


async def recheck(thread_id, pairs, viewers):
    return await _database(recheck_viewers)(thread_id, list(pairs), viewers)


async def replay(thread_id, user_id, session_key, since):
    """``(status, frames, last_sequence, category_id)`` for one socket (each
    frame a message as JSON text), answered
    with the others of this process that ask at the same moment."""
    return await _ask("replay", deliveries_in_category, thread_id, (user_id, session_key, since))


async def connect(thread_id, user_id, session_key):
    """``(status, current_sequence, category_id)`` for a socket opening, batched
    likewise: when a server restarts, its readers all reconnect at once."""
    return await _ask("connect", connect_state, thread_id, (user_id, session_key))


async def presence(thread_id, user_id, session_key, read_viewers):
    """``(status, presence message)`` for one socket, batched likewise."""
    return await _ask("presence", partial(presence_lists, read_viewers), thread_id, (user_id, session_key))


async def access(thread_id, user_id, session_key):
    """``(status, may_reply, display_name)`` for one socket, batched likewise."""
    return await _ask("access", reply_access, thread_id, (user_id, session_key))


# --- Presence broadcasts, at most one per moment per thread and process ------------

_presence_due: dict = {}


async def presence_changed(layer, group, send):
    """Ask every viewer to refresh the viewers' list, at most once every
    ``FORUM_LIVE_PRESENCE_DEBOUNCE`` seconds per thread in this process: when a
    thousand members open a thread, one list goes out every half second rather
    than a thousand lists to a thousand sockets."""
    delay = getattr(settings, "FORUM_LIVE_PRESENCE_DEBOUNCE", 0.5)
    if not delay:
        await send({"type": "presence.changed"})
        return
    loop = asyncio.get_running_loop()
    key = (id(loop), group)
    if key in _presence_due:
        return
    _presence_due[key] = time.monotonic() + delay

    async def later():
        try:
            await asyncio.sleep(delay)
        finally:
            _presence_due.pop(key, None)
        await send({"type": "presence.changed"})

    asyncio.ensure_future(later())
