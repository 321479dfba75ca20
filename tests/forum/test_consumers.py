"""Live discussions through the real ASGI application (connect.asgi.application)."""

import asyncio
import contextlib
import json
import time

import pytest
from channels.db import database_sync_to_async as db
from channels.testing import WebsocketCommunicator
from django.test import Client

from connect.models import Discipline
from forum import services
from forum.models import Post, Thread, ThreadEvent

from .factories import make_post, make_thread

pytestmark = pytest.mark.django_db(transaction=True)

ORIGIN = b"http://testserver"


@pytest.fixture(autouse=True)
def _fast(settings):
    settings.FORUM_LIVE_PRESENCE_DEBOUNCE = 0
    settings.FORUM_LIVE_RECHECK_SECONDS = 3600


# Every socket a test opens, so that it is disconnected when the test ends.
_OPENED = []


@pytest.fixture(autouse=True)
async def _disconnect_sockets():
    """Disconnect every socket the test opened, as daphne does when a client
    goes. A socket the server closed stays with its thread's hub until its
    consumer hears the disconnect; a hub still listening when the test's event
    loop closes is cancelled inside the Redis pub/sub layer's own clean-up,
    which can then wait for that layer's lock for ever (seen on the PostgreSQL
    and Redis pass)."""
    yield
    while _OPENED:
        communicator = _OPENED.pop()
        with contextlib.suppress(Exception):
            await communicator.disconnect(timeout=3)
    # A thread hub still listening (inside the pub/sub layer's receive) is
    # cancelled here, before the loop closes: if its clean-up then waits on
    # the layer's lock, the loop's own cancellation at close reaches it there
    # and ends it, where a single cancellation at close left the clean-up
    # waiting for ever.
    pending = [
        task
        for task in asyncio.all_tasks()
        if not task.done() and getattr(task.get_coro(), "__qualname__", "").startswith("ThreadHub.")
    ]
    for task in pending:
        task.cancel()
    if pending:
        await asyncio.wait(pending, timeout=1)


def _session_key(user):
    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


async def _open(user, path, origin=ORIGIN):
    from connect.asgi import application

    key = await db(_session_key)(user)
    headers = [(b"origin", origin), (b"host", b"testserver"), (b"cookie", f"sessionid={key}".encode())]
    communicator = WebsocketCommunicator(application, path, headers=headers)
    # A busy machine can take more than the default second to open a socket.
    _OPENED.append(communicator)
    connected, code = await communicator.connect(timeout=5)
    communicator.session_key = key
    return communicator, connected, code


async def _close_code(user, path):
    """The code a refused socket is closed with. Refusals are accepted first
    and then closed, so the browser can read the code."""
    communicator, connected, code = await _open(user, path)
    if not connected:
        return ("refused before accept", code)
    output = await communicator.receive_output(3)
    assert output["type"] == "websocket.close", output
    return output.get("code")


async def _next(communicator, *types, timeout=3):
    """The next message of one of ``types``, skipping presence and the like."""
    deadline = time.monotonic() + timeout
    while True:
        remaining = deadline - time.monotonic()
        assert remaining > 0, f"no {types} message"
        output = await communicator.receive_output(remaining)
        if output["type"] == "websocket.close":
            return {"type": "closed", "code": output.get("code")}
        message = json.loads(output["text"])
        if message["type"] in types:
            return message


async def _drain(communicator, timeout=0.3):
    """Every message until none arrives for ``timeout`` seconds (the consumer keeps running)."""
    out = []
    while not await communicator.receive_nothing(timeout):
        output = await communicator.receive_output()
        if output["type"] == "websocket.close":
            out.append({"type": "closed", "code": output.get("code")})
            return out
        out.append(json.loads(output["text"]))
    return out


def _thread(author, category, **kw):
    return make_thread(author=author, category=category, **kw)


async def test_thread_consumer_missing_and_restricted_threads_close_alike(officer, advocate, le_category):
    le_thread = await db(_thread)(officer, le_category)
    assert await _close_code(advocate, f"/ws/threads/{le_thread.pk}/") == 4403
    assert await _close_code(advocate, "/ws/threads/999999/") == 4403


