"""The composer's preview endpoint, the index's "New thread" chooser and the
names beside reactions, through the real views and database."""

import pytest
from django.test import Client
from django.urls import reverse

from forum import services
from forum.models import Reaction
from forum.rendering import MAX_SOURCE_CHARS
from tests.factories import make_member

from .factories import make_category, make_post

pytestmark = pytest.mark.django_db

PREVIEW = "/discussions/preview/"
BODY = (
    "**Intake** checklist:\n\n- ask _gently_\n\n> quoted\n\n"
    "<script>alert(1)</script> [site](javascript:alert(1))"
)


def test_post_preview_renders_what_posting_would_store(client_for, officer, thread):
    response = client_for(officer).post(PREVIEW, {"body": BODY})
    assert response.status_code == 200
    html = response.json()["html"]
    post = make_post(author=officer, thread=thread, body=BODY)
    assert html == post.body_html
    assert "<strong>Intake</strong>" in html and "<blockquote>" in html
    assert "<script" not in html and 'href="javascript' not in html


def test_post_preview_refuses_an_oversized_body_with_the_form_message(client_for, officer):
    response = client_for(officer).post(PREVIEW, {"body": "a" * (MAX_SOURCE_CHARS + 1)})
    assert response.status_code == 400
    assert "the limit is" in response.json()["error"]
    assert "html" not in response.json()


def test_post_preview_refuses_an_empty_body(client_for, officer):
    response = client_for(officer).post(PREVIEW, {"body": "   "})
    assert response.status_code == 400
    assert response.json()["error"].startswith("Write something")


def test_post_preview_only_answers_posts(client_for, officer):
    assert client_for(officer).get(PREVIEW, {"body": "hi"}).status_code == 405


def test_post_preview_requires_the_csrf_token(officer):
    client = Client(enforce_csrf_checks=True)
    client.force_login(officer)
    assert client.post(PREVIEW, {"body": "hi"}).status_code == 403


def test_post_preview_is_for_members_only(client):
    response = client.post(PREVIEW, {"body": "**hi**"})
    assert response.status_code in (302, 404)
    assert b"<strong>" not in response.content


def test_post_preview_is_not_for_suspended_members(client_for, officer, mod):
    services.member_suspend(moderator=mod, user=officer, reason="Repeated off-topic posts.")
    assert client_for(officer).post(PREVIEW, {"body": "hi"}).status_code == 404


def test_post_preview_is_rate_limited(client_for, officer, settings):
    settings.CONNECT_PREVIEW_RATE_LIMITS = ((2, 60),)
    client = client_for(officer)
    assert client.post(PREVIEW, {"body": "one"}).status_code == 200
    assert client.post(PREVIEW, {"body": "two"}).status_code == 200
    refused = client.post(PREVIEW, {"body": "three"})
    assert refused.status_code == 400 and "Too many previews" in refused.json()["error"]


def test_composer_forms_carry_the_preview_endpoint(client_for, officer, thread):
    client = client_for(officer)
    for url in (
        thread.get_absolute_url(),
        reverse("forum:reply", kwargs={"pk": thread.pk}),
        reverse("forum:thread_create", kwargs={"slug": thread.category.slug}),
        reverse("forum:post_edit", kwargs={"pk": thread.first_post_id}),
    ):
        page = client.get(url).content.decode()
        assert f'data-composer="{PREVIEW}"' in page, url
        assert "js/composer" in page, url


def test_thread_start_lists_the_categories_the_member_may_start_in(client_for, officer, advocate, category):
    le_only = make_category(name="LE only chooser", slug="le-only-chooser", disciplines=["law_enforcement"])
    make_category(name="Old archive", slug="old-archive", is_archived=True)
    page = client_for(officer).get("/discussions/new/").content.decode()
    assert reverse("forum:thread_create", kwargs={"slug": category.slug}) in page
    assert reverse("forum:thread_create", kwargs={"slug": le_only.slug}) in page
    assert "old-archive" not in page
    page = client_for(advocate).get("/discussions/new/").content.decode()
    assert reverse("forum:thread_create", kwargs={"slug": category.slug}) in page
    assert "le-only-chooser" not in page


def test_discussions_index_links_to_new_thread(client_for, officer, category):
    assert 'href="/discussions/new/"' in client_for(officer).get("/discussions/").content.decode()


def test_thread_page_names_who_reacted_and_counts_deactivated_accounts(client_for, officer, thread):
    fan = make_member(first_name="Avery", last_name="Quinlan-Moss")
    gone = make_member(first_name="Former", last_name="Memberson")
    post = thread.first_post
    services.reaction_toggle(user=fan, post=post, kind=Reaction.Kind.HELPFUL)
    services.reaction_toggle(user=gone, post=post, kind=Reaction.Kind.HELPFUL)
    gone.is_active = False
    gone.save(update_fields=["is_active"])

    page = client_for(officer).get(thread.get_absolute_url()).content.decode()
    assert "Helpful · 2" in page
    assert f'aria-describedby="post-{post.pk}-helpful-who"' in page
    assert f"Found helpful by {fan.display_name} and 1 other" in page
    assert "Memberson" not in page


def test_reaction_names_reach_live_updates(officer, thread):
    from forum import live

    fan = make_member(first_name="Robin", last_name="Ashgrove-Tate")
    services.reaction_toggle(user=fan, post=thread.first_post, kind=Reaction.Kind.THANKS)
    html = live.render_posts(officer, thread, [thread.first_post_id])[thread.first_post_id]
    assert "Thanks · 1" in html and f"Thanked by {fan.display_name}" in html
