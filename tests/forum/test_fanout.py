"""Live fan-out in batches: every member of a batch receives exactly what they
would receive alone, and one event costs the same number of queries for three
readers as for thirty."""

import pytest
from django.db import transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext

from connect.models import Discipline, Role
from forum import fanout, live, services
from forum.models import Post, Reaction, Thread, ThreadEvent
from tests.factories import make_member

from .factories import make_post, make_thread

pytestmark = pytest.mark.django_db


def _key(user):
    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


def _held(author, thread, body):
    post = make_post(author=author, thread=thread, body=body)
    Post.objects.filter(pk=post.pk).update(status=Post.Status.HELD)
    with transaction.atomic():
        live.record(Thread.objects.get(pk=thread.pk), live.Kind.POST_EDITED, post_id=post.pk)
    return post


def _alone(user, thread, since):
    """What the member would have received with the socket answered on its own."""
    thread = Thread.objects.select_related("category").get(pk=thread.pk)
    events = list(ThreadEvent.objects.filter(thread=thread, sequence__gt=since).order_by("sequence"))
    html = live.render_posts(user, thread, {e.post_id for e in events if e.post_id})
    return fanout._messages(thread, events, html, None)


def test_deliveries_give_each_member_what_they_would_get_alone(officer, advocate, mod, category):
    thread = make_thread(author=officer, category=category)
    since = Thread.objects.get(pk=thread.pk).event_seq
    reply = make_post(author=advocate, thread=thread, body="Shelter intake hours changed.")
    services.reaction_toggle(user=officer, post=reply, kind=Reaction.Kind.values[0])
    held = _held(advocate, thread, "Names of a victim's relatives, held for review.")
    hidden = make_post(author=officer, thread=thread, body="Taken down by a moderator.")
    services.post_hide(moderator=mod, post=hidden, reason="Off topic")
    others = [make_member(discipline=Discipline.VICTIM_SERVICES) for _ in range(4)]
    readers = [officer, advocate, mod, *others]
    requests = [(u.pk, _key(u), since) for u in readers]

    results = fanout.deliveries(thread.pk, requests)

    for user, request in zip(readers, requests, strict=True):
        status, messages, last = results[request]
        assert status == fanout.OK
        assert last == Thread.objects.get(pk=thread.pk).event_seq
        assert messages == _alone(user, thread, since), user
    text = {u.pk: str(results[r][1]) for u, r in zip(readers, requests, strict=True)}
    # The held post reaches its author and the moderator only; the hidden one's words
    # too (its author sees it marked), the others get the placeholder in its place.
    assert "Names of a victim" in text[advocate.pk] and "Names of a victim" in text[mod.pk]
    assert all("Names of a victim" not in text[u.pk] for u in [officer, *others])
    assert "Taken down by a moderator" in text[mod.pk]
    assert "Taken down by a moderator" in text[officer.pk] and "only you can see this" in text[officer.pk]
    assert all("Taken down by a moderator" not in text[u.pk] for u in [advocate, *others])
    assert all("A post was removed by a moderator" in text[u.pk] for u in [advocate, *others])
    assert "A post was removed by a moderator" not in text[mod.pk]
    assert held.pk and hidden.pk


