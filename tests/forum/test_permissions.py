"""Permission functions: the rules every view, selector and notification relies on."""

import pytest
from django.urls import reverse

from connect.models import Discipline, Role
from forum import permissions, services
from forum.models import Category, Flag, Post, Reaction, Thread, Vote
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


# --- post_actions: what the thread page shows is what the services accept ------------------


def _page(client, thread):
    response = client.get(reverse("forum:thread", args=[thread.pk]))
    assert response.status_code == 200
    return response.content.decode()


def _fresh_post(pk):
    return Post.objects.select_related("thread__category").get(pk=pk)


def test_post_actions_archived_category_refuses_the_authors_edit(client_for, officer, category, thread):
    Category.objects.filter(pk=category.pk).update(is_archived=True)
    post = _fresh_post(thread.first_post_id)
    assert not permissions.post_actions(officer, post).edit
    client = client_for(officer)
    edit_url = reverse("forum:post_edit", args=[post.pk])
    assert edit_url not in _page(client, thread)
    assert client.get(edit_url).status_code == 404
    data = {"title": thread.title, "body": "Rewritten after archiving"}
    assert client.post(edit_url, data).status_code == 404
    with pytest.raises(services.ForumError):
        services.post_edit(editor=officer, post=post, body="Rewritten after archiving")
    assert _fresh_post(post.pk).body == "A first post about protocols."


def test_post_actions_locked_thread_refuses_reactions(client_for, advocate, mod, thread):
    Thread.objects.filter(pk=thread.pk).update(is_locked=True)
    post = _fresh_post(thread.first_post_id)
    assert not permissions.can_react(advocate, post)
    client = client_for(advocate)
    react_url = reverse("forum:post_react", args=[post.pk])
    assert react_url not in _page(client, thread)
    with pytest.raises(services.ForumError):
        services.reaction_toggle(user=advocate, post=post, kind="helpful")
    client.post(react_url, {"kind": "thanks"})
    assert not Reaction.objects.filter(post=post).exists()
    assert _fresh_post(post.pk).thanks_count == 0


def test_can_vote_refuses_suspended_members(client_for, officer, advocate, mod, suggestions):
    idea = make_thread(author=officer, category=suggestions, title="Calendar export")
    services.member_suspend(moderator=mod, user=advocate, reason="Cooling off", days=3)
    suspended = type(advocate).objects.get(pk=advocate.pk)
    assert not permissions.can_vote(suspended, idea)
    client = client_for(advocate)
    assert reverse("forum:thread_vote", args=[idea.pk]) not in _page(client, idea)
    with pytest.raises(services.ForumError):
        services.vote_toggle(user=suspended, thread=idea)
    client.post(reverse("forum:thread_vote", args=[idea.pk]))
    assert not Vote.objects.filter(thread=idea).exists()
    assert Thread.objects.get(pk=idea.pk).vote_count == 0


def test_post_actions_hidden_post_offers_restore_not_flag(client_for, officer, advocate, mod, thread):
    reply = make_post(author=advocate, thread=thread, body="Reply a moderator hides")
    services.post_hide(moderator=mod, post=reply, reason="Names a shelter")
    hidden = _fresh_post(reply.pk)
    actions = permissions.post_actions(mod, hidden)
    assert actions.restore and not actions.flag and not actions.edit and not actions.hide
    content = _page(client_for(mod), thread)
    assert reverse("forum:post_restore", args=[reply.pk]) in content
    assert reverse("forum:post_flag", args=[reply.pk]) not in content
    with pytest.raises(services.ForumError):
        services.flag_create(reporter=mod, post=hidden, reason="spam")
    assert not Flag.objects.filter(post=reply).exists()


def test_post_actions_restore_only_in_the_moderators_audience(officer, le_category, le_mod, mod):
    secret = make_thread(author=officer, category=le_category, title="Room thread")
    services.post_delete(user=officer, post=secret.first_post)
    hidden = _fresh_post(secret.first_post_id)
    assert permissions.can_restore_post(le_mod, hidden)
    assert permissions.post_actions(mod, hidden) == permissions.NOTHING
    with pytest.raises(services.NotAllowed):
        services.post_restore(moderator=mod, post=hidden)


LINKS = {
    "edit": lambda p: reverse("forum:post_edit", args=[p.pk]),
    "react": lambda p: reverse("forum:post_react", args=[p.pk]),
    "flag": lambda p: reverse("forum:post_flag", args=[p.pk]),
    "restore": lambda p: reverse("forum:post_restore", args=[p.pk]),
    "accept": lambda p: reverse("forum:post_accept", args=[p.pk]),
    "history": lambda p: reverse("forum:post_history", args=[p.pk]),
    "quote": lambda p: f'?quote={p.pk}"',
}


@pytest.mark.parametrize("viewer", ["officer", "advocate", "mod", "suspended"])
@pytest.mark.parametrize("state", ["open", "locked", "archived"])
def test_post_actions_match_the_links_on_the_thread_page(client_for, request, category, viewer, state):
    """Every link and button on a post appears exactly when ``post_actions`` allows it."""
    officer, advocate, mod = (request.getfixturevalue(name) for name in ("officer", "advocate", "mod"))
    question = make_thread(author=officer, category=category, title="Which form?", is_question=True)
    posts = [
        _fresh_post(question.first_post_id),
        make_post(author=advocate, thread=question, body="Form 12"),
        make_post(author=officer, thread=question, body="Thanks"),
    ]
    services.post_edit(editor=officer, post=posts[2], body="Thanks, edited")
    hidden = make_post(author=advocate, thread=question, body="Wrong thread")
    services.post_delete(user=advocate, post=hidden)
    posts.append(hidden)
    user = {"officer": officer, "advocate": advocate, "mod": mod}.get(viewer)
    if viewer == "suspended":
        user = make_member(discipline=Discipline.VICTIM_SERVICES)
        services.member_suspend(moderator=mod, user=user, reason="Cooling off", days=1)
        user = type(user).objects.get(pk=user.pk)
    if state == "locked":
        Thread.objects.filter(pk=question.pk).update(is_locked=True)
    if state == "archived":
        Category.objects.filter(pk=category.pk).update(is_archived=True)
    content = _page(client_for(user), question)
    thread = Thread.objects.select_related("category").get(pk=question.pk)
    for post in posts:
        actions = permissions.post_actions(user, _fresh_post(post.pk), thread=thread)
        fresh = _fresh_post(post.pk)
        for name, link in LINKS.items():
            # The history link appears on edited posts only: there is nothing to read otherwise.
            shown = getattr(actions, name) and (name != "history" or fresh.edited_at is not None)
            assert (link(post) in content) == shown, (viewer, state, post.body, name)
        delete_link = reverse("forum:post_delete", args=[post.pk])
        assert (delete_link in content) == (actions.delete or actions.hide), (viewer, state, post.body)
        assert permissions.can_edit_post(user, fresh) == actions.edit
        assert permissions.can_react(user, _fresh_post(post.pk)) == actions.react
