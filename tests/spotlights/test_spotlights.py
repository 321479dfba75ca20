import datetime
import io

import pytest
from django.urls import reverse
from django.utils import timezone
from wagtail.test.utils.form_data import nested_form_data, rich_text, streamfield

from spotlights.models import SpotlightPage
from spotlights.selectors import this_weeks_spotlight
from tests.factories import TaskForceFactory, make_member

from .conftest import make_spotlight

pytestmark = pytest.mark.django_db


def _image():
    from django.core.files.images import ImageFile
    from PIL import Image
    from wagtail.images import get_image_model

    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), "green").save(buffer, "PNG")
    return get_image_model().objects.create(title="Dairy farm", file=ImageFile(buffer, name="farm.png"))


def test_spotlight_index_lives_at_spotlights(spotlight_index):
    assert spotlight_index.url == "/spotlights/"


def test_this_weeks_spotlight_is_newest_begun_live_one(member, spotlight_index, task_force):
    make_spotlight(spotlight_index, task_force, title="Last week", weeks_ago=1)
    current = make_spotlight(spotlight_index, task_force, title="This week", weeks_ago=0)
    make_spotlight(spotlight_index, task_force, title="Next week", weeks_ago=-1)
    make_spotlight(spotlight_index, task_force, title="Draft this week", weeks_ago=0, live=False)
    assert this_weeks_spotlight(member).pk == current.pk


def test_home_page_shows_this_weeks_spotlight(member_client, spotlight_index, task_force):
    make_spotlight(spotlight_index, task_force, title="Navigators across the state")
    make_spotlight(spotlight_index, task_force, title="Future spotlight", weeks_ago=-2)
    html = member_client.get("/").content.decode()
    assert "This week’s spotlight" in html
    assert "Navigators across the state" in html
    assert "Future spotlight" not in html


def test_archive_filters_by_year_and_task_force(member_client, spotlight_index, task_force):
    other = TaskForceFactory()
    make_spotlight(spotlight_index, task_force, title="Ours")
    make_spotlight(spotlight_index, other, title="Theirs", weeks_ago=60)
    response = member_client.get("/spotlights/")
    assert {s.title for s in response.context["spotlights"]} == {"Ours", "Theirs"}
    response = member_client.get("/spotlights/", {"task_force": other.slug})
    assert [s.title for s in response.context["spotlights"]] == ["Theirs"]
    year = (timezone.localdate() - datetime.timedelta(weeks=60)).year
    response = member_client.get("/spotlights/", {"year": str(year)})
    assert "Theirs" in [s.title for s in response.context["spotlights"]]
    assert member_client.get("/spotlights/", {"year": "abc", "page": "x"}).status_code == 200


def test_task_force_page_lists_its_spotlights(member_client, spotlight_index, task_force):
    make_spotlight(spotlight_index, task_force, title="Dairy farm outreach")
    response = member_client.get(task_force.get_absolute_url())
    assert response.status_code == 200
    assert "Dairy farm outreach" in response.content.decode()


def test_unpublished_and_scheduled_spotlights_are_invisible(
    member_client, member, spotlight_index, task_force
):
    draft = make_spotlight(spotlight_index, task_force, title="Draft", live=False)
    scheduled = make_spotlight(spotlight_index, task_force, title="Scheduled", live=False)
    scheduled.go_live_at = timezone.now() + datetime.timedelta(days=2)
    scheduled.save_revision().publish()  # with a future go-live date this only schedules it
    scheduled.refresh_from_db()
    assert not scheduled.live
    for page in (draft, scheduled):
        assert member_client.get(f"/spotlights/{page.slug}/").status_code == 404
    assert "Scheduled" not in member_client.get("/spotlights/").content.decode()
    assert not SpotlightPage.searchable_for(member).exists()


def test_spotlights_hidden_from_non_members(client, spotlight_index, task_force):
    page = make_spotlight(spotlight_index, task_force, title="Members only")
    assert client.get(page.url).status_code == 302
    client.force_login(make_member(role=None))
    response = client.get(page.url)
    assert response.status_code == 403
    assert "Members only" not in response.content.decode()


