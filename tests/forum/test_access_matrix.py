"""The restricted-category matrix: each role × each kind of page returns 200 or 404.

A restricted category, its threads and posts do not exist for anyone outside
its audience, moderators and administrators included: every page answers 404
and no list, feed, notification or search result mentions them. The moderation
screens follow the same audience: a moderator outside it learns from the queue
that an item waits there, and nothing more.
"""

import pytest
from django.urls import reverse

from connect.models import Discipline, Role
from forum import services
from forum.models import Post, Thread
from notifications.models import Notification
from tests.factories import make_member

from .factories import make_category, make_post, make_thread

pytestmark = pytest.mark.django_db

SECRET_TITLE = "Deconfliction plan Zephyr"


@pytest.fixture
def world(db, django_capture_on_commit_callbacks):
    le_cat = make_category(
        name="LE restricted", slug="le-restricted", disciplines=[Discipline.LAW_ENFORCEMENT]
    )
    mod_cat = make_category(
        name="Mods restricted", slug="mods-restricted", roles=[Role.MODERATOR, Role.ADMINISTRATOR]
    )
    people = {
        "law_enforcement": make_member(discipline=Discipline.LAW_ENFORCEMENT),
        "victim_services": make_member(discipline=Discipline.VICTIM_SERVICES),
        "prosecution": make_member(discipline=Discipline.PROSECUTION),
        "moderator": make_member(role=Role.MODERATOR, discipline=Discipline.COORDINATION),
        "le_moderator": make_member(role=Role.MODERATOR, discipline=Discipline.LAW_ENFORCEMENT),
        "administrator": make_member(role=Role.ADMINISTRATOR, discipline=Discipline.COORDINATION),
    }
    # The posts in each room are written by members outside the matrix, so
    # every role can be asked every page (flagging one's own post is its own test).
    le_colleague = make_member(discipline=Discipline.LAW_ENFORCEMENT)
    other_moderator = make_member(role=Role.MODERATOR, discipline=Discipline.COORDINATION)
    with django_capture_on_commit_callbacks(execute=True):
        le_thread = make_thread(author=people["law_enforcement"], category=le_cat, title=SECRET_TITLE)
        le_reply = make_post(author=le_colleague, thread=le_thread, body="Reply in the LE room")
        mod_thread = make_thread(author=other_moderator, category=mod_cat, title="Moderator business")
    return {
        "le": (le_cat, le_thread, le_reply),
        "mod": (mod_cat, mod_thread, mod_thread.first_post),
        **people,
    }


EXPECTED = {
    # role: (sees LE category, sees moderators' category)
    "law_enforcement": (True, False),
    "victim_services": (False, False),
    "prosecution": (False, False),
    "moderator": (False, True),
    "le_moderator": (True, True),
    "administrator": (False, True),
}

PAGES = {
    "category": lambda c, t, p: reverse("forum:category", args=[c.slug]),
    "new_thread": lambda c, t, p: reverse("forum:thread_create", args=[c.slug]),
    "thread": lambda c, t, p: reverse("forum:thread", args=[t.pk]),
    "thread_unread": lambda c, t, p: reverse("forum:thread_unread", args=[t.pk]),
    "reply": lambda c, t, p: reverse("forum:reply", args=[t.pk]),
    "post": lambda c, t, p: reverse("forum:post", args=[p.pk]),
    "flag": lambda c, t, p: reverse("forum:post_flag", args=[p.pk]),
}


@pytest.mark.parametrize("role", sorted(EXPECTED))
@pytest.mark.parametrize("room", ["le", "mod"])
@pytest.mark.parametrize("page", sorted(PAGES))
def test_restricted_pages_are_200_or_404(world, client_for, role, room, page):
    category, thread, post = world[room]
    allowed = EXPECTED[role][0 if room == "le" else 1]
    user = world[role]
    response = client_for(user).get(PAGES[page](category, thread, post))
    assert response.status_code in ((200, 302) if allowed else (404,)), (
        role,
        room,
        page,
        response.status_code,
    )


