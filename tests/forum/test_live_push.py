"""Pushes on the member socket, access changes that close sockets at once,
close codes a browser can read, and event pruning — through connect.asgi."""

import json
import time
from datetime import timedelta

import pytest
from channels.db import database_sync_to_async as db
from django.core.management import call_command
from django.utils import timezone

from connect import services as connect_services
from connect.models import Discipline, Role
from forum import services
from forum.live import thread_events_prune
from forum.models import Category, Thread, ThreadEvent
from notifications import services as notification_services

from .factories import make_post, make_thread
from .test_consumers import _close_code, _disconnect_sockets, _drain, _next, _open  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _no_timed_rechecks(settings):
    # Every close below must come from the change itself, not from the 30 s re-check.
    settings.FORUM_LIVE_RECHECK_SECONDS = 3600


# --- /ws/me/: notifications and new threads, pushed -------------------------------


async def test_member_consumer_pushes_each_new_notification_rendered_for_the_member(
    officer, advocate, category
):
    thread = await db(make_thread)(author=advocate, category=category, title="Intake forms")
    me, connected, _ = await _open(officer, "/ws/me/")
    assert connected
    assert await _next(me, "notifications") == {"type": "notifications", "unread": 0}
    handle = await db(services.handle_for)(officer)
    await db(make_post)(author=advocate, thread=thread, body=f"What do you think, @{handle}?")
    message = await _next(me, "notification")
    assert message["unread"] == 1
    name = advocate.profile.display_name
    assert message["text"] == f"{name} mentioned you in “Intake forms” ({category.name})."
    assert f'href="/notifications/{message["id"]}/' in message["html"]
    # Never the post's words: a notification names who, what and where.
    assert "What do you think" not in json.dumps(message)
    await me.disconnect()


async def test_member_consumer_pushes_the_count_when_read_elsewhere(officer, advocate, category):
    thread = await db(make_thread)(author=officer, category=category)
    await db(make_post)(author=advocate, thread=thread)
    me, connected, _ = await _open(officer, "/ws/me/")
    assert connected
    assert await _next(me, "notifications") == {"type": "notifications", "unread": 1}
    await db(notification_services.notification_mark_read)(user=officer)
    assert await _next(me, "notifications") == {"type": "notifications", "unread": 0}
    await me.disconnect()


async def test_member_consumer_never_pushes_what_the_member_may_not_see(
    officer, advocate, le_mod, le_category
):
    me, connected, _ = await _open(advocate, "/ws/me/")
    assert connected
    await _next(me, "notifications")
    handle = await db(services.handle_for)(advocate)
    # A mention in a category the advocate is not in the audience of notifies nobody.
    await db(make_thread)(
        author=le_mod, category=le_category, title="Warrant timing", body=f"Hello @{handle}, warrant timing."
    )
    rest = await _drain(me, 1.0)
    assert rest == []
    await me.disconnect()


async def test_member_consumer_pushes_new_threads_in_watched_categories(officer, advocate, category):
    await db(services.category_watch_toggle)(user=officer, category=category)
    me, connected, _ = await _open(officer, "/ws/me/")
    assert connected
    await _next(me, "notifications")
    thread = await db(make_thread)(author=advocate, category=category, title="Shelter bed availability")
    message = await _next(me, "thread.created")
    assert message["thread"] == {
        "id": thread.pk,
        "title": "Shelter bed availability",
        "url": thread.get_absolute_url(),
        "category": {"id": category.pk, "name": category.name},
    }
    # The author is not told about their own thread.
    mine, connected, _ = await _open(advocate, "/ws/me/")
    await db(services.category_watch_toggle)(user=advocate, category=category)
    await db(make_thread)(author=advocate, category=category)
    assert not [m for m in await _drain(mine, 1.0) if m["type"] == "thread.created"]
    await me.disconnect()
    await mine.disconnect()


async def test_member_consumer_rechecks_the_thread_before_pushing_it(officer, le_mod, le_category):
    await db(services.category_watch_toggle)(user=officer, category=le_category)
    me, connected, _ = await _open(officer, "/ws/me/")
    assert connected
    await _next(me, "notifications")

    def move_out_then_post():
        officer.profile.discipline = Discipline.VICTIM_SERVICES
        officer.profile.save(update_fields=["discipline"])
        make_thread(author=le_mod, category=le_category, title="Undercover schedule")

    await db(move_out_then_post)()
    rest = await _drain(me, 1.0)
    assert "Undercover schedule" not in json.dumps(rest)
    assert not [m for m in rest if m["type"] in ("thread.created", "notification")]
    await me.disconnect()


# --- Access ending while connected closes at once ------------------------------------


async def _thread_socket(user, thread):
    communicator, connected, _ = await _open(user, f"/ws/threads/{thread.pk}/")
    assert connected
    await _next(communicator, "ready")
    return communicator


