"""Selectors: what lists and pages return for a given member."""

import pytest

from forum import selectors, services
from forum.models import Thread

from .factories import make_post, make_thread

pytestmark = pytest.mark.django_db


def test_thread_list_sorts_pinned_then_activity(officer, advocate, mod, category):
    old = make_thread(author=officer, category=category, title="Old")
    pinned = make_thread(author=officer, category=category, title="Pinned")
    fresh = make_thread(author=officer, category=category, title="Fresh")
    make_post(author=advocate, thread=old)  # Old now has the latest activity.
    services.thread_set_pinned(moderator=mod, thread=pinned, pinned=True)
    titles = [t.title for t in selectors.thread_list(user=advocate, category=category).object_list]
    assert titles == ["Pinned", "Old", "Fresh"]
    assert fresh.pk


def test_thread_list_marks_unread(officer, advocate, category):
    thread = make_thread(author=officer, category=category)
    [row] = selectors.thread_list(user=advocate, category=category).object_list
    assert row.is_unread and row.is_new
    services.thread_mark_read(
        user=advocate, thread=thread, post_id=Thread.objects.get(pk=thread.pk).last_post_id
    )
    [row] = selectors.thread_list(user=advocate, category=category).object_list
    assert not row.is_unread


def test_thread_list_filters_by_tag(officer, advocate, category):
    make_thread(author=officer, category=category, title="Tagged", tags=["mou"])
    make_thread(author=officer, category=category, title="Untagged")
    titles = [t.title for t in selectors.thread_list(user=advocate, category=category, tag="MOU").object_list]
    assert titles == ["Tagged"]


def test_thread_page_marks_first_unread_and_own_reactions(officer, advocate, thread):
    services.thread_mark_read(user=advocate, thread=thread, post_id=thread.first_post_id)
    reply = make_post(author=officer, thread=thread)
    services.reaction_toggle(user=advocate, post=reply, kind="thanks")
    data = selectors.thread_page(user=advocate, thread_id=thread.pk)
    assert data["first_unread"].pk == reply.pk
    assert data["posts"][1].my_reactions == {"thanks"}
    assert data["subscription"] is None


def test_post_page_number(officer, advocate, thread, settings):
    settings.FORUM_POSTS_PER_PAGE = 2
    posts = [make_post(author=advocate, thread=thread, body=f"Reply {i}") for i in range(4)]
    assert selectors.post_page_number(user=officer, post=posts[0]) == 1
    assert selectors.post_page_number(user=officer, post=posts[3]) == 3


def test_category_index_counts_visible_threads(officer, advocate, category, le_category):
    make_thread(author=officer, category=category)
    make_thread(author=officer, category=le_category)
    by_slug = {c.slug: c for c in selectors.category_index(user=advocate)}
    assert by_slug[category.slug].thread_count == 1
    assert le_category.slug not in by_slug


def test_moderation_queue_lists_held_and_flagged(officer, advocate, thread):
    held = make_post(author=officer, thread=thread, body="plate ABC1234 on the truck", confirm_privacy=True)
    flagged = make_post(author=officer, thread=thread, body="Rude words")
    services.flag_create(reporter=advocate, post=flagged, reason="inappropriate")
    assert {p.pk for p in selectors.moderation_queue()} == {held.pk, flagged.pk}


def test_recent_and_task_force_threads(officer, advocate, category, le_category):
    make_thread(author=officer, category=category, title="Open one")
    make_thread(author=officer, category=le_category, title="Closed one")
    assert [t.title for t in selectors.recent_threads(user=advocate)] == ["Open one"]
    tf = officer.profile.task_force
    assert [t.title for t in selectors.task_force_threads(user=advocate, task_force=tf)] == ["Open one"]
