"""How discussions plug into the rest of the site: search, demo data, admin, hooks."""

import io

import pytest
from django.core.management import call_command
from django.urls import reverse

from connect.models import AuditEvent
from forum import permissions, services
from forum.models import Category, Post, Thread
from notifications import selectors as notification_selectors
from notifications import services as notification_services

from .factories import make_post, make_thread

pytestmark = pytest.mark.django_db


def test_search_finds_only_visible_threads_and_posts(
    officer, advocate, category, le_category, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        open_thread = make_thread(author=officer, category=category, title="Recruitment fee screening")
        secret = make_thread(author=officer, category=le_category, title="Recruitment fee undercover plan")
        make_post(author=officer, thread=open_thread, body="Ask about recruitment fee receipts")
    found = list(Thread.searchable_for(advocate).search("recruitment"))
    assert open_thread in found and secret not in found
    assert secret in list(Thread.searchable_for(officer).search("recruitment"))
    posts = list(Post.searchable_for(advocate).search("receipts"))
    assert [p.thread_id for p in posts] == [open_thread.pk]
    assert posts[0].get_absolute_url() == reverse("forum:post", args=[posts[0].pk])


def test_search_index_failure_does_not_lose_the_post(
    officer, thread, monkeypatch, django_capture_on_commit_callbacks
):
    from wagtail.search import index

    def broken(instance):
        raise RuntimeError("index down")

    monkeypatch.setattr(index, "insert_or_update_object", broken)
    with django_capture_on_commit_callbacks(execute=True):
        post = make_post(author=officer, thread=thread, body="Still saved")
    assert Post.objects.filter(pk=post.pk).exists()


def test_search_page_lists_threads(client_for, officer, category, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        make_thread(author=officer, category=category, title="Interpreter roster sharing")
    response = client_for(officer).get(reverse("site_search:search"), {"q": "interpreter"})
    assert response.status_code == 200
    assert "<mark>Interpreter</mark> roster sharing" in response.content.decode()


def test_default_categories_exist():
    slugs = set(Category.objects.values_list("slug", flat=True))
    assert {"labor-trafficking", "victim-services", "suggestions", "law-enforcement-only"} <= slugs
    assert Category.objects.get(slug="suggestions").is_suggestions
    assert Category.objects.get(slug="moderators").allowed_roles


def test_seed_demo_adds_discussions_once():
    call_command("seed_demo", stdout=io.StringIO())
    count = Thread.objects.count()
    assert count >= 4
    call_command("seed_demo", stdout=io.StringIO())
    assert Thread.objects.count() == count


def test_home_panel_and_task_force_section(client_for, officer, category):
    make_thread(author=officer, category=category, title="Shared shelter list")
    client = client_for(officer)
    assert "Shared shelter list" in client.get("/").content.decode()
    tf_page = client.get(reverse("connect:taskforce_detail", args=[officer.profile.task_force.slug]))
    assert "Shared shelter list" in tf_page.content.decode()


def test_admin_pages_for_moderators(client_for, mod, thread):
    client = client_for(mod)
    for url in [
        reverse("forum_admin:queue"),
        reverse("forum_admin:thread_manage", args=[thread.pk]),
        reverse("forum_admin:suspensions"),
        "/admin/forum_categories/",
    ]:
        assert client.get(url).status_code == 200, url


def test_mention_links_to_profile(officer, advocate, thread):
    handle = services.handle_for(advocate)
    post = make_post(author=officer, thread=thread, body=f"Thanks @{handle}")
    assert f'href="{advocate.profile.get_absolute_url()}"' in post.body_html


def test_unread_count_for_bell(officer, advocate, thread, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        make_post(author=advocate, thread=thread)
    assert notification_selectors.unread_notification_count(user=officer) == 1
    notification_services.notification_mark_read(user=officer)
    assert notification_selectors.unread_notification_count(user=officer) == 0


def test_administrator_sets_a_category_audience_in_admin_and_it_is_audited(client_for, administrator):
    client = client_for(administrator)
    form = client.get("/admin/forum_categories/new/")
    assert form.status_code == 200
    assert 'type="checkbox"' in form.content.decode()
    response = client.post(
        "/admin/forum_categories/new/",
        {
            "name": "Prosecutors only",
            "slug": "prosecutors-only",
            "description": "",
            "position": "50",
            "allowed_disciplines": ["prosecution"],
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    category = Category.objects.get(slug="prosecutors-only")
    assert category.allowed_disciplines == ["prosecution"]
    assert category.allowed_roles == []
    event = AuditEvent.objects.get(action="forum.category_audience", target_id=str(category.pk))
    assert event.actor == administrator
    assert event.detail["after"] == {"allowed_disciplines": ["prosecution"], "allowed_roles": []}
    edit_url = f"/admin/forum_categories/edit/{category.pk}/"
    data = {"name": "Prosecutors only", "slug": "prosecutors-only", "position": "50"}
    response = client.post(edit_url, {**data, "allowed_disciplines": ["prosecution"], "description": "New"})
    assert response.status_code == 302
    assert AuditEvent.objects.filter(action="forum.category_audience").count() == 1  # audience unchanged
    client.post(edit_url, {**data, "allowed_disciplines": ["prosecution"], "allowed_roles": ["Moderators"]})
    assert Category.objects.get(pk=category.pk).allowed_roles == ["Moderators"]
    changed = AuditEvent.objects.filter(action="forum.category_audience").latest("pk")
    assert changed.detail["before"]["allowed_roles"] == []
    assert changed.detail["after"]["allowed_roles"] == ["Moderators"]


def test_moderators_cannot_change_a_category_audience(client_for, mod, le_category):
    """A moderator adding their own role to a room they are outside of would read it."""
    client = client_for(mod)
    edit_url = f"/admin/forum_categories/edit/{le_category.pk}/"
    response = client.post(
        edit_url,
        {
            "name": le_category.name,
            "slug": le_category.slug,
            "position": "50",
            "allowed_disciplines": ["law_enforcement"],
            "allowed_roles": ["Moderators"],
        },
    )
    assert response.status_code == 302
    assert Category.objects.get(pk=le_category.pk).allowed_roles == []
    response = client.post(
        "/admin/forum_categories/new/",
        {"name": "Mods room", "slug": "mods-room", "position": "5", "allowed_roles": ["Moderators"]},
    )
    assert response.status_code == 302
    assert Category.objects.get(slug="mods-room").allowed_roles == []
    assert not AuditEvent.objects.filter(action="forum.category_audience").exists()
    assert not permissions.can_see_category(mod, le_category)


@pytest.mark.parametrize("who", ["mod", "administrator"])
def test_category_form_says_who_sees_a_restricted_category(client_for, request, who):
    content = client_for(request.getfixturevalue(who)).get("/admin/forum_categories/new/").content.decode()
    assert "always see every category" not in content
    assert "a moderator outside its audience" in content or "moderators included, cannot read" in content
    assert ("Only administrators change who sees a category." in content) == (who == "mod")


def test_category_model_does_not_promise_moderators_every_category():
    assert "and moderators, who must be able to moderate it" not in Category.__doc__
    assert "moderators and administrators included" in Category.__doc__