def test_image_needs_alt_text(task_force):
    from django.core.exceptions import ValidationError

    page = SpotlightPage(title="x", summary="y", task_force=task_force, week=datetime.date(2026, 1, 7))
    page.image = _image()
    with pytest.raises(ValidationError) as error:
        page.clean()
    assert "image_alt" in error.value.message_dict
    page.image_alt = "Cows in a barn"
    page.clean()
    assert page.week == datetime.date(2026, 1, 5)  # snapped to the Monday


def test_moderator_creates_spotlight_in_admin_and_member_reads_it(
    moderator_client, member_client, spotlight_index, task_force
):
    image = _image()
    url = reverse("wagtailadmin_pages:add", args=("spotlights", "spotlightpage", spotlight_index.pk))
    assert moderator_client.get(url).status_code == 200
    data = nested_form_data(
        {
            "title": "Reading the local economy",
            "slug": "reading-the-local-economy",
            "week": timezone.localdate().isoformat(),
            "task_force": task_force.pk,
            "summary": "A threat assessment that led to outreach on dairy farms.",
            "image": image.pk,
            "image_alt": "A dairy barn at sunrise",
            "tags": "labor trafficking, outreach",
            "body": streamfield(
                [
                    ("paragraph", rich_text("<p>They started with public data.</p>")),
                    ("pull_quote", {"quote": "We went where the work is.", "attribution": "A coordinator"}),
                    (
                        "key_practices",
                        {
                            "heading": "Key practices",
                            "practices": streamfield([("item", "Map local industries")]),
                        },
                    ),
                ]
            ),
            "action-publish": "publish",
        }
    )
    response = moderator_client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:4000]
    page = SpotlightPage.objects.get(title="Reading the local economy")
    assert page.live
    monday = timezone.localdate() - datetime.timedelta(days=timezone.localdate().weekday())
    assert page.slug == f"{monday:%Y-%m-%d}-reading-the-local-economy"
    response = member_client.get(page.url)
    assert response.status_code == 200
    html = response.content.decode()
    assert "We went where the work is." in html
    assert "Map local industries" in html
    assert 'alt="A dairy barn at sunrise"' in html
    assert "/library/media/images/" in html  # renditions never come from a public media URL
    assert task_force.get_absolute_url() in html


def test_members_cannot_open_page_editor(member_client, spotlight_index):
    url = reverse("wagtailadmin_pages:add", args=("spotlights", "spotlightpage", spotlight_index.pk))
    response = member_client.get(url)
    assert response.status_code == 404


def test_document_linked_from_spotlight_follows_the_spotlight(member_client, spotlight_index, task_force):
    from tests.resources.conftest import make_document

    shown = make_document("Outreach plan")
    hidden = make_document("Unreleased plan")
    make_spotlight(
        spotlight_index,
        task_force,
        title="Live one",
        body=[("paragraph", f'<p><a linktype="document" id="{shown.pk}">plan</a></p>')],
    )
    make_spotlight(
        spotlight_index,
        task_force,
        title="Draft one",
        live=False,
        body=[("paragraph", f'<p><a linktype="document" id="{hidden.pk}">plan</a></p>')],
    )
    assert member_client.get(shown.url).status_code == 200
    assert member_client.get(hidden.url).status_code == 404


def test_publish_scheduled_makes_scheduled_spotlight_this_weeks(
    member_client, member, moderator, spotlight_index, task_force
):
    from unittest import mock

    from django.core.management import call_command

    older = make_spotlight(spotlight_index, task_force, title="Last week's", weeks_ago=1)
    scheduled = make_spotlight(spotlight_index, task_force, title="Scheduled for today", live=False)
    go_live_at = timezone.now() + datetime.timedelta(hours=1)
    scheduled.go_live_at = go_live_at
    # The go-live date is in the revision too: publish_scheduled publishes that
    # revision, and a revision whose own date is still ahead is only scheduled
    # again. So time must really pass (here: the clock moves), not just a column.
    scheduled.save_revision(user=moderator).publish(user=moderator)
    scheduled.refresh_from_db()
    assert not scheduled.live
    assert this_weeks_spotlight(member).pk == older.pk
    assert member_client.get(f"/spotlights/{scheduled.slug}/").status_code == 404

    call_command("publish_scheduled", stdout=io.StringIO())  # not yet its time
    scheduled.refresh_from_db()
    assert not scheduled.live

    later = go_live_at + datetime.timedelta(minutes=5)
    with mock.patch("django.utils.timezone.now", return_value=later):
        call_command("publish_scheduled", stdout=io.StringIO())
    scheduled.refresh_from_db()
    assert scheduled.live
    assert this_weeks_spotlight(member).pk == scheduled.pk
    assert member_client.get(f"/spotlights/{scheduled.slug}/").status_code == 200
    html = member_client.get("/").content.decode()
    assert "Scheduled for today" in html and "Last week&#x27;s" not in html


