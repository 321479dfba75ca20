"""Permission functions: the rules every view, selector and notification relies on."""

import pytest

from connect.models import Discipline, Role
from forum import permissions, services
from forum.models import Category, Post, Thread
from tests.factories import make_member

from .factories import make_category, make_post, make_thread

pytestmark = pytest.mark.django_db


def test_open_category_is_visible_to_every_active_member(category, officer, advocate):
    assert permissions.can_see_category(officer, category)
    assert permissions.can_see_category(advocate, category)


def test_discipline_restricted_category(le_category, officer, advocate, mod):
    assert permissions.can_see_category(officer, le_category)
    assert not permissions.can_see_category(advocate, le_category)
    # Being a moderator does not open a category to you: its audience decides.
    assert not permissions.can_see_category(mod, le_category)
    le_mod = make_member(role=Role.MODERATOR, discipline=Discipline.LAW_ENFORCEMENT)
    assert permissions.can_see_category(le_mod, le_category)


def test_role_restricted_category(officer, mod):
    room = make_category(roles=[Role.MODERATOR])
    assert not permissions.can_see_category(officer, room)
    assert permissions.can_see_category(mod, room)


def test_inactive_or_unverified_accounts_see_nothing(category, thread):
    unverified = make_member(verified=False)
    no_mfa = make_member(mfa=False)
    no_role = make_member(role=None)
    for user in (unverified, no_mfa, no_role):
        assert not permissions.can_see_category(user, category)
        assert not permissions.visible_threads(user).exists()
        assert not permissions.can_see_thread(user, thread)
        assert permissions.visible_category_ids(user) == frozenset()


def test_visible_threads_hide_hidden_threads_from_members(officer, advocate, mod, thread):
    services.post_delete(user=officer, post=thread.first_post)
    assert not permissions.visible_threads(advocate).filter(pk=thread.pk).exists()
    assert permissions.visible_threads(mod).filter(pk=thread.pk).exists()


def test_visible_posts_hide_held_and_hidden(officer, advocate, mod, thread):
    held = make_post(author=officer, thread=thread, body="cell 614-555-0199", confirm_privacy=True)
    visible = permissions.visible_posts(advocate)
    assert not visible.filter(pk=held.pk).exists()
    assert permissions.can_see_post(officer, Post.objects.get(pk=held.pk))
    assert not permissions.can_see_post(advocate, Post.objects.get(pk=held.pk))
    assert permissions.visible_posts(mod).filter(pk=held.pk).exists()


def test_can_reply_respects_lock_archive_and_suspension(officer, advocate, mod, category, thread):
    assert permissions.can_reply(advocate, thread)
    Thread.objects.filter(pk=thread.pk).update(is_locked=True)
    locked = Thread.objects.select_related("category").get(pk=thread.pk)
    assert not permissions.can_reply(advocate, locked)
    assert permissions.can_reply(mod, locked)
    Category.objects.filter(pk=category.pk).update(is_archived=True)
    archived = make_category(is_archived=True)
    assert not permissions.can_start_thread(advocate, archived)
    services.member_suspend(moderator=mod, user=officer, reason="Cooling off", days=1)
    fresh = type(officer).objects.get(pk=officer.pk)
    assert permissions.is_suspended(fresh)
    assert not permissions.can_write(fresh)


def test_edit_and_delete_rules(officer, advocate, mod, thread):
    post = Post.objects.select_related("thread__category").get(pk=thread.first_post_id)
    assert permissions.can_edit_post(officer, post)
    assert not permissions.can_edit_post(advocate, post)
    assert permissions.can_edit_post(mod, post)
    assert permissions.can_delete_post(officer, post)
    assert not permissions.can_delete_post(advocate, post)
    assert not permissions.can_restore_post(mod, post)


def test_reactions_votes_and_flags(officer, advocate, suggestions, thread):
    post = Post.objects.select_related("thread__category").get(pk=thread.first_post_id)
    assert permissions.can_react(advocate, post)
    assert not permissions.can_react(officer, post)
    assert permissions.can_flag(advocate, post)
    assert not permissions.can_flag(officer, post)
    idea = make_thread(author=officer, category=suggestions)
    assert permissions.can_vote(advocate, idea)
    assert not permissions.can_vote(officer, idea)
    assert not permissions.can_vote(advocate, thread)


def test_revisions_only_for_moderators(officer, mod, thread):
    post = Post.objects.select_related("thread__category").get(pk=thread.first_post_id)
    assert not permissions.can_view_revisions(officer, post)
    assert permissions.can_view_revisions(mod, post)


def test_visible_category_ids_follow_discipline(le_category):
    prosecutor = make_member(discipline=Discipline.PROSECUTION)
    assert le_category.pk not in permissions.visible_category_ids(prosecutor)
