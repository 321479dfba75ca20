"""Posts under the size limit that used to cost seconds to render and check.

Each hostile body is checked the way a reply is (render, mentions, privacy
guard) and compared with an ordinary long reply of the same length checked
in the same run, so a busy machine slows both alike. The bound is "no more
than a few times an ordinary post"; before the bounds these inputs took
between 20 and 400 times as long.
"""

import time

import pytest

from forum import rendering, services
from forum.rendering import MAX_INLINE_MARKUP, MAX_MENTIONS, MAX_SOURCE_CHARS
from tests.forum.factories import make_category, make_thread

pytestmark = pytest.mark.django_db

SIZE = MAX_SOURCE_CHARS - 1_000
ORDINARY = (
    "We met with the county prosecutor on Tuesday to go over the intake protocol for new "
    "referrals and agreed to share the checklist with every partner agency before the next "
    "quarterly meeting. "
) * 3 + "\n\n"

HOSTILE = {
    "distinct handles": " ".join(f"@member{i:04d}" for i in range(4_000)),
    "emphasis bomb": "*a" * (SIZE // 2),
    "strong emphasis bomb": "**a" * (SIZE // 3),
    "mixed emphasis": "*_" * (SIZE // 2),
    "unclosed images": "![" * (SIZE // 2),
    "unclosed links": "[a](" * (SIZE // 4),
    "49-level quotes": ("> " * 49 + "deep\n") * 400,
    "49-level lists": "".join("  " * i + "- x\n" for i in range(49)) * 20,
    "one-word paragraphs": "word\n\n" * (SIZE // 6),
    "list items": "- item\n" * (SIZE // 7),
    "table cells": "|a|b|c|d|e|f|g|h|\n|-|-|-|-|-|-|-|-|\n" + "|x|y|z|w|v|u|t|s|\n" * 2_500,
    "entities": "&#" * (SIZE // 2),
    "email addresses": " ".join(f"person{i}@agency{i}.example.org" for i in range(1_600)),
}


def _check(body, author):
    """What saving a reply does to its body before any write: validate, render, guard."""
    started = time.perf_counter()
    try:
        body, _html = services._validate_body(body)
    except services.ForumError:
        return time.perf_counter() - started, True
    services.privacy_findings(body, author=author)
    return time.perf_counter() - started, False


def _ordinary(length):
    return (ORDINARY * (length // len(ORDINARY) + 1))[:length]


@pytest.mark.parametrize("body", HOSTILE.values(), ids=HOSTILE.keys())
def test_validate_body_bounds_cost_of_hostile_posts(body, member):
    body = body[:SIZE]
    ordinary = _ordinary(len(body))
    # Warm up the parser and the database connection, then take the best of
    # two, which is closer to what the input costs than to what the machine did.
    _check(ordinary[:1000], member)
    baseline = min(_check(_ordinary(len(body) - n), member)[0] for n in range(2))
    elapsed = min(_check(body[: len(body) - n], member)[0] for n in range(2))

    # A bound that a busy machine keeps and a cost growing faster than the text breaks
    # (those took seconds): the worst of these is several times an ordinary post.
    assert elapsed < 10 * baseline + 0.1, (
        f"took {elapsed:.3f}s; an ordinary post of the same size {baseline:.3f}s"
    )


def test_validate_body_refuses_more_than_the_mention_cap_with_a_clear_message(member):
    body = " ".join(f"@member{i}" for i in range(MAX_MENTIONS + 1))

    with pytest.raises(services.ForumError, match=f"mentions 51 members; at most {MAX_MENTIONS}"):
        services._validate_body(body)


def test_validate_body_accepts_mentions_up_to_the_cap(member):
    body = " ".join(f"@member{i}" for i in range(MAX_MENTIONS))

    services._validate_body(body)


def test_render_body_looks_up_a_bounded_number_of_handles(member, django_assert_max_num_queries):
    body = " ".join(f"@member{i}" for i in range(4_000))

    with django_assert_max_num_queries(MAX_MENTIONS):
        services.render_body(body)


def test_users_for_handles_looks_up_at_most_the_cap(member):
    handle = services.handle_for(member)
    handles = [f"nobody{i}" for i in range(MAX_MENTIONS)] + [handle]

    assert services.users_for_handles(handles) == []
    assert services.users_for_handles([handle, *handles]) == [member]


def test_privacy_findings_queries_a_bounded_number_of_addresses(member, django_assert_max_num_queries):
    body = " ".join(f"person{i}@agency.example.org" for i in range(500))

    with django_assert_max_num_queries(MAX_MENTIONS + 5):
        findings = services.privacy_findings(body, author=member)

    assert len(findings) == 500


def test_render_markdown_shows_markup_over_the_budget_as_written():
    bomb = "*a" * MAX_INLINE_MARKUP
    source = f"**bold** start\n\n{bomb}\n\n*still* formatted"

    html = rendering.render_markdown(source)

    assert "<strong>bold</strong>" in html
    assert bomb in html
    assert "<em>still</em>" in html


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("Please call \ufffd\ufffd back", "not valid UTF-8.* on line 1"),
        ("line one\nthe \u202egnp.exe file", "bidirectional overrides\\), on line 2"),
        ("isolate\n\nhere \u2066x\u2069", "bidirectional overrides\\), on line 3"),
    ],
)
def test_validate_body_refuses_unreadable_characters_saying_where(body, message):
    with pytest.raises(services.ForumError, match=message):
        services._validate_body(body)


def test_validate_body_keeps_direction_marks_used_in_right_to_left_text():
    body, _html = services._validate_body("שלום \u200f and \u200e fine")

    assert "\u200f" in body


# --- Posting rate ----------------------------------------------------------------


def test_post_create_refuses_posting_too_fast_and_keeps_the_text(member_client, member, settings):
    # Starting the thread is the first of four posts allowed this minute.
    thread = make_thread(author=member, category=make_category(name="Rate", slug="rate"))
    settings.CONNECT_POST_RATE_LIMITS = ((4, 60),)
    url = f"/discussions/t/{thread.pk}/reply/"
    for n in range(3):
        assert member_client.post(url, {"body": f"Reply number {n}"}).status_code == 302

    response = member_client.post(url, {"body": "The fourth reply, typed with care."})

    page = response.content.decode()
    assert response.status_code == 400
    assert "posted 4 times in the last minute" in page
    assert "The fourth reply, typed with care." in page
    assert thread.posts.count() == 4  # the first post and three replies


def test_thread_create_refuses_posting_too_fast(member, settings):
    settings.CONNECT_POST_RATE_LIMITS = ((1, 60),)
    category = make_category(name="Rate threads", slug="rate-threads")
    services.thread_create(author=member, category=category, title="One", body="First thread.")

    with pytest.raises(services.ForumError, match="posted 1 times"):
        services.thread_create(author=member, category=category, title="Two", body="Second thread.")


def test_resent_submission_is_not_counted_against_the_rate(member, settings):
    # Starting the thread and one reply are the two posts allowed this minute.
    thread = make_thread(author=member, category=make_category(name="Resend", slug="resend"))
    settings.CONNECT_POST_RATE_LIMITS = ((2, 60),)
    first = services.post_create(author=member, thread=thread, body="Once.", submission_token="b" * 32)

    again = services.post_create(author=member, thread=thread, body="Once.", submission_token="b" * 32)

    assert again.pk == first.pk
