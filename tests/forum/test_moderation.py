"""Moderator actions: each writes an audit event and tells the affected author why."""

import pytest
from django.urls import reverse

from connect.models import AuditEvent
from forum import services
from forum.models import Flag, Post, Suspension, Thread
from notifications.models import Notification

from .factories import make_category, make_post, make_thread

pytestmark = pytest.mark.django_db


def told(user, text):
    return Notification.objects.filter(recipient=user, kind="moderation", message__icontains=text).exists()


def test_flag_then_hide_from_queue(client_for, officer, advocate, mod, thread, commit):
    reply = commit(make_post, author=advocate, thread=thread, body="Questionable reply")
    client = client_for(officer)
    response = client.post(reverse("forum:post_flag", args=[reply.pk]), {"reason": "inappropriate"})
    assert response.status_code == 302
    assert Flag.objects.filter(post=reply, resolution="").count() == 1
    mod_client = client_for(mod)
    queue = mod_client.get(reverse("forum_admin:queue"))
    assert queue.status_code == 200
    assert "Questionable reply" in queue.content.decode()
    with_commit = mod_client.post(reverse("forum_admin:post_hide", args=[reply.pk]), {"reason": "Off topic"})
    assert with_commit.status_code == 302
    reply.refresh_from_db()
    assert reply.status == Post.Status.HIDDEN
    assert Flag.objects.get(post=reply).resolution == "hidden"
    assert AuditEvent.objects.filter(action="forum.post_hide", target_id=str(reply.pk)).exists()


def test_hide_tells_author_why(advocate, mod, thread, commit):
    reply = commit(make_post, author=advocate, thread=thread)
    commit(services.post_hide, moderator=mod, post=reply, reason="Contains a plate number")
    assert told(advocate, "Contains a plate number")


def test_queue_is_404_for_members(client_for, officer):
    assert client_for(officer).get(reverse("forum_admin:queue")).status_code in (302, 404)


def test_approve_held_post_makes_it_visible(officer, mod, thread, commit):
    post = commit(
        make_post, author=officer, thread=thread, body="Her DOB is 04/12/2009", confirm_privacy=True
    )
    assert post.status == Post.Status.HELD
    commit(services.post_approve, moderator=mod, post=post)
    post.refresh_from_db()
    assert post.status == Post.Status.VISIBLE
    assert AuditEvent.objects.filter(action="forum.post_approve").exists()
    assert told(officer, "approved")


def test_held_post_visible_to_author_and_moderator_only(client_for, officer, advocate, mod, thread, commit):
    post = commit(
        make_post, author=officer, thread=thread, body="Plate ABC1234 on the van", confirm_privacy=True
    )
    url = reverse("forum:thread", args=[thread.pk])
    assert "ABC1234" in client_for(officer).get(url).content.decode()
    assert "ABC1234" in client_for(mod).get(url).content.decode()
    assert "ABC1234" not in client_for(advocate).get(url).content.decode()
    assert client_for(advocate).get(reverse("forum:post", args=[post.pk])).status_code == 404


def test_lock_pin_and_unlock(officer, mod, thread, commit):
    commit(services.thread_set_locked, moderator=mod, thread=thread, locked=True, reason="Resolved")
    commit(services.thread_set_pinned, moderator=mod, thread=thread, pinned=True)
    thread.refresh_from_db()
    assert thread.is_locked and thread.is_pinned
    assert told(officer, "locked your thread: Resolved")
    assert AuditEvent.objects.filter(action="forum.thread_lock").exists()
    assert AuditEvent.objects.filter(action="forum.thread_pin").exists()
    assert told(officer, "pinned your thread")
    commit(services.thread_set_locked, moderator=mod, thread=thread, locked=False)
    assert AuditEvent.objects.filter(action="forum.thread_unlock").exists()


def test_locking_a_thread_needs_a_reason(client_for, officer, mod, thread):
    with pytest.raises(services.ForumError):
        services.thread_set_locked(moderator=mod, thread=thread, locked=True, reason="  ")
    client = client_for(mod)
    response = client.post(
        reverse("forum:thread_moderate", args=[thread.pk]), {"action": "lock"}, follow=True
    )
    assert "why the thread is locked" in response.content.decode()
    response = client.post(
        reverse("forum_admin:thread_manage", args=[thread.pk]), {"action": "lock"}, follow=True
    )
    assert "why the thread is locked" in response.content.decode()
    assert not Thread.objects.get(pk=thread.pk).is_locked
    assert not AuditEvent.objects.filter(action="forum.thread_lock").exists()


