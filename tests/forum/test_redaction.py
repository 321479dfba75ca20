"""A moderator redacts a passage or a revision of a post: gone from every place it was kept."""

import pytest
from django.urls import reverse

from connect.models import AuditEvent
from forum import services
from forum.models import Flag, Post, PostRevision
from notifications.models import Notification

from .factories import make_post

pytestmark = pytest.mark.django_db

SECRET = "Xiomarita Quellhorst"


@pytest.fixture
def edited_reply(officer, advocate, mod, thread, django_capture_on_commit_callbacks):
    """A reply that named a victim (confirmed, held, approved), then was edited to remove the name."""
    with django_capture_on_commit_callbacks(execute=True):
        post = make_post(
            author=advocate,
            thread=thread,
            body=f"The victim, {SECRET}, needs a Mam interpreter.",
            confirm_privacy=True,
        )
        services.post_approve(moderator=mod, post=post)
        services.post_edit(editor=advocate, post=post, body="The victim needs a Mam interpreter.")
        Flag.objects.create(post=post, reporter=officer, reason="privacy", details=f"It names {SECRET}.")
    return Post.objects.get(pk=post.pk)


def _search(client, query):
    return client.get("/search/", {"q": query}).content.decode()


def test_post_redact_removes_a_passage_everywhere_it_was_kept(
    client_for, mod, advocate, edited_reply, django_capture_on_commit_callbacks
):
    Notification.objects.create(
        recipient=advocate, kind="forum.moderation", target=edited_reply, message=f"about {SECRET}"
    )
    assert any(SECRET in f["text"] for f in edited_reply.privacy_findings)

    with django_capture_on_commit_callbacks(execute=True):
        services.post_redact(actor=mod, post=edited_reply, passage=SECRET)

    post = Post.objects.get(pk=edited_reply.pk)
    assert SECRET not in str(post.privacy_findings)
    assert "[redacted by a moderator]" in str(post.privacy_findings)
    revision = PostRevision.objects.get(post=post)
    assert SECRET not in revision.body and "[redacted by a moderator]" in revision.body
    assert SECRET not in Flag.objects.get(post=post).details
    assert not Notification.objects.filter(message__contains=SECRET).exists()
    event = AuditEvent.objects.get(action="forum.post_redact")
    assert SECRET not in str(event.detail) and "Xiomarita" not in event.target_repr
    history = client_for(mod).get(reverse("forum:post_history", args=[post.pk])).content.decode()
    assert SECRET not in history


def test_post_redact_reindexes_the_post_for_search(
    client_for, mod, advocate, thread, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        post = make_post(author=advocate, thread=thread, body="Ask about the Quellhorstian protocol here.")
    assert f"/discussions/p/{post.pk}/" in _search(client_for(advocate), "Quellhorstian")

    with django_capture_on_commit_callbacks(execute=True):
        services.post_redact(actor=mod, post=post, passage="Quellhorstian protocol")

    assert "[redacted by a moderator]" in Post.objects.get(pk=post.pk).body
    assert f"/discussions/p/{post.pk}/" not in _search(client_for(advocate), "Quellhorstian")


def test_post_redact_replaces_one_whole_revision(mod, edited_reply):
    revision = PostRevision.objects.get(post=edited_reply)

    services.post_redact(actor=mod, post=edited_reply, revision=revision)

    assert PostRevision.objects.get(pk=revision.pk).body == "[redacted by a moderator]"
    assert SECRET not in str(Post.objects.get(pk=edited_reply.pk).privacy_findings)
    assert Post.objects.get(pk=edited_reply.pk).body == "The victim needs a Mam interpreter."


def test_post_redact_refuses_a_passage_that_is_not_there(mod, edited_reply):
    with pytest.raises(services.ForumError, match="not in the post or its history"):
        services.post_redact(actor=mod, post=edited_reply, passage="nothing like this")


def test_post_redact_is_for_moderators_of_the_category_only(officer, advocate, edited_reply):
    for user in (officer, advocate):
        with pytest.raises(services.NotAllowed):
            services.post_redact(actor=user, post=edited_reply, passage=SECRET)


def test_redact_view_is_a_404_for_members_and_works_for_moderators(client_for, advocate, mod, edited_reply):
    url = reverse("forum:post_redact", args=[edited_reply.pk])
    assert client_for(advocate).get(url).status_code == 404
    assert client_for(advocate).post(url, {"passage": SECRET}).status_code == 404

    page = client_for(mod).get(url)
    assert page.status_code == 200 and 'for="id_passage"' in page.content.decode()
    response = client_for(mod).post(url, {"passage": SECRET})

    assert response.status_code == 302
    assert SECRET not in PostRevision.objects.get(post=edited_reply).body


def test_redact_view_explains_a_missing_passage(client_for, mod, edited_reply):
    url = reverse("forum:post_redact", args=[edited_reply.pk])

    response = client_for(mod).post(url, {"passage": "not there at all"})

    assert response.status_code == 400
    assert "not in the post or its history" in response.content.decode()