async def test_member_moved_out_of_the_audience_is_disconnected_at_once(officer, le_mod, le_category):
    thread = await db(make_thread)(author=le_mod, category=le_category)
    socket = await _thread_socket(officer, thread)
    me, _c, _ = await _open(officer, "/ws/me/")

    def move_out():
        officer.profile.discipline = Discipline.VICTIM_SERVICES
        officer.profile.save(update_fields=["discipline"])

    await db(move_out)()  # no event on the thread: the change alone closes it
    assert (await _drain(socket, 1.0))[-1] == {"type": "closed", "code": 4403}
    # The header socket stays: the member still is one.
    assert not [m for m in await _drain(me, 0.3) if m["type"] == "closed"]
    await me.disconnect()


@pytest.mark.parametrize("change", ["deactivate", "suspend", "signed_out_everywhere"])
async def test_deactivated_or_suspended_member_is_disconnected_at_once(
    officer, advocate, mod, category, change
):
    thread = await db(make_thread)(author=officer, category=category)
    socket = await _thread_socket(advocate, thread)
    me, _c, _ = await _open(advocate, "/ws/me/")
    await _next(me, "notifications")

    def act():
        if change == "deactivate":
            connect_services.member_deactivate(user=advocate, by=mod, reason="Left the task force")
        elif change == "suspend":
            services.member_suspend(moderator=mod, user=advocate, reason="Testing")
        else:
            connect_services.sessions_end_all(user=advocate)

    await db(act)()
    closed = (await _drain(socket, 1.0))[-1]
    assert closed["type"] == "closed" and closed["code"] in (4401, 4403)
    header = await _drain(me, 1.0)
    if change == "suspend":
        # Suspended members still read, and are told of the suspension.
        assert not [m for m in header if m["type"] == "closed"]
    else:
        assert header[-1] == {"type": "closed", "code": 4401}


async def test_role_taken_away_closes_a_moderators_category_socket_at_once(officer, category):
    mods_only = await db(Category.objects.create)(
        name="Moderators test", slug="mods-test", allowed_roles=[Role.MODERATOR, Role.ADMINISTRATOR]
    )
    set_role = db(connect_services.member_set_role)
    moderator = await set_role(user=officer, role=Role.MODERATOR, by=officer)
    thread = await db(make_thread)(author=moderator, category=mods_only)
    socket = await _thread_socket(moderator, thread)
    await set_role(user=moderator, role=Role.MEMBER, by=moderator)
    assert (await _drain(socket, 1.0))[-1] == {"type": "closed", "code": 4403}


async def test_narrowed_category_audience_closes_sockets_at_once(officer, advocate, category):
    from forum import live

    thread = await db(make_thread)(author=officer, category=category)
    socket = await _thread_socket(advocate, thread)
    stays = await _thread_socket(officer, thread)

    def narrow():
        Category.objects.filter(pk=category.pk).update(allowed_disciplines=[Discipline.LAW_ENFORCEMENT])
        live.category_access_changed(category.pk)

    await db(narrow)()
    assert (await _drain(socket, 1.0))[-1] == {"type": "closed", "code": 4403}
    assert not [m for m in await _drain(stays, 0.3) if m["type"] == "closed"]
    await stays.disconnect()


async def test_audience_narrowed_in_the_admin_closes_sockets_outside_it_at_once(
    officer, advocate, administrator, category
):
    from django.test import Client

    thread = await db(make_thread)(author=officer, category=category)
    outside = await _thread_socket(advocate, thread)
    inside = await _thread_socket(officer, thread)

    def narrow_in_admin():
        client = Client()
        client.force_login(administrator)
        data = {"name": category.name, "slug": category.slug, "position": "50"}
        response = client.post(
            f"/admin/forum_categories/edit/{category.pk}/",
            {**data, "allowed_disciplines": ["law_enforcement"]},
        )
        assert response.status_code == 302

    await db(narrow_in_admin)()
    assert (await _drain(outside, 1.0))[-1] == {"type": "closed", "code": 4403}
    assert not [m for m in await _drain(inside, 0.3) if m["type"] == "closed"]
    await inside.disconnect()


async def test_moved_thread_follows_its_new_categorys_audience(officer, advocate, mod, category, suggestions):
    from forum import live

    thread = await db(make_thread)(author=officer, category=category)
    socket = await _thread_socket(advocate, thread)
    await db(services.thread_move)(moderator=mod, thread=thread, category=suggestions)
    assert (await _next(socket, "thread.moved"))["type"] == "thread.moved"

    def narrow_new():
        Category.objects.filter(pk=suggestions.pk).update(allowed_disciplines=[Discipline.LAW_ENFORCEMENT])
        live.category_access_changed(suggestions.pk)

    await db(narrow_new)()
    assert (await _drain(socket, 1.0))[-1] == {"type": "closed", "code": 4403}


