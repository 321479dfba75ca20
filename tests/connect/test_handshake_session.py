"""A socket lets go of the session data its handshake decoded (connect.consumers)."""

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.utils.functional import LazyObject

from connect.consumers import release_handshake_session

pytestmark = pytest.mark.django_db


def _scope_with(store):
    # As channels' session middleware builds it: the store behind a lazy object.
    session = LazyObject()
    session._wrapped = store
    return {"session": session}


def _saved_session():
    store = SessionStore()
    store["_auth_user_id"] = "7"
    store["connect_last_seen"] = 1.0
    store.save()
    store = SessionStore(session_key=store.session_key)
    assert store["_auth_user_id"] == "7"  # decoded, as the handshake's checks do
    return store


def test_the_decoded_data_is_let_go_and_the_key_kept():
    store = _saved_session()
    key = store.session_key
    release_handshake_session(_scope_with(store))
    assert "_session_cache" not in vars(store)
    assert store.session_key == key
    assert not store.modified
    # Channels' wrapper asks only this of a socket's session when it sends.
    assert store.is_empty() is False


def test_a_modified_session_keeps_its_data_for_the_save():
    store = _saved_session()
    store["connect_last_seen"] = 2.0
    release_handshake_session(_scope_with(store))
    assert vars(store)["_session_cache"]["connect_last_seen"] == 2.0


def test_a_scope_without_a_usable_session_is_left_alone():
    release_handshake_session({})
    release_handshake_session({"session": LazyObject()})  # never set up
    store = SessionStore()  # no key: nothing in the database to read again
    store["x"] = 1
    store.modified = False
    release_handshake_session(_scope_with(store))
    assert vars(store)["_session_cache"] == {"x": 1}