def test_document_in_unpublished_revision_of_live_spotlight_stays_hidden(
    member_client, spotlight_index, task_force
):
    from tests.resources.conftest import make_document

    shown = make_document("Published plan")
    pending = make_document("Plan in a draft revision")
    page = make_spotlight(
        spotlight_index,
        task_force,
        title="Live with draft changes",
        body=[("paragraph", f'<p><a linktype="document" id="{shown.pk}">plan</a></p>')],
    )
    page.body = [("paragraph", f'<p><a linktype="document" id="{pending.pk}">new plan</a></p>')]
    page.save_revision()
    assert member_client.get(shown.url).status_code == 200
    assert member_client.get(pending.url).status_code == 404


def _queries(client, path):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        response = client.get(path)
    assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("path", ["/spotlights/", "/spotlights/?year={year}", "/"])
def test_spotlight_archive_query_count_does_not_grow(member_client, spotlight_index, path):
    path = path.format(year=timezone.localdate().year)

    def add(n):
        make_spotlight(
            spotlight_index,
            TaskForceFactory(),
            title=f"Spotlight {n}",
            weeks_ago=n,
            image=_image(),
            image_alt="A barn",
        )

    for n in range(2):
        add(n)
    member_client.get(path)  # warm caches and renditions
    few = _queries(member_client, path)
    for n in range(2, 8):
        add(n)
    member_client.get(path)
    many = _queries(member_client, path)
    assert many == few, f"{few} queries with 2 spotlights, {many} with 8"


def _heading_levels(html):
    import re

    return [int(level) for level in re.findall(r"<h([1-6])[\s>]", html.split("<main", 1)[-1])]


def test_spotlight_pages_headings_never_skip_a_level(member_client, spotlight_index, task_force):
    page = make_spotlight(
        spotlight_index,
        task_force,
        title="Headings",
        image=_image(),
        image_alt="Partners around a table",
        body=[
            ("paragraph", "<p>Text</p>"),
            ("key_practices", {"heading": "Key practices", "practices": ["One"]}),
        ],
    )
    make_spotlight(spotlight_index, task_force, title="Older", weeks_ago=3)
    for path in ("/spotlights/", page.url):
        html = member_client.get(path).content.decode()
        levels = _heading_levels(html)
        assert levels[0] == 1, path
        assert all(b - a <= 1 for a, b in zip(levels, levels[1:], strict=False)), (path, levels)
        assert "<img" in html and 'alt="Partners around a table"' in html
        # Content images describe themselves; decorative icons in the header may not.
        assert 'alt=""' not in html.split('id="main-content"', 1)[1]
    html = member_client.get("/spotlights/").content.decode()
    assert 'aria-label="Filter spotlights"' in html and 'aria-current="true"' in html