@pytest.mark.parametrize("role", [r for r, (le, _) in sorted(EXPECTED.items()) if not le])
@pytest.mark.parametrize(
    "action",
    [
        "reply",
        "react",
        "bookmark",
        "watch",
        "vote",
        "flag",
        "edit",
        "delete",
        "category_watch",
        "thread_create",
    ],
)
def test_restricted_writes_are_404_for_outsiders(world, client_for, role, action):
    category, thread, post = world["le"]
    urls = {
        "reply": (reverse("forum:reply", args=[thread.pk]), {"body": "sneaky"}),
        "react": (reverse("forum:post_react", args=[post.pk]), {"kind": "helpful"}),
        "bookmark": (reverse("forum:thread_bookmark", args=[thread.pk]), {}),
        "watch": (reverse("forum:thread_subscription", args=[thread.pk]), {"level": "watching"}),
        "vote": (reverse("forum:thread_vote", args=[thread.pk]), {}),
        "flag": (reverse("forum:post_flag", args=[post.pk]), {"reason": "spam"}),
        "edit": (reverse("forum:post_edit", args=[post.pk]), {"body": "x"}),
        "delete": (reverse("forum:post_delete", args=[post.pk]), {}),
        "category_watch": (reverse("forum:category_watch", args=[category.slug]), {}),
        "thread_create": (reverse("forum:thread_create", args=[category.slug]), {"title": "t", "body": "b"}),
    }
    url, data = urls[action]
    before = Post.objects.count()
    assert client_for(world[role]).post(url, data).status_code == 404
    assert Post.objects.count() == before


@pytest.mark.parametrize("role", sorted(EXPECTED))
def test_lists_feeds_and_search_hide_restricted_threads(world, client_for, role):
    user = world[role]
    client = client_for(user)
    allowed = EXPECTED[role][0]
    for url in [reverse("forum:index"), "/", reverse("forum:bookmarks")]:
        content = client.get(url).content.decode()
        assert (SECRET_TITLE in content) == (allowed and url != reverse("forum:bookmarks")), (role, url)
    titles = set(Thread.searchable_for(user).values_list("title", flat=True))
    assert (SECRET_TITLE in titles) == allowed
    bodies = set(Post.searchable_for(user).values_list("body", flat=True))
    assert ("Reply in the LE room" in bodies) == allowed


@pytest.mark.parametrize("role", sorted(EXPECTED))
def test_task_force_section_hides_restricted_threads(world, client_for, role):
    author = world["law_enforcement"]
    url = reverse("connect:taskforce_detail", args=[author.profile.task_force.slug])
    content = client_for(world[role]).get(url).content.decode()
    assert (SECRET_TITLE in content) == EXPECTED[role][0]


@pytest.mark.parametrize("room", ["le", "mod"])
def test_members_do_not_flag_their_own_posts(world, client_for, room):
    _, _, post = world[room]
    response = client_for(post.author).get(reverse("forum:post_flag", args=[post.pk]))
    assert response.status_code == 404


def test_mention_suggestions_list_only_visible_members(world, client_for):
    advocate = world["victim_services"]
    services.handle_for(advocate)
    response = client_for(world["law_enforcement"]).get(
        reverse("forum:mention_suggestions"), {"q": advocate.first_name}
    )
    assert response.status_code == 200
    names = [r["name"] for r in response.json()["results"]]
    assert advocate.profile.display_name in names


def test_notifications_about_restricted_posts_disappear_when_access_is_lost(world, client_for):
    user = world["law_enforcement"]
    post = world["le"][2]
    Notification.objects.create(recipient=user, kind="reply", target=post, url=post.get_absolute_url())
    assert SECRET_TITLE in client_for(user).get(reverse("notifications:list")).content.decode()
    profile = user.profile
    profile.discipline = Discipline.PROSECUTION
    profile.save()
    content = client_for(user).get(reverse("notifications:list")).content.decode()
    assert SECRET_TITLE not in content


def test_anonymous_is_sent_to_sign_in(world, client):
    _, thread, _ = world["le"]
    response = client.get(reverse("forum:thread", args=[thread.pk]))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_queue_tells_moderators_outside_the_audience_only_that_an_item_waits(world, client_for):
    """The queue shows a moderator outside "LE restricted" that a flagged post waits
    there, not its title, author, text or flags, and refuses their actions on it."""
    _, thread, post = world["le"]
    services.flag_create(reporter=world["law_enforcement"], post=post, reason="spam", details="Look Zephyr")
    moderator = client_for(world["moderator"])
    queue = moderator.get(reverse("forum_admin:queue"))
    assert queue.status_code == 200
    content = queue.content.decode()
    assert "An item waits in LE restricted" in content
    for secret in (SECRET_TITLE, "Reply in the LE room", "Look Zephyr", post.author.display_name):
        assert secret not in content
    assert reverse("forum:post", args=[post.pk]) not in content
    assert reverse("forum_admin:thread_manage", args=[thread.pk]) not in content
    assert reverse("forum_admin:post_hide", args=[post.pk]) not in content
    hide_url = reverse("forum_admin:post_hide", args=[post.pk])
    assert moderator.post(hide_url, {"reason": "x"}).status_code == 404
    assert moderator.post(reverse("forum_admin:post_approve", args=[post.pk])).status_code == 404
    post.refresh_from_db()
    assert post.status == Post.Status.VISIBLE
    with pytest.raises(services.NotAllowed):
        services.post_hide(moderator=world["moderator"], post=post, reason="Off topic")
    with pytest.raises(services.NotAllowed):
        services.post_approve(moderator=world["moderator"], post=post)


