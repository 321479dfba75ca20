"""Pages and forms, without JavaScript: bad input, privacy hold, unread markers, sorting."""

from html.parser import HTMLParser

import pytest
from django.urls import reverse

from forum import services
from forum.models import MemberHandle, Post, Thread
from notifications.selectors import email_preferences
from tests.factories import make_member

from .factories import make_post, make_thread

pytestmark = pytest.mark.django_db

XSS = [
    "<script>alert(1)</script>",
    '<img src=x onerror="alert(1)">',
    "[click](javascript:alert(1))",
    "[data](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    '<iframe src="https://evil.example"></iframe>',
    '<div style="background:url(javascript:alert(1))">x</div>',
    '<a href="#" onclick="alert(1)">x</a>',
]


def test_reply_with_empty_body_keeps_form_and_shows_error(client_for, advocate, thread):
    response = client_for(advocate).post(
        reverse("forum:reply", args=[thread.pk]), {"body": "   ", "submission_token": "a1"}
    )
    assert response.status_code == 400
    content = response.content.decode()
    assert "the post is empty" in content
    assert 'id="form-errors"' in content


def test_reply_over_limit_keeps_what_was_typed(client_for, advocate, thread):
    body = "typed words " * 5000
    response = client_for(advocate).post(reverse("forum:reply", args=[thread.pk]), {"body": body})
    assert response.status_code == 400
    assert "typed words typed words" in response.content.decode()
    assert Post.objects.filter(thread=thread).count() == 1


def test_reply_with_privacy_findings_asks_then_holds(client_for, advocate, thread):
    client = client_for(advocate)
    body = "The minor, Jane Doerr, lives at 1428 Elm Street."
    data = {"body": body, "submission_token": "p1"}
    response = client.post(reverse("forum:reply", args=[thread.pk]), data)
    content = response.content.decode()
    assert response.status_code == 400
    assert "This may identify a victim" in content
    assert "1428 Elm Street" in content
    assert "Jane Doerr" in content
    assert 'name="confirm_privacy"' in content
    assert 'href="#id_body"' in content and 'href="#id_confirm_privacy"' in content
    assert Post.objects.filter(thread=thread).count() == 1
    response = client.post(reverse("forum:reply", args=[thread.pk]), {**data, "confirm_privacy": "on"})
    assert response.status_code == 302
    post = Post.objects.get(submission_token="p1")
    assert post.status == Post.Status.HELD


def test_double_submitted_reply_creates_one_post(client_for, advocate, thread):
    client = client_for(advocate)
    data = {"body": "Same reply", "submission_token": "dup-1"}
    first = client.post(reverse("forum:reply", args=[thread.pk]), data)
    second = client.post(reverse("forum:reply", args=[thread.pk]), data)
    assert first.status_code == second.status_code == 302
    assert Post.objects.filter(thread=thread, body="Same reply").count() == 1


def test_reply_to_locked_thread_is_refused_with_message(client_for, advocate, mod, thread):
    services.thread_set_locked(moderator=mod, thread=thread, locked=True, reason="Resolved")
    response = client_for(advocate).post(reverse("forum:reply", args=[thread.pk]), {"body": "Let me in"})
    assert response.status_code == 400
    assert "locked" in response.content.decode()
    assert "Let me in" in response.content.decode()


def test_edit_someone_elses_post_is_404(client_for, advocate, thread):
    url = reverse("forum:post_edit", args=[thread.first_post_id])
    assert client_for(advocate).get(url).status_code == 404
    assert client_for(advocate).post(url, {"body": "mine now"}).status_code == 404


