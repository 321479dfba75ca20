"""Writes: validation, double submissions, locks, edits, deletes, reactions, votes."""

import pytest

from connect.models import AuditEvent
from forum import permissions, services
from forum.models import Post, PostRevision, Reaction, Thread, Vote
from forum.rendering import MAX_SOURCE_CHARS
from tests.factories import make_member

from .factories import make_post, make_thread

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("body", ["", "   ", "\n\t \n"])
def test_post_create_refuses_empty_body(officer, thread, body):
    with pytest.raises(services.ForumError) as exc:
        services.post_create(author=officer, thread=thread, body=body)
    assert exc.value.field == "body"
    assert Post.objects.filter(thread=thread).count() == 1


def test_post_create_refuses_body_over_limit(officer, thread):
    with pytest.raises(services.ForumError) as exc:
        services.post_create(author=officer, thread=thread, body="a" * (MAX_SOURCE_CHARS + 1))
    assert "50,000" in exc.value.message


def test_post_create_refuses_markdown_built_to_explode(officer, thread):
    with pytest.raises(services.ForumError) as exc:
        services.post_create(author=officer, thread=thread, body=">" * 5000 + " deep")
    assert "nests" in exc.value.message


def test_thread_create_refuses_title_over_200(officer, category):
    with pytest.raises(services.ForumError) as exc:
        make_thread(author=officer, category=category, title="t" * 201)
    assert exc.value.field == "title"
    assert not Thread.objects.exists()


def test_thread_create_sets_counters_and_watch(officer, category):
    thread = make_thread(author=officer, category=category, tags=["Labor", "MOU", "labor"])
    assert thread.first_post_id == thread.last_post_id
    assert thread.reply_count == 0
    assert sorted(thread.tags.names()) == ["labor", "mou"]
    assert thread.subscriptions.filter(user=officer, level="watching").exists()


def test_post_create_same_submission_token_creates_one_post(officer, advocate, thread):
    first = services.post_create(author=advocate, thread=thread, body="Hello", submission_token="tok-1")
    second = services.post_create(author=advocate, thread=thread, body="Hello", submission_token="tok-1")
    assert first.pk == second.pk
    thread.refresh_from_db()
    assert thread.reply_count == 1


def test_thread_create_same_submission_token_creates_one_thread(officer, category):
    a = make_thread(author=officer, category=category, submission_token="tok-2")
    b = make_thread(author=officer, category=category, submission_token="tok-2")
    assert a.pk == b.pk
    assert Thread.objects.count() == 1


def test_post_create_refuses_locked_thread(officer, advocate, mod, thread):
    services.thread_set_locked(moderator=mod, thread=thread, locked=True, reason="Resolved")
    with pytest.raises(services.ForumError) as exc:
        services.post_create(author=advocate, thread=thread, body="Late reply")
    assert "locked" in exc.value.message
    # Moderators may still reply in a locked thread.
    services.post_create(author=mod, thread=thread, body="Closing note")


def test_post_create_refuses_hidden_category(officer, advocate, le_category):
    thread = make_thread(author=officer, category=le_category)
    with pytest.raises(services.NotAllowed):
        services.post_create(author=advocate, thread=thread, body="I should not be here")


def test_post_edit_keeps_revisions_and_marks_edited(officer, thread):
    post = thread.first_post
    services.post_edit(editor=officer, post=post, body="Updated text", title="New title")
    post.refresh_from_db()
    thread.refresh_from_db()
    assert post.edited_at is not None
    assert post.body == "Updated text"
    assert thread.title == "New title"
    revision = PostRevision.objects.get(post=post)
    assert revision.body == "A first post about protocols."
    assert revision.title == "Screening questions"


def test_post_edit_refuses_someone_elses_post(advocate, thread):
    with pytest.raises(services.ForumError):
        services.post_edit(editor=advocate, post=thread.first_post, body="Hijacked")
    assert Post.objects.get(pk=thread.first_post_id).body == "A first post about protocols."


def test_post_delete_is_soft_and_restorable(officer, advocate, mod, thread):
    reply = make_post(author=advocate, thread=thread)
    services.post_delete(user=advocate, post=reply)
    reply.refresh_from_db()
    thread.refresh_from_db()
    assert reply.status == Post.Status.HIDDEN
    assert thread.reply_count == 0
    services.post_restore(moderator=mod, post=reply)
    thread.refresh_from_db()
    assert thread.reply_count == 1
    assert AuditEvent.objects.filter(action="forum.post_restore").exists()


def test_post_delete_by_other_member_is_refused(officer, advocate, thread):
    with pytest.raises(services.NotAllowed):
        services.post_delete(user=advocate, post=thread.first_post)