def test_moderators_in_the_audience_get_a_link_to_the_post(world, client_for):
    _, _, post = world["le"]
    services.flag_create(reporter=world["law_enforcement"], post=post, reason="spam")
    content = client_for(world["le_moderator"]).get(reverse("forum_admin:queue")).content.decode()
    assert reverse("forum:post", args=[post.pk]) in content


def _suggested(client, q, category=None):
    params = {"q": q} if category is None else {"q": q, "category": category}
    response = client.get(reverse("forum:mention_suggestions"), params)
    assert response.status_code == 200
    return [r["name"] for r in response.json()["results"]]


def test_mention_suggestions_for_a_category_list_only_its_audience(world, client_for):
    officer = client_for(world["law_enforcement"])
    advocate = world["victim_services"]
    colleague = world["le_moderator"]
    for member in (advocate, colleague):
        member.first_name = "Quillon"
        member.save(update_fields=["first_name"])
        member.profile.display_name = f"Quillon {member.last_name}"
        member.profile.save(update_fields=["display_name"])
    everyone = _suggested(officer, "Quillon")
    assert advocate.profile.display_name in everyone and colleague.profile.display_name in everyone
    in_le_room = _suggested(officer, "Quillon", "le-restricted")
    assert in_le_room == [colleague.profile.display_name]


@pytest.mark.parametrize("category", ["le-restricted", "no-such-category"])
def test_mention_suggestions_for_a_category_one_cannot_see_reveal_nothing(world, client_for, category):
    advocate = client_for(world["victim_services"])
    name = world["law_enforcement"].first_name
    assert _suggested(advocate, name)  # the member exists and is suggested without a category
    assert _suggested(advocate, name, category) == []


def test_thread_management_is_404_to_moderators_outside_the_audience(world, client_for):
    _, thread, post = world["le"]
    le_moderator = world["le_moderator"]
    services.post_hide(moderator=le_moderator, post=post, reason="Off topic")
    url = reverse("forum_admin:thread_manage", args=[thread.pk])
    outsider = client_for(world["moderator"])
    assert outsider.get(url).status_code == 404
    assert outsider.post(url, {"action": "restore", "post": post.pk}).status_code == 404
    assert outsider.post(url, {"action": "lock", "reason": "x"}).status_code == 404
    post.refresh_from_db()
    assert post.status == Post.Status.HIDDEN
    for service, kwargs in [
        (services.post_restore, {"post": post}),
        (services.thread_set_locked, {"thread": thread, "locked": True, "reason": "x"}),
        (services.thread_set_pinned, {"thread": thread, "pinned": True}),
        (services.thread_tags_set, {"thread": thread, "tags": ["x"]}),
    ]:
        with pytest.raises(services.NotAllowed):
            service(moderator=world["moderator"], **kwargs)
    insider = client_for(le_moderator)
    content = insider.get(url).content.decode()
    assert "Reply in the LE room" in content and thread.get_absolute_url() in content
    assert insider.post(url, {"action": "restore", "post": post.pk}).status_code == 302
    post.refresh_from_db()
    assert post.status == Post.Status.VISIBLE


def test_moderators_cannot_move_or_merge_threads_into_or_out_of_rooms_they_are_outside(world, client_for):
    le_cat, le_thread, _ = world["le"]
    moderator = world["moderator"]
    open_cat = make_category(name="Open room")
    mine = make_thread(author=world["victim_services"], category=open_cat, title="Open thread")
    url = reverse("forum_admin:thread_manage", args=[mine.pk])
    client = client_for(moderator)
    assert "LE restricted" not in client.get(url).content.decode()  # not offered as a destination
    response = client.post(url, {"action": "move", "category": le_cat.pk})
    assert response.status_code == 200
    response = client.post(url, {"action": "merge", "target": le_thread.pk})
    assert "There is no thread with that number." in response.content.decode()
    assert SECRET_TITLE not in response.content.decode()
    mine.refresh_from_db()
    assert mine.category == open_cat and mine.merged_into_id is None
    with pytest.raises(services.NotAllowed):
        services.thread_move(moderator=moderator, thread=mine, category=le_cat)
    with pytest.raises(services.NotAllowed):
        services.thread_move(moderator=moderator, thread=le_thread, category=open_cat, confirm_wider=True)
    with pytest.raises(services.NotAllowed):
        services.thread_merge(moderator=moderator, source=mine, target=le_thread)
    with pytest.raises(services.NotAllowed):
        services.thread_merge(moderator=moderator, source=le_thread, target=mine, confirm_wider=True)
    assert Thread.objects.get(pk=le_thread.pk).category == le_cat