def test_edit_with_privacy_findings_asks_then_holds(client_for, officer, advocate, mod, thread):
    reply = make_post(author=advocate, thread=thread, body="Nothing sensitive yet")
    url = reverse("forum:post_edit", args=[reply.pk])
    client = client_for(advocate)
    body = "Call the survivor back at (312) 555-0142."
    response = client.post(url, {"body": body})
    assert response.status_code == 400
    content = response.content.decode()
    assert "This may identify a victim" in content and "(312) 555-0142" in content
    assert body in content  # what was typed is kept
    assert Post.objects.get(pk=reply.pk).body == "Nothing sensitive yet"
    response = client.post(url, {"body": body, "confirm_privacy": "on"}, follow=True)
    assert "waiting for a moderator" in response.content.decode()
    assert Post.objects.get(pk=reply.pk).status == Post.Status.HELD
    assert client_for(officer).get(reverse("forum:post", args=[reply.pk])).status_code == 404
    assert "555-0142" not in client_for(officer).get(thread.get_absolute_url()).content.decode()
    services.post_approve(moderator=mod, post=reply)
    assert "555-0142" in client_for(officer).get(thread.get_absolute_url()).content.decode()


def test_new_thread_with_privacy_findings_in_the_title_keeps_everything(client_for, advocate, category):
    data = {"title": "Survivor Maria Lopez intake", "body": "How do we schedule this?", "tags": "intake"}
    response = client_for(advocate).post(reverse("forum:thread_create", args=[category.slug]), data)
    assert response.status_code == 400
    content = response.content.decode()
    assert "This may identify a victim" in content and "Maria Lopez" in content
    assert 'value="Survivor Maria Lopez intake"' in content and "How do we schedule this?" in content
    assert not Thread.objects.filter(title__startswith="Survivor").exists()


def test_double_submitted_new_thread_creates_one_thread(client_for, advocate, category):
    data = {"title": "Shelter intake forms", "body": "Sharing ours.", "submission_token": "t-dup"}
    client = client_for(advocate)
    url = reverse("forum:thread_create", args=[category.slug])
    first, second = client.post(url, data), client.post(url, data)
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    assert Thread.objects.filter(title="Shelter intake forms").count() == 1


@pytest.mark.parametrize("value", ["²", "9" * 30, "-1", " 1x"])
def test_odd_ids_in_query_strings_and_forms_are_ignored(client_for, mod, advocate, thread, value):
    client = client_for(advocate)
    response = client.get(reverse("forum:reply", args=[thread.pk]), {"quote": value})
    assert response.status_code == 200
    assert client.post(reverse("notifications:read"), {"id": [value]}).status_code == 302
    response = client_for(mod).get(reverse("forum_admin:suspensions"), {"member": value})
    assert response.status_code == 200


