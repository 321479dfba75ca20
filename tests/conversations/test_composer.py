"""The private-message composer's preview endpoint, through the real views and
database: the same renderer as sending, only for members who may send, behind
the CSRF check and a rate limit."""

import pytest
from django.test import Client
from django.urls import reverse

from conversations.models import Message
from conversations.rendering import MAX_SOURCE_CHARS

pytestmark = pytest.mark.django_db

PREVIEW = "/messages/preview/"
BODY = (
    "**Intake** checklist:\n\n- ask _gently_\n\n> quoted\n\n"
    "<script>alert(1)</script> [site](javascript:alert(1)) ![map](https://tracker.example/pixel.png)"
)


def test_message_preview_renders_what_sending_would_store(client_for, alice, bob, start):
    response = client_for(alice).post(PREVIEW, {"body": BODY})
    assert response.status_code == 200
    html = response.json()["html"]
    conversation = start(alice, [bob], body=BODY)
    sent = conversation.messages.get(kind=Message.Kind.TEXT)
    assert html == sent.body_html
    assert "<strong>Intake</strong>" in html and "<blockquote>" in html
    assert "<script" not in html and 'href="javascript' not in html
    # Images stay links in a message, so no other server learns who read it.
    assert "<img" not in html


def test_message_preview_stores_nothing(client_for, alice):
    assert client_for(alice).post(PREVIEW, {"body": "Just looking"}).status_code == 200
    assert not Message.objects.exists()


def test_message_preview_refuses_an_oversized_body_with_the_form_message(client_for, alice):
    response = client_for(alice).post(PREVIEW, {"body": "a" * (MAX_SOURCE_CHARS + 1)})
    assert response.status_code == 400
    assert "the limit is" in response.json()["error"]
    assert "html" not in response.json()


def test_message_preview_refuses_an_empty_body(client_for, alice):
    response = client_for(alice).post(PREVIEW, {"body": "   "})
    assert response.status_code == 400
    assert response.json()["error"].startswith("Write something")


def test_message_preview_only_answers_posts(client_for, alice):
    assert client_for(alice).get(PREVIEW, {"body": "hi"}).status_code == 405


def test_message_preview_requires_the_csrf_token(alice):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    assert client.post(PREVIEW, {"body": "hi"}).status_code == 403


def test_message_preview_is_for_members_only(client):
    response = client.post(PREVIEW, {"body": "**hi**"})
    assert response.status_code in (302, 404)
    assert b"<strong>" not in response.content


def test_message_preview_is_not_for_members_who_may_not_send(client_for, alice, bob, mod):
    from forum.models import Suspension

    Suspension.objects.create(user=bob, reason="Spam", created_by=mod)
    response = client_for(bob).post(PREVIEW, {"body": "**hi**"})
    assert response.status_code == 404
    assert b"<strong>" not in response.content


def test_message_preview_is_rate_limited(client_for, alice, settings):
    settings.CONVERSATIONS_PREVIEW_RATE_LIMITS = ((2, 60),)
    client = client_for(alice)
    assert client.post(PREVIEW, {"body": "one"}).status_code == 200
    assert client.post(PREVIEW, {"body": "two"}).status_code == 200
    refused = client.post(PREVIEW, {"body": "three"})
    assert refused.status_code == 400 and "Too many previews" in refused.json()["error"]


def test_message_composers_carry_the_preview_endpoint(client_for, alice, bob, start):
    conversation = start(alice, [bob])
    client = client_for(alice)
    for url in (conversation.get_absolute_url(), f"{reverse('conversations:start')}?to={bob.pk}"):
        page = client.get(url).content.decode()
        assert f'data-composer="{PREVIEW}"' in page, url
        assert "js/composer" in page, url