async def test_thread_consumer_refuses_foreign_origin(officer, category):
    thread = await db(_thread)(officer, category)
    _c, connected, _code = await _open(officer, f"/ws/threads/{thread.pk}/", origin=b"https://evil.example")
    assert not connected


async def test_thread_consumer_delivers_reply_rendered_for_the_member(officer, advocate, category):
    thread = await db(_thread)(officer, category)
    communicator, connected, _ = await _open(advocate, f"/ws/threads/{thread.pk}/")
    assert connected
    ready = await _next(communicator, "ready")
    post = await db(make_post)(author=officer, thread=thread, body="Live reply about shelters.")
    message = await _next(communicator, "post.created")
    assert message["sequence"] == ready["sequence"] + 1
    html = message["posts"][str(post.pk)]
    assert f'id="post-{post.pk}"' in html and "Live reply about shelters." in html
    # Rendered with the reader's own post actions: they may react to someone else's post.
    assert f"/{post.pk}/react/" in html
    assert message["thread"]["reply_count"] == 1
    await communicator.disconnect()


async def test_thread_consumer_delivers_each_event_type(officer, advocate, mod, category, suggestions):
    thread = await db(_thread)(officer, category, is_question=True)
    reply = await db(make_post)(author=advocate, thread=thread)
    second = await db(make_post)(author=advocate, thread=thread, body="Taken back soon.")
    other = await db(_thread)(advocate, category)
    communicator, connected, _ = await _open(officer, f"/ws/threads/{thread.pk}/")
    assert connected

    def changes():
        services.post_edit(editor=advocate, post=reply, body="An edited reply.")
        services.reaction_toggle(user=officer, post=reply, kind="helpful")
        services.answer_accept(user=officer, thread=thread, post=reply)
        services.post_hide(moderator=mod, post=reply, reason="Off topic")
        services.post_restore(moderator=mod, post=reply)
        services.thread_set_locked(moderator=mod, thread=thread, locked=True, reason="Done")
        services.thread_set_locked(moderator=mod, thread=thread, locked=False)
        services.thread_set_pinned(moderator=mod, thread=thread, pinned=True)
        services.thread_set_pinned(moderator=mod, thread=thread, pinned=False)
        services.post_delete(user=advocate, post=second)
        services.thread_move(moderator=mod, thread=Thread.objects.get(pk=thread.pk), category=suggestions)
        services.suggestion_status_set(
            moderator=mod, thread=Thread.objects.get(pk=thread.pk), status="planned"
        )
        services.vote_toggle(user=advocate, thread=thread)
        services.thread_merge(moderator=mod, source=Thread.objects.get(pk=other.pk), target=thread)

    await db(changes)()
    kinds = [
        "post.edited",
        "post.reactions",
        "thread.answer",
        "post.hidden",
        "post.restored",
        "thread.locked",
        "thread.unlocked",
        "thread.pinned",
        "thread.unpinned",
        "post.deleted",
        "thread.moved",
        "thread.status",
        "thread.votes",
        "thread.merged",
    ]
    # Slow machines: the replay renders everything once the writes are done.
    received = [m for m in await _drain(communicator, 5.0) if "sequence" in m and m["type"] != "ready"]
    types = [m["type"] for m in received]
    # Rendered as things stand now: the restored reply is visible again; the deleted one
    # is only a removal, for a member who is not a moderator.
    expected = [k if k != "post.deleted" else "post.removed" for k in kinds]
    assert types == expected
    sequences = [m["sequence"] for m in received]
    assert sequences == sorted(sequences) and len(set(sequences)) == len(sequences)
    edited = received[0]["posts"][str(reply.pk)]
    assert "An edited reply." in edited
    assert "Helpful · 1" in received[1]["posts"][str(reply.pk)]
    assert "Taken back soon." not in json.dumps(received)
    await communicator.disconnect()


async def test_thread_consumer_moderator_receives_hidden_post_with_its_banner(
    officer, advocate, mod, category
):
    thread = await db(_thread)(officer, category)
    reply = await db(make_post)(author=advocate, thread=thread)
    communicator, connected, _ = await _open(mod, f"/ws/threads/{thread.pk}/")
    assert connected
    await db(services.post_hide)(moderator=mod, post=reply, reason="Names a witness")
    message = await _next(communicator, "post.hidden")
    assert "Names a witness" in message["posts"][str(reply.pk)]
    await communicator.disconnect()