def test_moderator_publishes_spotlight_for_a_later_week_in_one_action(
    moderator_client, member_client, spotlight_index, task_force
):
    """The week is the schedule: "Publish" on a spotlight for next week makes it
    live, members see it from that Monday, and the editor offers no second,
    overlapping go-live picker."""
    url = reverse("wagtailadmin_pages:add", args=("spotlights", "spotlightpage", spotlight_index.pk))
    editor = moderator_client.get(url).content.decode()
    assert 'name="go_live_at"' not in editor and 'name="expire_at"' not in editor
    next_week = timezone.localdate() + datetime.timedelta(days=7)
    data = nested_form_data(
        {
            "title": "Next week's spotlight",
            "slug": "",
            "week": next_week.isoformat(),
            "task_force": task_force.pk,
            "summary": "Scheduled ahead.",
            "image_alt": "",
            "tags": "",
            "body": streamfield([]),
            "action-publish": "publish",
        }
    )
    response = moderator_client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    page = SpotlightPage.objects.get(title="Next week's spotlight")
    assert page.live
    assert page.week.weekday() == 0 and page.slug.startswith(f"{page.week:%Y-%m-%d}-")
    assert member_client.get(page.url).status_code == 404  # not before its Monday


def test_abandoned_spotlight_draft_never_blocks_the_next_with_a_slug_in_use(
    moderator_client, spotlight_index, task_force
):
    url = reverse("wagtailadmin_pages:add", args=("spotlights", "spotlightpage", spotlight_index.pk))
    week = timezone.localdate()

    def add(action):
        data = {
            "title": "Regional navigators",
            "slug": "regional-navigators",
            "week": week.isoformat(),
            "task_force": task_force.pk,
            "summary": "Navigators in every county.",
            "image_alt": "",
            "tags": "",
            "body": streamfield([]),
            action: action,
        }
        return moderator_client.post(url, nested_form_data(data))

    assert add("action-save").status_code == 302  # a draft, then abandoned
    response = add("action-publish")
    assert response.status_code == 302, response.content.decode()[:3000]
    slugs = sorted(SpotlightPage.objects.filter(title="Regional navigators").values_list("slug", flat=True))
    assert len(slugs) == 2 and slugs[0] != slugs[1]


def test_spotlight_submitted_for_review_is_approved_by_another_moderator(
    moderator_client, member_client, spotlight_index, task_force
):
    from django.test import Client
    from wagtail.models import WorkflowState

    from connect.models import Role

    url = reverse("wagtailadmin_pages:add", args=("spotlights", "spotlightpage", spotlight_index.pk))
    data = nested_form_data(
        {
            "title": "Submitted spotlight",
            "slug": "submitted-spotlight",
            "week": timezone.localdate().isoformat(),
            "task_force": task_force.pk,
            "summary": "Waiting for a second pair of eyes.",
            "image_alt": "",
            "tags": "",
            "body": streamfield([]),
            "action-submit": "submit",
        }
    )
    assert moderator_client.post(url, data).status_code == 302
    page = SpotlightPage.objects.get(title="Submitted spotlight")
    assert not page.live
    state = WorkflowState.objects.get(object_id=str(page.pk), status=WorkflowState.STATUS_IN_PROGRESS)
    assert member_client.get(f"/spotlights/{page.slug}/").status_code == 404

    reviewer = Client()
    reviewer.force_login(make_member(role=Role.MODERATOR))
    action = reverse(
        "wagtailadmin_pages:workflow_action", args=[page.pk, "approve", state.current_task_state.pk]
    )
    assert reviewer.post(action, {"comment": ""}).status_code in (200, 302)
    page.refresh_from_db()
    assert page.live
    assert this_weeks_spotlight(make_member()).pk == page.pk


def test_admin_refuses_spotlight_image_without_alt_text(moderator_client, spotlight_index, task_force):
    image = _image()
    url = reverse("wagtailadmin_pages:add", args=("spotlights", "spotlightpage", spotlight_index.pk))
    base = {
        "title": "No alt",
        "slug": "no-alt",
        "week": timezone.localdate().isoformat(),
        "task_force": task_force.pk,
        "summary": "s",
        "tags": "",
        "action-publish": "publish",
    }
    data = nested_form_data({**base, "image": image.pk, "image_alt": "  ", "body": streamfield([])})
    response = moderator_client.post(url, data)
    assert response.status_code == 200
    assert "alt text is required" in response.content.decode()
    data = nested_form_data(
        {
            **base,
            "image_alt": "",
            "body": streamfield([("image", {"image": image.pk, "alt_text": "", "caption": ""})]),
        }
    )
    assert moderator_client.post(url, data).status_code == 200
    assert not SpotlightPage.objects.filter(slug="no-alt").exists()
