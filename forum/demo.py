"""Fictional demo discussions. Every person, case and place here is made up."""

from connect.demo import demo_email
from connect.models import User

from .models import Category, Post, Thread
from .services import handle_for, refresh_thread

# (category slug, title, author key, first post, [(author key, reply)], is_question)
THREADS = [
    (
        "labor-trafficking",
        "Screening questions for agricultural labor cases",
        ("officer", "north-dakota"),
        "We are updating our screening checklist for farmworker outreach. "
        "What questions have worked for you to spot **debt bondage** early?\n\n"
        "- recruitment fees\n- document retention\n- housing deductions",
        [
            (
                ("advocate", "greater-new-orleans"),
                "We ask about who holds the worker's ID first. "
                "Our advocates pair with an interpreter from a partner agency.",
            ),
            (
                ("prosecutor", "palm-beach-county"),
                "Document the wage deductions carefully: "
                "they were key to the forced-labor count in our last trial.",
            ),
        ],
        True,
    ),
    (
        "task-force-operations",
        "Template MOU between law enforcement and service providers?",
        ("coordinator", "western-district-of-new-york"),
        "Does anyone have an MOU template they are willing to share? Ours is from 2019 "
        "and does not cover information sharing with the new regional navigators.",
        [
            (
                ("moderator", "cook-county"),
                "We revised ours last year. I'll post it in the resource library.",
            ),
        ],
        False,
    ),
    (
        "training-events",
        "Trauma-informed interviewing refresher",
        ("advocate", "greater-new-orleans"),
        "We are planning a half-day refresher for new detectives. Suggestions for speakers welcome.",
        [],
        False,
    ),
    (
        "law-enforcement-only",
        "Deconfliction process for multi-agency operations",
        ("officer", "north-dakota"),
        "How do your task forces handle deconfliction before a multi-agency operation?",
        [],
        False,
    ),
    (
        "suggestions",
        "Add a calendar export for training events",
        ("analyst", "cook-county"),
        "It would help to add events to our work calendars with one click.",
        [],
        False,
    ),
]


WELCOME_THREAD = (
    "task-force-operations",
    "Introduce yourself: who you are and what you work on",
    ("moderator", "cook-county"),
    "Welcome to Task Force Connect! Reply here to say hello: your role, your task force, "
    "and one thing you hope to learn or share.\n\n"
    "Please keep it about your work — no case details. The "
    "[community guidelines](/guidelines/) explain what belongs here.",
    [
        (
            ("coordinator", "western-district-of-new-york"),
            "Hi all, I coordinate the Western District of New York task force. "
            "Happy to share our meeting agenda templates.",
        ),
    ],
)


def _user(key):
    local, slug = key
    return User.objects.filter(email=demo_email(local, slug)).first()


def seed_discussions(stdout):
    created = 0
    for slug, title, author_key, body, replies, is_question in THREADS:
        category = Category.objects.filter(slug=slug).first()
        author = _user(author_key)
        if category is None or author is None or Thread.objects.filter(title=title).exists():
            continue
        handle_for(author)
        thread = Thread.objects.create(category=category, title=title, author=author, is_question=is_question)
        from .services import render_body

        Post.objects.create(thread=thread, author=author, body=body, body_html=render_body(body))
        for reply_key, reply in replies:
            reply_author = _user(reply_key)
            if reply_author is not None:
                Post.objects.create(
                    thread=thread, author=reply_author, body=reply, body_html=render_body(reply)
                )
        refresh_thread(thread)
        created += 1
    created += _seed_welcome_thread()
    for user in User.objects.filter(profile__isnull=False):
        handle_for(user)
    stdout.write(f"Discussions: {created} demo threads added.")


def _seed_welcome_thread():
    """The pinned thread the home page's welcome asks newcomers to post in."""
    from .services import render_body

    slug, title, author_key, body, replies = WELCOME_THREAD
    category = Category.objects.filter(slug=slug).first()
    author = _user(author_key)
    if category is None or author is None or Thread.objects.filter(is_welcome=True).exists():
        return 0
    handle_for(author)
    thread = Thread.objects.create(
        category=category, title=title, author=author, is_pinned=True, is_welcome=True
    )
    Post.objects.create(thread=thread, author=author, body=body, body_html=render_body(body))
    for reply_key, reply in replies:
        reply_author = _user(reply_key)
        if reply_author is not None:
            Post.objects.create(thread=thread, author=reply_author, body=reply, body_html=render_body(reply))
    refresh_thread(thread)
    return 1