async def test_thread_consumer_hidden_post_never_reaches_a_member(officer, advocate, mod, category):
    thread = await db(_thread)(officer, category)
    reply = await db(make_post)(author=advocate, thread=thread, body="Soon hidden text.")
    communicator, connected, _ = await _open(officer, f"/ws/threads/{thread.pk}/")
    assert connected
    await db(services.post_hide)(moderator=mod, post=reply, reason="Names a witness")
    # The post's place is taken by the same placeholder the page shows, without its words.
    message = await _next(communicator, "post.hidden")
    assert "A post was removed by a moderator" in message["posts"][str(reply.pk)]
    assert "Soon hidden text." not in json.dumps(message) and "Names a witness" not in json.dumps(message)
    # A replay of the same events later still carries no fragment.
    late, connected, _ = await _open(officer, f"/ws/threads/{thread.pk}/?since=0")
    replay = await _drain(late, 0.5)
    assert "Soon hidden text." not in json.dumps(replay)
    await communicator.disconnect()
    await late.disconnect()


async def test_thread_consumer_catches_up_after_a_gap(officer, advocate, category):
    thread = await db(_thread)(officer, category)
    seen = await db(lambda: Thread.objects.get(pk=thread.pk).event_seq)()
    posts = [await db(make_post)(author=advocate, thread=thread, body=f"Missed reply {i}.") for i in range(3)]
    communicator, connected, _ = await _open(officer, f"/ws/threads/{thread.pk}/?since={seen}")
    assert connected
    received = [m for m in await _drain(communicator, 0.5) if m["type"] == "post.created"]
    assert [list(m["posts"]) for m in received] == [[str(p.pk)] for p in posts]
    assert [m["sequence"] for m in received] == [seen + 1, seen + 2, seen + 3]
    # Asking again from the start of the gap replays the same, once each.
    await communicator.send_json_to({"type": "catch_up", "since": seen + 2})
    again = [m for m in await _drain(communicator, 0.5) if m["type"] == "post.created"]
    assert [m["sequence"] for m in again] == [seen + 3]
    await communicator.disconnect()


async def test_thread_consumer_catch_up_and_a_new_reply_arrive_once_each_in_order(
    officer, advocate, mod, category
):
    # The thread's sockets share one listener in the process; a socket's own
    # catch-up on connect and the listener's delivery of a new reply must not
    # both send the same event.
    thread = await db(_thread)(officer, category)
    seen = await db(lambda: Thread.objects.get(pk=thread.pk).event_seq)()
    other, connected, _ = await _open(mod, f"/ws/threads/{thread.pk}/")
    assert connected
    await db(make_post)(author=advocate, thread=thread, body="Before the catch-up.")
    reader, connected, _ = await _open(officer, f"/ws/threads/{thread.pk}/?since={seen}")
    assert connected
    await db(make_post)(author=advocate, thread=thread, body="After the catch-up.")
    received = [m["sequence"] for m in await _drain(reader, 0.8) if m["type"] == "post.created"]
    assert received == [seen + 1, seen + 2]
    assert [m["sequence"] for m in await _drain(other, 0.3) if m["type"] == "post.created"] == [
        seen + 1,
        seen + 2,
    ]
    await reader.disconnect()
    await other.disconnect()


async def test_thread_consumer_tells_client_to_reload_after_a_large_gap(
    officer, advocate, category, settings
):
    settings.FORUM_LIVE_CATCH_UP_LIMIT = 2
    thread = await db(_thread)(officer, category)
    for _ in range(3):
        await db(make_post)(author=advocate, thread=thread)
    communicator, connected, _ = await _open(officer, f"/ws/threads/{thread.pk}/?since=0")
    assert connected
    message = await _next(communicator, "reload", "post.created")
    assert message["type"] == "reload"
    await communicator.disconnect()


async def test_thread_consumer_member_moved_out_of_audience_is_disconnected(officer, le_mod, le_category):
    thread = await db(_thread)(officer, le_category)
    communicator, connected, _ = await _open(officer, f"/ws/threads/{thread.pk}/")
    assert connected

    def move_out():
        officer.profile.discipline = Discipline.VICTIM_SERVICES
        officer.profile.save(update_fields=["discipline"])
        make_post(author=le_mod, thread=thread, body="Law enforcement only detail.")

    await db(move_out)()
    rest = await _drain(communicator, 1.0)
    assert rest[-1] == {"type": "closed", "code": 4403}
    assert "Law enforcement only detail." not in json.dumps(rest)
    assert not any(m["type"].startswith("post.") for m in rest)