# --- Close codes a browser can read ---------------------------------------------------


async def test_expired_session_is_accepted_then_closed_4401(officer, category):
    from django.contrib.sessions.backends.db import SessionStore

    thread = await db(make_thread)(author=officer, category=category)
    communicator, connected, _ = await _open(officer, f"/ws/threads/{thread.pk}/")
    await communicator.disconnect()

    def expire():
        session = SessionStore(communicator.session_key)
        session["connect_last_seen"] = time.time() - 31 * 60
        session.save()

    await db(expire)()
    from channels.testing import WebsocketCommunicator

    from connect.asgi import application

    headers = [
        (b"origin", b"http://testserver"),
        (b"host", b"testserver"),
        (b"cookie", f"sessionid={communicator.session_key}".encode()),
    ]
    for path in (f"/ws/threads/{thread.pk}/", "/ws/me/"):
        late = WebsocketCommunicator(application, path, headers=headers)
        assert (await late.connect())[0] is True
        assert (await late.receive_output(3)) == {"type": "websocket.close", "code": 4401}


async def test_suspended_member_thread_socket_is_closed_4403_but_header_socket_opens(
    officer, advocate, mod, category
):
    thread = await db(make_thread)(author=officer, category=category)
    await db(services.member_suspend)(moderator=mod, user=advocate, reason="Testing")
    assert await _close_code(advocate, f"/ws/threads/{thread.pk}/") == 4403
    me, connected, _ = await _open(advocate, "/ws/me/")
    assert connected and (await _next(me, "notifications"))["unread"] == 1
    await me.disconnect()


# --- Pruning -----------------------------------------------------------------------------


def _age_events(thread, days):
    ThreadEvent.objects.filter(thread=thread).update(created_at=timezone.now() - timedelta(days=days))


def test_thread_events_prune_keeps_recent_events_and_the_numbering(officer, advocate, category, settings):
    settings.FORUM_LIVE_EVENT_KEEP_DAYS = 7
    thread = make_thread(author=officer, category=category)
    make_post(author=advocate, thread=thread)
    _age_events(thread, 8)
    make_post(author=advocate, thread=thread)
    assert thread_events_prune(batch=1) == 1
    assert list(ThreadEvent.objects.filter(thread=thread).values_list("sequence", flat=True)) == [2]
    make_post(author=advocate, thread=thread)
    assert Thread.objects.get(pk=thread.pk).event_seq == 3


def test_prune_thread_events_command_and_housekeeping(officer, advocate, category, capsys):
    from connect.tasks import tasks_housekeeping

    thread = make_thread(author=officer, category=category)
    for _ in range(2):
        make_post(author=advocate, thread=thread)
    _age_events(thread, 3)
    call_command("prune_thread_events", "--days", "5")
    assert "Deleted 0 thread event(s) older than 5 day(s)." in capsys.readouterr().out
    call_command("prune_thread_events", "--days", "2")
    assert "Deleted 2 thread event(s)" in capsys.readouterr().out
    make_post(author=advocate, thread=thread)
    _age_events(thread, 31)
    tasks_housekeeping.enqueue()  # the hourly task, run on the spot in tests
    assert not ThreadEvent.objects.filter(thread=thread).exists()


def test_prune_thread_events_refuses_negative_days():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="--days must be 0 or more"):
        call_command("prune_thread_events", "--days", "-1")


async def test_catch_up_past_pruned_events_tells_the_page_to_reload(officer, advocate, category):
    thread = await db(make_thread)(author=officer, category=category)
    for _ in range(3):
        await db(make_post)(author=advocate, thread=thread)
    await db(_age_events)(thread, 40)
    await db(make_post)(author=advocate, thread=thread)
    await db(thread_events_prune)()
    communicator, connected, _ = await _open(officer, f"/ws/threads/{thread.pk}/?since=1")
    assert connected
    message = await _next(communicator, "reload", "post.created")
    assert message == {"type": "reload", "sequence": 4}
    # A page that has everything up to the kept event still catches up normally.
    await communicator.send_json_to({"type": "catch_up", "since": 3})
    assert (await _next(communicator, "reload", "post.created"))["sequence"] == 4
    await communicator.disconnect()


# --- Every change a thread page shows is an event, sent only after commit ---------------


def _setup_for_events(officer, advocate, category, suggestions):
    thread = make_thread(author=officer, category=category, is_question=True)
    idea = make_thread(author=advocate, category=suggestions)
    reply = make_post(author=advocate, thread=thread, body="A reply to act on.")
    return {
        "thread": thread,
        "idea": idea,
        "reply": reply,
        "other": make_thread(author=officer, category=category),
    }