def test_move_thread(officer, mod, thread, commit):
    target = make_category(name="Investigations test")
    commit(services.thread_move, moderator=mod, thread=thread, category=target)
    assert Thread.objects.get(pk=thread.pk).category == target
    assert told(officer, "moved your thread")
    assert AuditEvent.objects.filter(action="forum.thread_move").exists()


def test_moving_or_merging_a_restricted_thread_to_a_wider_audience_needs_confirmation(
    client_for, officer, le_mod, category, le_category, thread, commit
):
    secret = commit(make_thread, author=officer, category=le_category, title="Surveillance schedule")
    url = reverse("forum_admin:thread_manage", args=[secret.pk])
    client = client_for(le_mod)
    content = client.get(url).content.decode()
    assert "LE only test (" in content and "Open test category (all members)" in content
    response = client.post(url, {"action": "move", "category": category.pk}, follow=True)
    assert "wider audience" in response.content.decode()
    response = client.post(url, {"action": "merge", "target": thread.pk}, follow=True)
    assert "wider audience" in response.content.decode()
    secret.refresh_from_db()
    assert secret.category == le_category and secret.merged_into_id is None
    assert not AuditEvent.objects.filter(action__in=["forum.thread_move", "forum.thread_merge"]).exists()
    response = client.post(url, {"action": "move", "category": category.pk, "confirm_wider": "on"})
    assert response.status_code == 302
    assert Thread.objects.get(pk=secret.pk).category == category
    # Towards a narrower audience, or between open categories, nothing is asked.
    commit(services.thread_move, moderator=le_mod, thread=thread, category=le_category)
    assert Thread.objects.get(pk=thread.pk).category == le_category


def test_author_outside_the_new_audience_is_told_without_learning_its_names(
    client_for, officer, advocate, le_mod, category, le_category, commit
):
    moved = commit(make_thread, author=advocate, category=category, title="Hotel outreach")
    commit(services.thread_move, moderator=le_mod, thread=moved, category=le_category, reason="Operational")
    assert told(
        advocate, "moved your thread “Hotel outreach” from Open test category to a category you cannot"
    )
    secret = commit(make_thread, author=officer, category=le_category, title="Warrant timing Cobalt")
    merged = commit(make_thread, author=advocate, category=category, title="Same topic")
    commit(services.thread_merge, moderator=le_mod, source=merged, target=secret)
    assert told(advocate, "merged your thread into a thread in a category you cannot see")
    content = client_for(advocate).get(reverse("notifications:list")).content.decode()
    assert "a category you cannot see" in content
    assert "Cobalt" not in content and le_category.name not in content
    assert not Notification.objects.filter(message__contains="Cobalt").exists()


def test_merge_threads(officer, advocate, mod, category, thread, commit):
    other = commit(make_thread, author=advocate, category=category, title="Duplicate question")
    commit(make_post, author=officer, thread=other)
    commit(services.thread_merge, moderator=mod, source=other, target=thread)
    other.refresh_from_db()
    thread.refresh_from_db()
    assert other.merged_into_id == thread.pk and other.is_hidden
    assert Post.objects.filter(thread=thread).count() == 3
    assert thread.reply_count == 2
    assert told(advocate, "merged your thread")
    assert AuditEvent.objects.filter(action="forum.thread_merge").exists()


def test_old_link_to_merged_thread_redirects(client_for, officer, advocate, mod, category, thread, commit):
    other = commit(make_thread, author=advocate, category=category, title="Duplicate")
    commit(services.thread_merge, moderator=mod, source=other, target=thread)
    response = client_for(officer).get(reverse("forum:thread", args=[other.pk]))
    assert response.status_code == 302
    assert response["Location"] == thread.get_absolute_url()


