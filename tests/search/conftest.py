"""A small community to search: every value is fictional."""

import datetime

import pytest
from modelsearch.backends import get_search_backend

from connect.models import ContactVisibility, Discipline, MemberProfile, Role, TaskForce
from forum.models import Post
from resources.models import EventIndexPage, ResourceLibraryPage, ResourceType, Topic
from search import selectors
from tests.factories import TaskForceFactory, make_member
from tests.forum.factories import make_category, make_post, make_thread
from tests.resources.conftest import make_event, make_resource
from tests.spotlights.conftest import make_spotlight


def reindex():
    """Put every searchable row in the index, as a rebuild would."""
    backend = get_search_backend()
    for model in {source.model for source in selectors.sources()}:
        backend.add_bulk(model, list(model.get_indexed_objects()))


@pytest.fixture
def world(db):
    gulf = TaskForceFactory(name="Gulf Coast Anti-Trafficking Task Force", jurisdiction="Harbor County")
    plains = TaskForceFactory(name="Plains Regional Task Force", jurisdiction="Prairie County")
    officer = make_member(task_force=gulf, first_name="Dana", last_name="Officer")
    advocate = make_member(
        task_force=plains, discipline=Discipline.VICTIM_SERVICES, first_name="Robin", last_name="Advocate"
    )
    moderator = make_member(role=Role.MODERATOR, discipline=Discipline.COORDINATION, task_force=gulf)
    hidden = make_member(
        task_force=gulf, first_name="Quinn", last_name="Private", email="quinn.zebulon@police.example.gov"
    )
    MemberProfile.objects.filter(user=hidden).update(
        phone="555-0142",
        phone_visibility=ContactVisibility.NOBODY,
        email_visibility=ContactVisibility.NOBODY,
        bio="Works on deconfliction of undercover operations.",
    )

    general = make_category(name="Interview practice", slug="interview-practice")
    casework = make_category(name="Field casework", slug="field-casework")
    secret = make_category(
        name="Sworn officers only", slug="sworn-only", disciplines=[Discipline.LAW_ENFORCEMENT]
    )
    interviews = make_thread(
        author=advocate,
        category=general,
        title="Interview rooms for survivors",
        body="We set up a quiet room. Victim interviews go better there.",
    )
    reply = make_post(author=officer, thread=interviews, body="Victim interviews should be recorded too.")
    fusion = make_thread(
        author=officer,
        category=casework,
        title="Working with the fusion center",
        body="How does your fusion center share alerts with the task force?",
    )
    decon = make_post(author=advocate, thread=fusion, body="Always run deconfliction before an operation.")
    labor = make_thread(
        author=advocate,
        category=casework,
        title="Labor trafficking indicators on farms",
        body="Recruiters hold passports and wages.",
    )
    bluefin = make_thread(
        author=officer,
        category=secret,
        title="Operation Bluefin briefing",
        body="Bluefin undercover plan, recruiters and the motel.",
    )
    held = make_post(author=advocate, thread=labor, body="Held text about kestrelwood recruiters.")
    Post.objects.filter(pk=held.pk).update(status=Post.Status.HELD)

    library = ResourceLibraryPage.objects.get()
    events = EventIndexPage.objects.get()
    topic = Topic.objects.create(name="Victim services")
    other_topic = Topic.objects.create(name="Labor trafficking")
    guide = make_resource(
        library,
        title="Guide to recording victim interviews",
        summary="How to record interviews with survivors, step by step.",
        topics=[topic],
    )
    toolkit = make_resource(
        library,
        title="Labor trafficking screening toolkit",
        summary="Questions for screening farm workers for labor trafficking.",
        resource_type=ResourceType.TOOLKIT,
        topics=[other_topic],
    )
    webinar = make_resource(
        library,
        title="Webinar: the national resource center",
        summary="A recorded webinar from the resource center on trauma-informed care.",
        resource_type=ResourceType.WEBINAR,
    )
    draft = make_resource(library, title="Draft kestrelwood protocol", live=False)
    event = make_event(events, title="Coordinators call on labor trafficking", summary="Monthly call.")
    spotlight = make_spotlight(
        __import__("spotlights.models", fromlist=["SpotlightIndexPage"]).SpotlightIndexPage.objects.get(),
        gulf,
        title="Gulf Coast's survivor-led outreach",
        summary="How the task force works with survivors on outreach.",
        weeks_ago=1,
    )
    future = make_spotlight(
        __import__("spotlights.models", fromlist=["SpotlightIndexPage"]).SpotlightIndexPage.objects.get(),
        plains,
        title="Next week kestrelwood spotlight",
        weeks_ago=-1,
    )
    reindex()
    return {
        "gulf": gulf,
        "plains": plains,
        "officer": officer,
        "advocate": advocate,
        "moderator": moderator,
        "hidden": hidden,
        "general": general,
        "casework": casework,
        "secret": secret,
        "interviews": interviews,
        "reply": reply,
        "fusion": fusion,
        "decon": decon,
        "labor": labor,
        "bluefin": bluefin,
        "held": held,
        "guide": guide,
        "toolkit": toolkit,
        "webinar": webinar,
        "draft": draft,
        "event": event,
        "spotlight": spotlight,
        "future": future,
        "topic": topic,
        "other_topic": other_topic,
        "today": datetime.date.today(),
        "TaskForce": TaskForce,
    }
