"""The privacy guard on every discussion surface a member writes: titles, tags, posts, flags;
and it never tells the writer whether an address or a name belongs to a member."""

import pytest
from django.urls import reverse

from forum import services
from forum.models import Flag, Thread
from tests.factories import make_member

pytestmark = pytest.mark.django_db


def _kinds(findings):
    return sorted(f["kind"] for f in findings)


def test_new_thread_checks_the_tags(client_for, advocate, category):
    data = {
        "title": "Intake question",
        "body": "How do we schedule the interview?",
        "tags": "victim maria lopez, dob 01/02/2009, 123 main street, 305-555-0182",
    }

    response = client_for(advocate).post(reverse("forum:thread_create", args=[category.slug]), data)

    assert response.status_code == 400
    html = response.content.decode()
    assert "This may identify a victim" in html
    assert "305-555-0182" in html and "01/02/2009" in html
    assert not Thread.objects.filter(title="Intake question").exists()


def test_thread_title_with_a_plain_language_name_is_held_when_confirmed(advocate, category):
    with pytest.raises(services.PrivacyCheckRequired):
        services.thread_create(
            author=advocate, category=category, title="The boy, Dmitri, and the interview", body="Advice?"
        )

    thread = services.thread_create(
        author=advocate,
        category=category,
        title="The boy, Dmitri, and the interview",
        body="Advice?",
        confirm_privacy=True,
    )

    assert thread.is_hidden


def test_flag_details_are_checked_and_shown(client_for, advocate, thread):
    post = thread.first_post
    url = reverse("forum:post_flag", args=[post.pk])
    data = {"reason": "privacy", "details": "It names the minor, Keisha Brown, and her cell 305-555-0147."}

    response = client_for(advocate).post(url, data)

    assert response.status_code == 200
    html = response.content.decode()
    assert "This may identify a victim" in html and "Keisha Brown" in html
    assert 'name="confirm_privacy"' in html
    assert not Flag.objects.filter(post=post).exists()

    response = client_for(advocate).post(url, {**data, "confirm_privacy": "on"})

    assert response.status_code == 302
    assert Flag.objects.filter(post=post, reporter=advocate).exists()


def test_guard_gives_the_same_finding_for_a_members_email_and_a_strangers(advocate, officer):
    members = services.privacy_findings(f"write to {officer.email}", author=advocate)
    strangers = services.privacy_findings("write to nobody.here@example.org", author=advocate)

    assert _kinds(members) == _kinds(strangers) == ["email"]


def test_guard_allows_only_the_writers_own_email(advocate):
    assert services.privacy_findings(f"write to me at {advocate.email}", author=advocate) == []


def test_guard_gives_the_same_finding_for_a_members_name_and_a_strangers(advocate):
    member = make_member(first_name="Rosa", last_name="Delgado")
    handle = services.handle_for(member)

    as_member = services.privacy_findings(f"the victim, Rosa Delgado, thanks @{handle}", author=advocate)
    as_stranger = services.privacy_findings(f"the victim, Rosa Delvalle, thanks @{handle}", author=advocate)

    assert _kinds(as_member) == _kinds(as_stranger) == ["named_person"]


def test_guard_does_not_report_members_handles(advocate, officer):
    handle = services.handle_for(officer)

    assert services.privacy_findings(f"thanks @{handle} for the slides", author=advocate) == []


def test_guard_reads_at_words_in_posts_as_mentions_unless_a_platform_is_named(advocate):
    assert services.privacy_findings("ask @nobody.here about it", author=advocate) == []
    findings = services.privacy_findings("her IG is @lily_xo09", author=advocate)

    assert [(f["kind"], f["text"]) for f in findings] == [("social_handle", "@lily_xo09")]