@pytest.mark.parametrize("change", ["deactivate", "suspend"])
async def test_thread_consumer_deactivated_or_suspended_member_is_disconnected(
    officer, advocate, mod, category, change
):
    thread = await db(_thread)(officer, category)
    communicator, connected, _ = await _open(advocate, f"/ws/threads/{thread.pk}/")
    assert connected

    def act():
        if change == "deactivate":
            type(advocate).objects.filter(pk=advocate.pk).update(is_active=False)
        else:
            services.member_suspend(moderator=mod, user=advocate, reason="Testing")
        make_post(author=officer, thread=thread, body="After the change.")

    await db(act)()
    rest = await _drain(communicator, 1.0)
    assert rest[-1]["type"] == "closed" and rest[-1]["code"] in (4403, 4401)
    assert "After the change." not in json.dumps(rest)


async def test_thread_consumer_expired_session_closes_the_socket(officer, advocate, category):
    from django.contrib.sessions.backends.db import SessionStore

    thread = await db(_thread)(officer, category)
    communicator, connected, _ = await _open(advocate, f"/ws/threads/{thread.pk}/")
    assert connected

    def expire():
        session = SessionStore(communicator.session_key)
        session["connect_started"] = time.time() - 3600
        session["connect_last_seen"] = time.time() - 31 * 60
        session.save()
        make_post(author=officer, thread=thread, body="After the session ended.")

    await db(expire)()
    rest = await _drain(communicator, 1.0)
    assert rest[-1] == {"type": "closed", "code": 4401}
    assert "After the session ended." not in json.dumps(rest)


async def test_thread_consumer_rechecks_the_session_on_a_timer(officer, category, settings):
    from django.contrib.sessions.backends.db import SessionStore

    settings.FORUM_LIVE_RECHECK_SECONDS = 0.2
    thread = await db(_thread)(officer, category)
    communicator, connected, _ = await _open(officer, f"/ws/threads/{thread.pk}/")
    assert connected
    await db(lambda: SessionStore(communicator.session_key).delete())()
    message = await _next(communicator, "never", timeout=2)
    assert message == {"type": "closed", "code": 4401}


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        ("not json", "invalid_json"),
        ("[1, 2]", "invalid_message"),
        ('{"type": "launch"}', "unknown_type"),
        ('{"type": "catch_up", "since": "x"}', "invalid_message"),
    ],
)
async def test_thread_consumer_bad_frames_get_stable_error_codes(officer, category, frame, code):
    thread = await db(_thread)(officer, category)
    communicator, connected, _ = await _open(officer, f"/ws/threads/{thread.pk}/")
    assert connected
    await communicator.send_to(text_data=frame)
    assert await _next(communicator, "error") == {"type": "error", "code": code}
    # Still connected and working.
    await communicator.send_json_to({"type": "ping"})
    assert (await _next(communicator, "pong"))["type"] == "pong"
    await communicator.disconnect()


async def test_thread_consumer_binary_and_oversized_frames(officer, category):
    thread = await db(_thread)(officer, category)
    communicator, connected, _ = await _open(officer, f"/ws/threads/{thread.pk}/")
    assert connected
    await communicator.send_to(bytes_data=b"\x00\x01")
    assert await _next(communicator, "error") == {"type": "error", "code": "binary_not_supported"}
    await communicator.send_to(text_data=json.dumps({"type": "ping", "pad": "x" * 70_000}))
    assert await _next(communicator, "error") == {"type": "error", "code": "too_large"}
    assert await _next(communicator, "never") == {"type": "closed", "code": 1009}


async def test_thread_consumer_flood_is_throttled_then_disconnected(officer, category, settings):
    settings.FORUM_LIVE_FLOOD_LIMIT = 5
    thread = await db(_thread)(officer, category)
    communicator, connected, _ = await _open(officer, f"/ws/threads/{thread.pk}/")
    assert connected
    for _ in range(12):
        await communicator.send_json_to({"type": "typing"})
    messages = await _drain(communicator, 1.0)
    errors = [m for m in messages if m["type"] == "error"]
    assert errors == [{"type": "error", "code": "rate_limited"}]
    assert messages[-1] == {"type": "closed", "code": 4429}


