"""The inbox and a conversation cost the same number of queries however much there is."""

import pytest
from django.test import Client
from django.urls import reverse

from tests.factories import make_member

pytestmark = pytest.mark.django_db

INBOX_QUERIES = 6
CONVERSATION_QUERIES = 9


def _count(client, url):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_inbox_and_conversation_queries_do_not_grow(
    start, send, alice, bob, home_tf, django_assert_num_queries
):
    client = Client()
    client.force_login(bob)
    first = start(alice, [bob])
    # Another conversation left unread, so the header's bell has unread
    # notifications in both measurements (it asks one query fewer when none are).
    start(alice, [bob], subject="Unread elsewhere")
    client.get(reverse("conversations:inbox"))  # warm caches (content types, site settings)
    small_inbox = _count(client, reverse("conversations:inbox"))
    client.get(first.get_absolute_url())  # reading it moves the read mark (a few writes), once
    small_page = _count(client, first.get_absolute_url())
    for i in range(5):
        other = make_member(task_force=home_tf)
        conversation = start(alice, [bob, other], subject=f"Subject {i}")
        for j in range(3):
            send(other, conversation, body=f"Note {j}")
    for j in range(10):
        send(alice, first, body=f"More {j}")
    client.get(reverse("conversations:inbox"))  # the header's cached counts are built again, once
    assert _count(client, reverse("conversations:inbox")) == small_inbox
    client.get(first.get_absolute_url())  # the read mark moves once
    assert _count(client, first.get_absolute_url()) == small_page
    # Pinned: the member's session and membership, the list with its unread
    # counts, and the other participants in one prefetch (the header's two
    # counts are cached per member: connect.fragments).
    with django_assert_num_queries(INBOX_QUERIES):
        client.get(reverse("conversations:inbox"))
    with django_assert_num_queries(CONVERSATION_QUERIES):
        client.get(first.get_absolute_url())
