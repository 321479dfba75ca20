"""The error page says what happened to what the member submitted."""

import pytest
from django.db import OperationalError
from django.test import Client, RequestFactory

from connect.errors import server_error
from forum import events, services, views
from forum.models import Post
from tests.forum.factories import make_category, make_thread

BODY = "A reply about the intake checklist that must not be lost."


@pytest.fixture
def thread(member):
    return make_thread(author=member, category=make_category(name="Errors", slug="errors"))


@pytest.fixture
def quiet_client(member_client):
    member_client.raise_request_exception = False
    return member_client


def _reply(client, thread):
    return client.post(
        f"/discussions/t/{thread.pk}/reply/",
        {"body": BODY, "submission_token": "a" * 32},
        HTTP_REFERER=f"http://testserver/discussions/t/{thread.pk}/",
    )


@pytest.mark.django_db(transaction=True)
def test_server_error_after_commit_says_the_reply_was_saved(quiet_client, thread, monkeypatch):
    def broken_redirect(**kwargs):
        raise RuntimeError("the redirect could not be built")

    monkeypatch.setattr(views, "post_url", broken_redirect)

    response = _reply(quiet_client, thread)

    page = response.content.decode()
    assert response.status_code == 500
    assert Post.objects.filter(thread=thread, body=BODY).exists()
    assert "was saved" in page
    assert "Please do not send it again" in page
    assert "Nothing you submitted was shared" not in page
    assert "not saved" not in page


@pytest.mark.django_db(transaction=True)
def test_server_error_inside_the_transaction_says_nothing_was_saved_and_keeps_the_text(
    quiet_client, thread, monkeypatch
):
    def broken_side_effect(*args, **kwargs):
        raise RuntimeError("failed before commit")

    monkeypatch.setattr(events, "post_saved", broken_side_effect)

    response = _reply(quiet_client, thread)

    page = response.content.decode()
    assert response.status_code == 500
    assert not Post.objects.filter(body=BODY).exists()
    assert "was not saved" in page
    assert BODY in page
    assert f'href="http://testserver/discussions/t/{thread.pk}/"' in page


@pytest.mark.django_db(transaction=True)
def test_server_error_when_the_database_fails_mid_write_says_it_cannot_tell(
    quiet_client, thread, monkeypatch
):
    def dropped_connection(thread):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(services.posts, "refresh_thread", dropped_connection)

    response = _reply(quiet_client, thread)

    page = response.content.decode()
    assert response.status_code == 500
    assert "cannot tell whether it was saved" in page
    assert BODY in page


@pytest.mark.django_db(transaction=True)
def test_resending_after_an_error_after_commit_posts_once(quiet_client, thread, monkeypatch):
    monkeypatch.setattr(views, "post_url", lambda **kwargs: (_ for _ in ()).throw(RuntimeError("boom")))
    _reply(quiet_client, thread)
    monkeypatch.undo()

    response = _reply(quiet_client, thread)

    assert response.status_code == 302
    assert Post.objects.filter(thread=thread, body=BODY).count() == 1


def test_server_error_on_a_page_view_does_not_talk_about_submissions():
    response = server_error(RequestFactory().get("/"))

    page = response.content.decode()
    assert response.status_code == 500
    assert "saved" not in page
    assert "try again" in page


def test_server_error_before_the_view_ran_says_the_submission_was_not_saved():
    # A middleware failed (it lost its database connection loading the
    # session, say): the view never ran, so nothing was written.
    response = server_error(RequestFactory().post("/discussions/t/1/reply/", {"body": BODY}))

    page = response.content.decode()
    assert response.status_code == 500
    assert "was not saved" in page
    assert BODY in page


# --- CSRF ---------------------------------------------------------------------


@pytest.fixture
def csrf_client(member):
    client = Client(enforce_csrf_checks=True)
    client.force_login(member)
    return client


@pytest.mark.django_db
def test_csrf_failure_page_is_our_own_and_keeps_the_text(csrf_client, thread):
    response = csrf_client.post(
        f"/discussions/t/{thread.pk}/reply/",
        {"body": BODY, "csrfmiddlewaretoken": "stale" * 8},
        HTTP_ORIGIN="http://testserver",
        HTTP_REFERER=f"http://testserver/discussions/t/{thread.pk}/",
    )

    page = response.content.decode()
    assert response.status_code == 403
    assert "The form could not be sent" in page
    assert "signed out" in page
    assert BODY in page
    assert "Task Force Connect" in page
    assert not Post.objects.filter(body=BODY).exists()


@pytest.mark.django_db
def test_csrf_failure_page_does_not_echo_a_form_sent_from_another_site(csrf_client, thread):
    response = csrf_client.post(
        f"/discussions/t/{thread.pk}/reply/",
        {"body": "<b>planted by another site</b>"},
        HTTP_ORIGIN="https://attacker.example",
    )

    page = response.content.decode()
    assert response.status_code == 403
    assert "The form could not be sent" in page
    assert "planted by another site" not in page


@pytest.mark.django_db
def test_csrf_failure_page_never_echoes_passwords(thread):
    client = Client(enforce_csrf_checks=True)

    response = client.post(
        "/accounts/login/",
        {"login": "x@y.example", "password": "secret-passphrase-123"},
        HTTP_ORIGIN="http://testserver",
    )

    assert response.status_code == 403
    assert "secret-passphrase-123" not in response.content.decode()


# --- Long URLs ----------------------------------------------------------------


@pytest.mark.django_db
def test_overlong_url_is_answered_414_with_a_clear_page(member_client):
    response = member_client.get("/discussions/?q=" + "a" * 20_000)

    assert response.status_code == 414
    assert "This address is too long" in response.content.decode()


@pytest.mark.django_db
def test_overlong_path_is_answered_414_even_when_signed_out(client):
    response = client.get("/" + "x" * 20_000 + "/")

    assert response.status_code == 414


@pytest.mark.django_db
def test_url_under_the_limit_is_served_as_usual(member_client):
    response = member_client.get("/discussions/?q=" + "a" * 10_000)

    assert response.status_code == 200