async def test_thread_consumer_presence_and_typing(officer, advocate, category):
    thread = await db(_thread)(officer, category)
    first, connected, _ = await _open(officer, f"/ws/threads/{thread.pk}/")
    assert connected
    second, connected, _ = await _open(advocate, f"/ws/threads/{thread.pk}/")
    assert connected
    presence = await _next(first, "presence")
    while presence["count"] < 2:
        presence = await _next(first, "presence")
    assert presence["names"] == [advocate.profile.display_name]
    await second.send_json_to({"type": "typing"})
    await second.send_json_to({"type": "typing"})  # inside the interval: not repeated
    assert await _next(first, "typing") == {"type": "typing", "name": advocate.profile.display_name}
    assert not [m for m in await _drain(first, 0.5) if m["type"] == "typing"]
    assert not [m for m in await _drain(second, 0.3) if m["type"] == "typing"]
    await second.disconnect()
    presence = await _next(first, "presence")
    assert presence == {"type": "presence", "count": 1, "names": []}
    await first.disconnect()


async def test_thread_consumer_restricted_presence_and_typing_never_leak(
    officer, advocate, le_mod, le_category
):
    thread = await db(_thread)(officer, le_category)
    inside, connected, _ = await _open(le_mod, f"/ws/threads/{thread.pk}/")
    assert connected
    assert await _close_code(advocate, f"/ws/threads/{thread.pk}/") == 4403
    # A member still inside, then moved out, receives no one's typing or name.
    watcher, connected, _ = await _open(officer, f"/ws/threads/{thread.pk}/")
    assert connected
    await _drain(watcher, 0.3)

    def move_out():
        officer.profile.discipline = Discipline.VICTIM_SERVICES
        officer.profile.save(update_fields=["discipline"])

    await db(move_out)()
    await inside.send_json_to({"type": "typing"})
    rest = await _drain(watcher, 1.0)
    assert rest == [{"type": "closed", "code": 4403}]
    await inside.disconnect()


async def test_member_consumer_sends_the_unread_notification_count(officer, advocate, category):
    communicator, connected, _ = await _open(officer, "/ws/me/")
    assert connected
    assert await _next(communicator, "notifications") == {"type": "notifications", "unread": 0}
    thread = await db(_thread)(officer, category)
    await db(make_post)(author=advocate, thread=thread, body="A reply that notifies the author.")
    # Pushed as it is saved, not polled.
    message = await _next(communicator, "notification", "notifications")
    assert message["type"] == "notification" and message["unread"] == 1
    await communicator.disconnect()


def test_post_create_succeeds_and_logs_when_the_channel_layer_fails(
    officer, advocate, category, monkeypatch, caplog, django_capture_on_commit_callbacks
):
    from channels.layers import get_channel_layer

    async def broken(group, message):
        raise ConnectionError("Redis is down")

    # Whichever layer is configured: in memory by default, channels-redis with
    # REDIS_URL. On the layer object itself: the pub/sub layer hands group_send
    # on to a layer per event loop, so its class has no such attribute.
    monkeypatch.setattr(get_channel_layer(), "group_send", broken, raising=False)
    with django_capture_on_commit_callbacks(execute=True):
        thread = make_thread(author=officer, category=category)
        started = time.monotonic()
        post = make_post(author=advocate, thread=thread)
    assert time.monotonic() - started < 2
    assert Post.objects.filter(pk=post.pk).exists()
    assert ThreadEvent.objects.filter(thread=thread, post_id=post.pk, kind="post.created").exists()
    assert "Could not broadcast" in caplog.text


def test_post_create_numbers_events_in_order(officer, advocate, category):
    thread = make_thread(author=officer, category=category)
    for _ in range(3):
        make_post(author=advocate, thread=thread)
    thread.refresh_from_db()
    sequences = list(ThreadEvent.objects.filter(thread=thread).values_list("sequence", flat=True))
    assert sequences == [1, 2, 3] and thread.event_seq == 3