def _hide_then_restore(moderator, post):
    services.post_hide(moderator=moderator, post=post, reason="Checking a name")
    services.post_restore(moderator=moderator, post=post)


ACTIONS = {
    "post.restored": lambda o, a, m, c, s, x: _hide_then_restore(m, x["reply"]),
    "post.created": lambda o, a, m, c, s, x: make_post(author=a, thread=x["thread"]),
    "post.edited": lambda o, a, m, c, s, x: services.post_edit(editor=a, post=x["reply"], body="Edited."),
    "post.hidden": lambda o, a, m, c, s, x: services.post_hide(
        moderator=m, post=x["reply"], reason="Off topic"
    ),
    "post.deleted": lambda o, a, m, c, s, x: services.post_delete(user=a, post=x["reply"]),
    "post.reactions": lambda o, a, m, c, s, x: services.reaction_toggle(
        user=o, post=x["reply"], kind="helpful"
    ),
    "thread.answer": lambda o, a, m, c, s, x: services.answer_accept(
        user=o, thread=x["thread"], post=x["reply"]
    ),
    "thread.locked": lambda o, a, m, c, s, x: services.thread_set_locked(
        moderator=m, thread=x["thread"], locked=True, reason="Done"
    ),
    "thread.pinned": lambda o, a, m, c, s, x: services.thread_set_pinned(
        moderator=m, thread=x["thread"], pinned=True
    ),
    "thread.moved": lambda o, a, m, c, s, x: services.thread_move(
        moderator=m, thread=x["thread"], category=s
    ),
    "thread.merged": lambda o, a, m, c, s, x: services.thread_merge(
        moderator=m, source=x["other"], target=x["thread"]
    ),
    "thread.votes": lambda o, a, m, c, s, x: services.vote_toggle(user=o, thread=x["idea"]),
    "thread.status": lambda o, a, m, c, s, x: services.suggestion_status_set(
        moderator=m, thread=x["idea"], status="planned"
    ),
}


@pytest.mark.parametrize("kind", sorted(ACTIONS))
def test_services_record_each_event_kind_and_broadcast_only_after_commit(
    officer, advocate, mod, category, suggestions, monkeypatch, kind
):
    from django.db import transaction

    from forum import live

    objects = _setup_for_events(officer, advocate, category, suggestions)
    sent = []
    monkeypatch.setattr(live, "broadcast", lambda event: sent.append(event.kind))
    with transaction.atomic():
        ACTIONS[kind](officer, advocate, mod, category, suggestions, objects)
        assert sent == []  # nothing leaves before the change is saved
    assert kind in sent
    assert ThreadEvent.objects.filter(kind=kind).exists()


def test_a_rolled_back_change_broadcasts_nothing(officer, advocate, category, monkeypatch):
    from django.db import transaction

    from forum import live

    thread = make_thread(author=officer, category=category)
    sent = []
    monkeypatch.setattr(live, "broadcast", lambda event: sent.append(event.kind))
    with pytest.raises(RuntimeError), transaction.atomic():
        make_post(author=advocate, thread=thread)
        raise RuntimeError("the request failed after the write")
    assert sent == [] and not ThreadEvent.objects.filter(thread=thread, kind="post.created").exists()


async def test_member_consumer_recheck_sends_what_no_push_brought(
    officer, advocate, category, settings, monkeypatch
):
    """A notification saved by another process on the in-memory layer (the worker)
    never reaches this one's groups; the re-check sends it."""
    from notifications import live as notifications_live

    monkeypatch.setattr(notifications_live, "notifications_created", lambda user_ids: None)
    settings.FORUM_LIVE_RECHECK_SECONDS = 0.3
    thread = await db(make_thread)(author=officer, category=category)
    me, connected, _ = await _open(officer, "/ws/me/")
    assert connected
    await _next(me, "notifications")
    await db(make_post)(author=advocate, thread=thread, body="A reply the push never announced.")
    message = await _next(me, "notification", timeout=5)
    assert message["unread"] == 1 and f"notification-{message['id']}" in message["html"]
    await me.disconnect()


def test_member_send_logs_and_swallows_a_failing_channel_layer(
    officer, advocate, category, monkeypatch, caplog
):
    from channels.layers import get_channel_layer

    async def broken(group, message):
        raise ConnectionError("Redis is down")

    # On the layer object: the pub/sub layer's class has no group_send of its own.
    monkeypatch.setattr(get_channel_layer(), "group_send", broken, raising=False)
    thread = make_thread(author=officer, category=category)
    # The reply notifies the author: the push fails, the notification is saved all the same.
    make_post(author=advocate, thread=thread)
    from notifications.models import Notification

    assert Notification.objects.filter(recipient=officer).count() == 1
    assert "Could not send notification.created to 1 member(s)" in caplog.text