class _Collector(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


@pytest.mark.parametrize("payload", XSS)
def test_xss_never_reaches_the_thread_page(client_for, officer, advocate, thread, payload):
    make_post(author=advocate, thread=thread, body=f"Look: {payload}")
    content = client_for(officer).get(thread.get_absolute_url()).content.decode()
    bodies = [chunk.split("</div>")[0] for chunk in content.split('forum-post__body usa-prose">')[1:]]
    assert len(bodies) == 2
    parser = _Collector()
    parser.feed(bodies[1])
    for tag, attrs in parser.tags:
        assert tag not in {"script", "img", "iframe", "div", "style"}
        assert not any(name.startswith("on") or name == "style" for name in attrs)
        assert not (attrs.get("href") or "").lower().startswith(("javascript:", "data:"))


def test_new_thread_view_creates_thread(client_for, officer, category):
    response = client_for(officer).post(
        reverse("forum:thread_create", args=[category.slug]),
        {"title": "Training plan", "body": "Let us plan it", "tags": "training", "submission_token": "n1"},
    )
    assert response.status_code == 302
    thread = Thread.objects.get(title="Training plan")
    assert response["Location"] == thread.get_absolute_url()


def test_new_thread_long_title_keeps_input(client_for, officer, category):
    response = client_for(officer).post(
        reverse("forum:thread_create", args=[category.slug]), {"title": "T" * 201, "body": "Body kept"}
    )
    assert response.status_code == 400
    content = response.content.decode()
    assert "Body kept" in content
    assert "limit is 200" in content


def test_quote_prefills_reply(client_for, advocate, thread):
    response = client_for(advocate).get(
        reverse("forum:reply", args=[thread.pk]) + f"?quote={thread.first_post_id}"
    )
    assert "&gt; A first post about protocols." in response.content.decode()


def test_unread_markers_and_jump_to_first_unread(client_for, officer, advocate, category):
    thread = make_thread(author=officer, category=category)
    client = client_for(advocate)
    client.get(thread.get_absolute_url())
    reply = make_post(author=officer, thread=thread, body="Something new")
    listing = client.get(category.get_absolute_url()).content.decode()
    assert "New replies" in listing
    response = client.get(reverse("forum:thread_unread", args=[thread.pk]))
    assert response.status_code == 302
    assert response["Location"].endswith(f"#post-{reply.pk}")
    client.get(thread.get_absolute_url())
    assert "New replies" not in client.get(category.get_absolute_url()).content.decode()


def test_suggestions_sorted_by_votes(client_for, officer, advocate, suggestions):
    low = make_thread(author=officer, category=suggestions, title="Low idea")
    high = make_thread(author=officer, category=suggestions, title="High idea")
    for voter in (advocate, make_member()):
        services.vote_toggle(user=voter, thread=high)
    services.vote_toggle(user=advocate, thread=low)
    make_post(author=advocate, thread=low)  # Low has the latest activity.
    content = client_for(advocate).get(suggestions.get_absolute_url() + "?sort=votes").content.decode()
    assert content.index("High idea") < content.index("Low idea")


def test_vote_view(client_for, officer, advocate, suggestions):
    idea = make_thread(author=officer, category=suggestions, title="Idea")
    response = client_for(advocate).post(reverse("forum:thread_vote", args=[idea.pk]))
    assert response.status_code == 302
    assert Thread.objects.get(pk=idea.pk).vote_count == 1


def test_react_bookmark_watch_views(client_for, officer, advocate, thread):
    client = client_for(advocate)
    client.post(reverse("forum:post_react", args=[thread.first_post_id]), {"kind": "helpful"})
    client.post(reverse("forum:thread_bookmark", args=[thread.pk]))
    client.post(reverse("forum:thread_subscription", args=[thread.pk]), {"level": "muted"})
    assert Post.objects.get(pk=thread.first_post_id).helpful_count == 1
    content = client.get(reverse("forum:bookmarks")).content.decode()
    assert thread.title in content
    page = client.get(thread.get_absolute_url()).content.decode()
    assert "Unmute" in page and "Remove bookmark" in page


def test_mention_suggestions_endpoint(client_for, officer, advocate):
    handle = services.handle_for(advocate)
    response = client_for(officer).get(reverse("forum:mention_suggestions"), {"q": handle[:4]})
    assert any(r["handle"] == handle for r in response.json()["results"])


def test_mention_suggestions_never_write(client_for, officer, advocate):
    """A read creates no handle: a member without one is left out until their profile is saved."""
    MemberHandle.objects.filter(user=advocate).delete()
    client = client_for(officer)
    response = client.get(reverse("forum:mention_suggestions"), {"q": advocate.first_name})
    assert response.status_code == 200
    assert advocate.profile.display_name not in [r["name"] for r in response.json()["results"]]
    assert not MemberHandle.objects.filter(user=advocate).exists()
    advocate.profile.save()
    handle = MemberHandle.objects.get(user=advocate).handle
    response = client.get(reverse("forum:mention_suggestions"), {"q": advocate.first_name})
    assert handle in [r["handle"] for r in response.json()["results"]]


def test_mention_suggestions_leave_out_accounts_without_a_role(client_for, officer):
    applicant = make_member(role=None, first_name="Zorvath")
    inactive = make_member(first_name="Zorvath", is_active=False)
    member = make_member(first_name="Zorvath")
    response = client_for(officer).get(reverse("forum:mention_suggestions"), {"q": "Zorvath"})
    names = [r["name"] for r in response.json()["results"]]
    assert names == [member.profile.display_name]
    assert applicant.profile.display_name not in names and inactive.profile.display_name not in names


def test_preferences_view_saves(client_for, officer):
    response = client_for(officer).post(
        reverse("notifications:preferences"),
        {"mention_email": "weekly", "reply_email": "never", "private_message_email": "immediate"},
    )
    assert response.status_code == 302
    assert {k: email_preferences(officer)[k] for k in ("mention", "reply")} == {
        "mention": "weekly",
        "reply": "never",
    }
