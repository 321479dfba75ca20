"""Direction overrides and unreadable bytes are refused in every field members
write, by the one rule of ``connect.text``; new threads have a rate limit of
their own."""

import pytest

from forum import services
from forum.models import Flag, Thread
from resources.models import SharedResource
from tests.connect.test_display_names import _profile_data
from tests.factories import make_member
from tests.forum.factories import make_category, make_thread

pytestmark = pytest.mark.django_db

OVERRIDE = "Invoice \u202egnp.exe"
ISOLATE = "Notes \u2066x\u2069"
UNDECODABLE = "Call \ufffd\ufffd back"


@pytest.fixture
def category():
    return make_category(name="Unreadable", slug="unreadable")


@pytest.mark.parametrize(
    ("title", "message"),
    [
        (OVERRIDE, "bidirectional overrides"),
        (ISOLATE, "bidirectional overrides"),
        (UNDECODABLE, "not valid UTF-8"),
    ],
)
def test_thread_create_refuses_unreadable_characters_in_the_title(member, category, title, message):
    with pytest.raises(services.ForumError, match=message) as caught:
        services.thread_create(author=member, category=category, title=title, body="A plain first post.")
    assert caught.value.field == "title"
    assert not Thread.objects.filter(category=category).exists()


def test_thread_create_view_refuses_an_override_in_the_title_and_keeps_the_text(member_client, category):
    response = member_client.post(
        f"/discussions/c/{category.slug}/new/",
        {"title": OVERRIDE, "body": "The first post, typed with care."},
    )

    page = response.content.decode()
    assert response.status_code == 400
    assert "bidirectional overrides" in page
    assert "The first post, typed with care." in page
    assert not Thread.objects.filter(category=category).exists()


def test_post_edit_refuses_an_override_in_a_new_title(member, category):
    thread = make_thread(author=member, category=category, title="Plain title")

    with pytest.raises(services.ForumError, match="bidirectional overrides"):
        services.post_edit(editor=member, post=thread.first_post, body="Edited.", title=OVERRIDE)
    assert Thread.objects.get(pk=thread.pk).title == "Plain title"


def test_flag_create_refuses_an_override_in_the_details(member, other_member, category):
    thread = make_thread(author=other_member, category=category)

    with pytest.raises(services.ForumError, match="bidirectional overrides") as caught:
        services.flag_create(
            reporter=member, post=thread.first_post, reason=Flag.Reason.values[0], details=ISOLATE
        )
    assert caught.value.field == "details"
    assert not Flag.objects.exists()


def test_flag_create_keeps_direction_marks_in_the_details(member, other_member, category):
    thread = make_thread(author=other_member, category=category)

    flag = services.flag_create(
        reporter=member, post=thread.first_post, reason=Flag.Reason.values[0], details="שלום \u200f fine"
    )
    assert "\u200f" in flag.details


@pytest.mark.parametrize("field", ["title", "summary"])
def test_share_refuses_an_override_in_the_title_or_summary(member_client, library, field):
    data = {
        "title": "Our referral protocol",
        "summary": "How our partners refer cases.",
        "resource_type": "template",
        "external_url": "https://www.example.org/protocol",
    }
    data[field] = OVERRIDE

    response = member_client.post("/library/share/", data)

    assert response.status_code == 200
    assert "bidirectional overrides" in response.content.decode()
    assert not SharedResource.objects.exists()


@pytest.mark.parametrize("field", ["display_name", "title", "agency", "bio"])
def test_profile_edit_refuses_an_override_in_any_field(member_client, member, field):
    before = getattr(member.profile, field)

    response = member_client.post("/profile/", _profile_data(member.profile, **{field: OVERRIDE}))

    assert response.status_code == 200
    assert "bidirectional overrides" in response.content.decode()
    member.profile.refresh_from_db()
    assert getattr(member.profile, field) == before


# --- Thread rate ----------------------------------------------------------------------


def test_thread_create_refuses_starting_threads_too_fast_and_keeps_the_text(
    member_client, member, category, settings
):
    settings.CONNECT_THREAD_RATE_LIMITS = ((2, 600),)
    url = f"/discussions/c/{category.slug}/new/"
    for n in range(2):
        assert member_client.post(url, {"title": f"Thread {n}", "body": "A first post."}).status_code == 302

    response = member_client.post(url, {"title": "The third", "body": "A third thread, typed with care."})

    page = response.content.decode()
    assert response.status_code == 400
    assert "started 2 threads in the last 10 minutes" in page
    assert "A third thread, typed with care." in page
    assert Thread.objects.filter(category=category).count() == 2
    # Replies are not threads: the member can still reply.
    thread = Thread.objects.filter(category=category).first()
    assert (
        member_client.post(f"/discussions/t/{thread.pk}/reply/", {"body": "Still here."}).status_code == 302
    )


def test_thread_create_rate_is_per_member(member, category, settings):
    settings.CONNECT_THREAD_RATE_LIMITS = ((1, 600),)
    services.thread_create(author=member, category=category, title="Mine", body="First.")

    other = make_member()
    services.thread_create(author=other, category=category, title="Theirs", body="First.")
    with pytest.raises(services.ForumError, match="started 1 threads"):
        services.thread_create(author=member, category=category, title="Again", body="Second.")