def test_deleting_first_post_hides_thread(officer, advocate, thread):
    services.post_delete(user=officer, post=thread.first_post)
    thread.refresh_from_db()
    assert thread.is_hidden
    with pytest.raises(services.NotAllowed):
        services.post_create(author=advocate, thread=thread, body="Anyone?")


def test_reaction_toggle_adds_and_removes(officer, advocate, thread):
    post = thread.first_post
    assert services.reaction_toggle(user=advocate, post=post, kind="helpful") is True
    assert Post.objects.get(pk=post.pk).helpful_count == 1
    assert services.reaction_toggle(user=advocate, post=post, kind="helpful") is False
    assert Post.objects.get(pk=post.pk).helpful_count == 0
    assert not Reaction.objects.exists()


def test_reaction_to_own_post_is_refused(officer, thread):
    with pytest.raises(services.ForumError):
        services.reaction_toggle(user=officer, post=thread.first_post, kind="thanks")


def test_vote_toggle_counts_votes(officer, advocate, suggestions):
    thread = make_thread(author=officer, category=suggestions)
    assert services.vote_toggle(user=advocate, thread=thread)
    assert Thread.objects.get(pk=thread.pk).vote_count == 1
    assert not services.vote_toggle(user=advocate, thread=thread)
    assert Thread.objects.get(pk=thread.pk).vote_count == 0
    assert not Vote.objects.exists()


def test_vote_outside_suggestions_is_refused(officer, advocate, thread):
    with pytest.raises(services.ForumError):
        services.vote_toggle(user=advocate, thread=thread)


def test_answer_accept_only_by_asker(officer, advocate, category):
    question = make_thread(author=officer, category=category, is_question=True)
    answer = make_post(author=advocate, thread=question)
    with pytest.raises(services.ForumError):
        services.answer_accept(user=advocate, thread=question, post=answer)
    services.answer_accept(user=officer, thread=question, post=answer)
    assert Thread.objects.get(pk=question.pk).accepted_answer_id == answer.pk


def test_suspended_member_cannot_post(officer, advocate, mod, thread):
    services.member_suspend(moderator=mod, user=advocate, reason="Repeated off-topic posts", days=3)
    with pytest.raises(services.ForumError) as exc:
        services.post_create(author=advocate, thread=thread, body="Hello")
    assert "suspended" in exc.value.message


def test_privacy_guard_raises_with_findings(officer, thread):
    body = "The victim, Maria Lopez, called from 614-555-0199."
    with pytest.raises(services.PrivacyCheckRequired) as exc:
        services.post_create(author=officer, thread=thread, body=body)
    kinds = {f["kind"] for f in exc.value.findings}
    assert {"phone", "named_person"} <= kinds
    assert Post.objects.filter(thread=thread).count() == 1


def test_privacy_guard_confirmed_post_is_held(officer, advocate, thread):
    body = "Call the survivor's cell at 614-555-0199."
    post = services.post_create(author=officer, thread=thread, body=body, confirm_privacy=True)
    assert post.status == Post.Status.HELD
    assert post.privacy_findings
    thread.refresh_from_db()
    assert thread.reply_count == 0


def test_privacy_guard_allows_ordinary_discussion(officer, thread):
    body = "Our victim services partners cited United States v. Kozminski at the training."
    post = services.post_create(author=officer, thread=thread, body=body)
    assert post.status == Post.Status.VISIBLE


def test_privacy_guard_reports_a_members_email_like_any_other(officer, advocate, thread):
    # Allowing it would tell the writer the address belongs to an active member.
    with pytest.raises(services.PrivacyCheckRequired):
        services.post_create(author=officer, thread=thread, body=f"Write to {advocate.email} for the MOU.")


def test_privacy_guard_allows_the_authors_own_email(officer, thread):
    post = services.post_create(author=officer, thread=thread, body=f"Write to me at {officer.email}.")
    assert post.status == Post.Status.VISIBLE


def test_privacy_guard_runs_on_edits(officer, thread):
    with pytest.raises(services.PrivacyCheckRequired):
        services.post_edit(editor=officer, post=thread.first_post, body="SSN 123-45-6789")


def test_confirmed_edits_are_held_whoever_edits(officer, mod, thread):
    reply = make_post(author=mod, thread=thread, body="Nothing sensitive")
    services.post_edit(editor=mod, post=reply, body="SSN 123-45-6789", confirm_privacy=True)
    reply.refresh_from_db()
    assert reply.status == Post.Status.HELD
    assert not permissions.visible_posts(officer).filter(pk=reply.pk).exists()


def test_handle_for_is_unique(db):
    a = make_member(first_name="Sam", last_name="Lee")
    b = make_member(first_name="Sam", last_name="Lee")
    a.profile.display_name = b.profile.display_name = "Sam Lee"
    assert services.handle_for(a) != services.handle_for(b)