def test_deliveries_refuse_members_whose_access_ended(officer, advocate, mod, le_category, settings):
    thread = make_thread(author=officer, category=le_category)
    since = Thread.objects.get(pk=thread.pk).event_seq
    make_post(author=officer, thread=thread, body="Warrant served at the motel on Route 9.")
    colleague, suspended, deactivated, expired = (
        make_member(discipline=Discipline.LAW_ENFORCEMENT) for _ in range(4)
    )
    keys = {u.pk: _key(u) for u in [officer, advocate, colleague, suspended, deactivated, expired]}
    services.member_suspend(moderator=make_member(role=Role.MODERATOR), user=suspended, reason="Test", days=3)
    deactivated.is_active = False
    deactivated.save(update_fields=["is_active"])
    from django.contrib.sessions.models import Session

    Session.objects.filter(session_key=keys[expired.pk]).delete()
    requests = {uid: (uid, key, since) for uid, key in keys.items()}
    requests["stolen"] = (colleague.pk, keys[officer.pk], since)  # someone else's session

    results = fanout.deliveries(thread.pk, list(requests.values()))

    assert results[requests[officer.pk]][0] == fanout.OK
    assert results[requests[colleague.pk]][0] == fanout.OK
    assert "Route 9" in str(results[requests[colleague.pk]][1])
    # Outside the audience: the same refusal as a thread that does not exist, and nothing else.
    assert results[requests[advocate.pk]] == (fanout.CLOSE_FORBIDDEN, [], since)
    assert results[requests[suspended.pk]] == (fanout.CLOSE_FORBIDDEN, [], since)
    assert results[requests[deactivated.pk]][0] in (fanout.CLOSE_FORBIDDEN, fanout.CLOSE_SESSION)
    assert results[requests[deactivated.pk]][1] == []
    assert results[requests[expired.pk]] == (fanout.CLOSE_SESSION, [], since)
    assert results[requests["stolen"]] == (fanout.CLOSE_SESSION, [], since)
    assert (
        fanout.deliveries(999999, [requests[officer.pk]])[requests[officer.pk]][0] == fanout.CLOSE_FORBIDDEN
    )


def _count(thread, requests):
    from django.db import connection

    with CaptureQueriesContext(connection) as queries:
        fanout.deliveries(thread.pk, requests)
    return len(queries)


def test_deliveries_cost_the_same_queries_for_three_readers_and_for_thirty(
    officer, mod, category, django_assert_num_queries
):
    thread = make_thread(author=officer, category=category)
    since = Thread.objects.get(pk=thread.pk).event_seq
    make_post(author=officer, thread=thread, body="Two new interpreters for the hotline.")
    few = [mod, *(make_member() for _ in range(2))]
    many = [mod, *(make_member() for _ in range(29))]
    few_requests = [(u.pk, _key(u), since) for u in few]
    many_requests = [(u.pk, _key(u), since) for u in many]
    expected = _count(thread, few_requests)
    with django_assert_num_queries(expected):
        results = fanout.deliveries(thread.pk, many_requests)
    assert all(status == fanout.OK and messages for status, messages, _ in results.values())


def test_deliveries_render_a_post_once_per_signature(officer, mod, category, monkeypatch):
    thread = make_thread(author=officer, category=category)
    since = Thread.objects.get(pk=thread.pk).event_seq
    make_post(author=officer, thread=thread, body="Court dates for next week.")
    readers = [mod, *(make_member() for _ in range(10))]
    calls = []
    real = fanout.forum_post
    monkeypatch.setattr(
        fanout, "forum_post", lambda context, post: calls.append(post.pk) or real(context, post)
    )
    fanout.deliveries(thread.pk, [(u.pk, _key(u), since) for u in readers])
    # Ten members with the same actions share one rendering; the moderator has their own.
    assert len(calls) == 2


def test_presence_lists_read_viewers_once_and_name_at_most_fifty(officer, advocate, le_category):
    thread = make_thread(author=officer, category=le_category)
    viewers = {officer.pk: "Officer Self", advocate.pk: "Advocate Outside"}
    viewers.update({10_000 + n: f"Viewer {n:02d}" for n in range(60)})
    reads = []

    def read(thread_id):
        reads.append(thread_id)
        return viewers

    officer_key, advocate_key = _key(officer), _key(advocate)
    results = fanout.presence_lists(read, thread.pk, [(officer.pk, officer_key), (advocate.pk, advocate_key)])

    assert reads == [thread.pk]
    status, message = results[(officer.pk, officer_key)]
    assert status == fanout.OK and message["count"] == 62
    assert len(message["names"]) == 50 and "Officer Self" not in message["names"]
    # Outside the restricted category's audience: refused, and no names at all.
    assert results[(advocate.pk, advocate_key)] == (fanout.CLOSE_FORBIDDEN, None)