def test_edit_tags_via_admin(client_for, mod, officer, thread, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(mod).post(
            reverse("forum_admin:thread_manage", args=[thread.pk]), {"action": "tags", "tags": "mou, labor"}
        )
    assert response.status_code == 302
    assert sorted(thread.tags.names()) == ["labor", "mou"]
    assert AuditEvent.objects.filter(action="forum.thread_tags").exists()
    assert told(officer, "changed the tags of your thread to: ")


def test_suspend_for_days_and_for_good(client_for, advocate, mod, commit):
    client = client_for(mod)
    response = client.post(
        reverse("forum_admin:suspensions"), {"member": advocate.pk, "reason": "Harassment", "days": "7"}
    )
    assert response.status_code == 302
    suspension = Suspension.objects.get(user=advocate)
    assert suspension.ends_at is not None
    assert AuditEvent.objects.filter(action="forum.member_suspend", target_id=str(advocate.pk)).exists()
    commit(services.suspension_lift, moderator=mod, suspension=suspension)
    forever = commit(services.member_suspend, moderator=mod, user=advocate, reason="Repeated", days=None)
    assert forever.ends_at is None
    assert told(advocate, "suspended you from posting indefinitely: Repeated")
    assert told(advocate, "lifted your suspension")


def test_suggestion_status(client_for, officer, mod, suggestions, commit):
    idea = commit(make_thread, author=officer, category=suggestions, title="Calendar export")
    response = commit(
        client_for(mod).post,
        reverse("forum:thread_moderate", args=[idea.pk]),
        {"action": "status", "status": "planned"},
    )
    assert response.status_code == 302
    assert Thread.objects.get(pk=idea.pk).suggestion_status == "planned"
    assert told(officer, "planned")


def test_moderator_sees_revisions_members_do_not(client_for, officer, advocate, mod, thread):
    services.post_edit(editor=officer, post=thread.first_post, body="New words")
    url = reverse("forum:post_history", args=[thread.first_post_id])
    assert client_for(advocate).get(url).status_code == 404
    response = client_for(mod).get(url)
    assert response.status_code == 200
    assert "A first post about protocols." in response.content.decode()


def test_notice_about_hidden_post_opens_the_notice(client_for, advocate, mod, thread, commit):
    reply = commit(make_post, author=advocate, thread=thread)
    commit(services.post_hide, moderator=mod, post=reply, reason="Contains an address")
    notice = Notification.objects.get(recipient=advocate, kind="moderation")
    response = client_for(advocate).get(reverse("notifications:open", args=[notice.pk]), follow=True)
    assert response.status_code == 200
    assert "Contains an address" in response.content.decode()


def test_moderator_hiding_a_post_on_the_board_must_say_why(
    client_for, officer, advocate, mod, thread, django_capture_on_commit_callbacks
):
    reply = make_post(author=advocate, thread=thread, body="Reply to hide")
    client = client_for(mod)
    url = reverse("forum:post_delete", args=[reply.pk])
    assert 'name="reason"' in client.get(url).content.decode()
    response = client.post(url, {"reason": "   "})
    assert response.status_code == 400
    assert 'href="#id_reason"' in response.content.decode()
    assert Post.objects.get(pk=reply.pk).status == Post.Status.VISIBLE
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"reason": "Names a shelter"})
    assert response.status_code == 302
    assert Post.objects.get(pk=reply.pk).status == Post.Status.HIDDEN
    assert told(advocate, "removed your post: Names a shelter")
    assert AuditEvent.objects.filter(action="forum.post_hide", target_id=str(reply.pk)).exists()


def test_authors_delete_their_own_posts_without_a_reason(client_for, advocate, thread):
    reply = make_post(author=advocate, thread=thread, body="My own reply")
    client = client_for(advocate)
    assert 'name="reason"' not in client.get(reverse("forum:post_delete", args=[reply.pk])).content.decode()
    assert client.post(reverse("forum:post_delete", args=[reply.pk])).status_code == 302
    assert Post.objects.get(pk=reply.pk).status == Post.Status.HIDDEN


def test_moderator_editing_someone_elses_post_must_say_why(
    client_for, officer, mod, thread, django_capture_on_commit_callbacks
):
    url = reverse("forum:post_edit", args=[thread.first_post_id])
    client = client_for(mod)
    assert 'name="reason"' in client.get(url).content.decode()
    data = {"title": thread.title, "body": "Trimmed by a moderator"}
    response = client.post(url, data)
    assert response.status_code == 400
    assert "Trimmed by a moderator" in response.content.decode()  # nothing typed is lost
    assert Post.objects.get(pk=thread.first_post_id).body != "Trimmed by a moderator"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {**data, "reason": "Removed a phone number"})
    assert response.status_code == 302
    assert Post.objects.get(pk=thread.first_post_id).body == "Trimmed by a moderator"
    assert told(officer, "edited your post: Removed a phone number")
    assert AuditEvent.objects.filter(action="forum.post_edit").exists()
    with pytest.raises(services.ForumError):
        services.post_edit(editor=mod, post=thread.first_post, body="Again, silently")