def test_deliveries_read_flags_and_roles_once_until_a_members_access_changes(officer, category):
    from allauth.account.models import EmailAddress
    from allauth.mfa.models import Authenticator

    thread = make_thread(author=officer, category=category)
    since = Thread.objects.get(pk=thread.pk).event_seq
    make_post(author=officer, thread=thread, body="Shelter beds open tonight.")
    readers = [make_member() for _ in range(4)]
    requests = [(u.pk, _key(u), since) for u in readers]
    from django.db import connection

    def tables_read():
        with CaptureQueriesContext(connection) as queries:
            fanout.deliveries(thread.pk, requests)
        sql = " ".join(q["sql"] for q in queries.captured_queries)
        return {t for t in ("account_emailaddress", "mfa_authenticator", "auth_group") if t in sql}

    assert tables_read() == {"account_emailaddress", "mfa_authenticator", "auth_group"}
    # The next event for the same members reads neither their addresses and
    # authenticators nor their roles again.
    assert tables_read() == set()

    demoted, unverified, unenrolled, kept = readers
    demoted.groups.clear()
    address = EmailAddress.objects.get(user=unverified)
    address.verified = False
    address.save()
    for authenticator in Authenticator.objects.filter(user=unenrolled):
        authenticator.delete()

    results = fanout.deliveries(thread.pk, requests)

    assert results[requests[0]] == (fanout.CLOSE_FORBIDDEN, [], since)
    assert results[requests[1]] == (fanout.CLOSE_FORBIDDEN, [], since)
    assert results[requests[2]] == (fanout.CLOSE_FORBIDDEN, [], since)
    assert results[requests[3]][0] == fanout.OK and "Shelter beds" in str(results[requests[3]][1])


def test_deliveries_read_sessions_rows_and_suspensions_afresh_for_the_same_sockets(officer, mod, le_category):
    from django.contrib.sessions.models import Session

    thread = make_thread(author=officer, category=le_category)
    since = Thread.objects.get(pk=thread.pk).event_seq
    make_post(author=officer, thread=thread, body="Interview room booked for Tuesday.")
    signed_out, suspended, deactivated, moved, kept = (
        make_member(discipline=Discipline.LAW_ENFORCEMENT) for _ in range(5)
    )
    readers = [signed_out, suspended, deactivated, moved, kept]
    requests = [(u.pk, _key(u), since) for u in readers]
    assert all(status == fanout.OK for status, _m, _l in fanout.deliveries(thread.pk, requests).values())

    Session.objects.filter(session_key=requests[0][1]).delete()
    services.member_suspend(moderator=mod, user=suspended, reason="Test", days=3)
    # Written past every signal: only the row itself tells.
    type(deactivated).objects.filter(pk=deactivated.pk).update(is_active=False)
    type(moved.profile).objects.filter(pk=moved.profile.pk).update(discipline=Discipline.VICTIM_SERVICES)

    results = fanout.deliveries(thread.pk, requests)

    assert results[requests[0]] == (fanout.CLOSE_SESSION, [], since)
    assert results[requests[1]] == (fanout.CLOSE_FORBIDDEN, [], since)
    assert results[requests[2]][0] in (fanout.CLOSE_FORBIDDEN, fanout.CLOSE_SESSION)
    assert results[requests[3]] == (fanout.CLOSE_FORBIDDEN, [], since)
    assert results[requests[4]][0] == fanout.OK and "Interview room" in str(results[requests[4]][1])


def test_deliveries_share_one_encoded_answer_per_signature(officer, mod, category):
    thread = make_thread(author=officer, category=category)
    since = Thread.objects.get(pk=thread.pk).event_seq
    post = make_post(author=officer, thread=thread, body="Hotline rota for December.")
    readers = [make_member() for _ in range(5)]
    Reaction.objects.create(post=post, user=readers[0], kind=Reaction.Kind.choices[0][0])
    requests = [(u.pk, _key(u), since) for u in [*readers, mod, officer]]

    results = fanout.deliveries_in_category(thread.pk, requests)

    frames = [results[r][1] for r in requests]
    # The four readers with nothing of their own share one encoded list; the one
    # who reacted, the moderator and the author each get theirs, as alone.
    assert all(frames[i] is frames[1] for i in range(2, 5))
    assert len({id(f) for f in frames}) == 4
    for user, request in zip([*readers, mod, officer], requests, strict=True):
        alone = fanout.encode_messages({request: (fanout.OK, _alone(user, thread, since), 0)})[request][1]
        assert [text for _seq, text in results[request][1]] == [text for _seq, text in alone], user
