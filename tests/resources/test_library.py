import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from connect import fragments
from connect.models import Role
from resources.models import Audience, DocumentDownload, ResourcePage, ResourceType, Topic
from resources.selectors import PAGE_SIZE
from tests.factories import make_member

from .conftest import make_document, make_resource

pytestmark = pytest.mark.django_db


def shown(response, key):
    """What the page had to show under ``key`` (the view hands the listing over lazily)."""
    value = response.context[key]
    return value() if callable(value) else value


def test_library_page_lives_at_resources_under_home(library):
    assert library.url == "/resources/"
    assert library.get_parent().specific.__class__.__name__ == "HomePage"


def test_library_page_lists_live_resources_for_member(member_client, library, topic):
    make_resource(library, title="Visible guide", topics=[topic])
    make_resource(library, title="Draft guide", live=False)
    response = member_client.get("/resources/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Visible guide" in html
    assert "Draft guide" not in html
    assert "Labor trafficking" in html


def test_library_filters_by_type_and_topic_with_counts(member_client, library, topic):
    other = Topic.objects.create(name="Victim interviews")
    make_resource(library, title="Checklist one", resource_type=ResourceType.CHECKLIST, topics=[topic])
    make_resource(library, title="Checklist two", resource_type=ResourceType.CHECKLIST, topics=[other])
    make_resource(library, title="Guide one", resource_type=ResourceType.GUIDE, topics=[topic])

    response = member_client.get("/resources/", {"type": "checklist"})
    titles = [r.title for r in shown(response, "resources")]
    assert sorted(titles) == ["Checklist one", "Checklist two"]
    facets = {f["key"]: f for f in shown(response, "facets")}
    type_counts = {c["value"]: c["count"] for c in facets["type"]["choices"]}
    # A facet's counts ignore its own choice, so members see the alternatives.
    assert type_counts == {"checklist": 2, "guide": 1}
    topic_counts = {c["value"]: c["count"] for c in facets["topic"]["choices"]}
    assert topic_counts == {topic.slug: 1, other.slug: 1}

    response = member_client.get("/resources/", {"type": "checklist", "topic": topic.slug})
    assert [r.title for r in shown(response, "resources")] == ["Checklist one"]
    assert "Checklist one" in response.content.decode()


def test_library_filters_by_audience_and_source(member_client, library, source):
    audience = Audience.objects.get(slug="prosecution")
    page = make_resource(library, title="For prosecutors", source=source)
    page.audiences.set([audience])
    page.save_revision().publish()
    make_resource(library, title="For everyone")
    response = member_client.get("/resources/", {"audience": "prosecution"})
    assert [r.title for r in shown(response, "resources")] == ["For prosecutors"]
    response = member_client.get("/resources/", {"source": source.slug})
    assert [r.title for r in shown(response, "resources")] == ["For prosecutors"]


def test_library_sorts_by_title_and_downloads(member_client, library):
    popular = make_resource(library, title="Zebra toolkit", document=make_document("Zebra"), external_url="")
    make_resource(library, title="Alpha guide")
    DocumentDownload.objects.create(document=popular.document, count=12)
    response = member_client.get("/resources/", {"sort": "title"})
    assert [r.title for r in shown(response, "resources")] == ["Alpha guide", "Zebra toolkit"]
    response = member_client.get("/resources/", {"sort": "downloads"})
    assert [r.title for r in shown(response, "resources")][0] == "Zebra toolkit"


def test_library_ignores_unknown_sort_and_bad_page(member_client, library):
    make_resource(library, title="Only one")
    response = member_client.get("/resources/", {"sort": "drop table", "page": "999"})
    assert response.status_code == 200
    assert shown(response, "sort") == "newest"


def test_library_paginates(member_client, library):
    for n in range(PAGE_SIZE + 3):
        make_resource(library, title=f"Resource {n:02d}")
    response = member_client.get("/resources/", {"sort": "title", "page": 2})
    assert len(shown(response, "resources")) == 3
    assert 'aria-label="Page 2"' in response.content.decode()


def _library_queries(client, path="/resources/"):
    fragments.bump(fragments.PAGES)  # the listing is built again, not served from the cache
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(path)
    assert response.status_code == 200
    return len(ctx.captured_queries)


LIBRARY_PATHS = [
    "/resources/",
    "/resources/?sort=downloads",
    "/resources/?type=guide&topic=labor-trafficking&reviewed=yes&sort=title",
]


def test_library_query_count_does_not_grow_with_resources(member_client, library, topic, source):
    # One library for every listing: publishing the resources costs far more than a page view.
    topics = [topic, Topic.objects.create(name="Protocols")]
    audiences = list(Audience.objects.all()[:2])

    def add(name):
        page = make_resource(
            library,
            title=name,
            topics=topics,
            source=source,
            document=make_document(name),
            featured=True,
            reviewed_by_training_provider=True,
        )
        page.audiences.set(audiences)
        page.save_revision().publish()
        DocumentDownload.objects.create(document=page.document, count=3)

    for n in range(3):
        add(f"Few {n}")
    few = {}
    for path in LIBRARY_PATHS:
        member_client.get(path)  # warm caches (site root, content types)
        few[path] = _library_queries(member_client, path)
    for n in range(3, 18):
        add(f"Many {n}")
    for path in LIBRARY_PATHS:
        many = _library_queries(member_client, path)
        assert many == few[path], f"{path}: {few[path]} queries with 3 resources, {many} with 18"
        html = member_client.get(path).content.decode()
        assert "Reviewed by a training provider" in html and "For " + audiences[0].name in html


def test_library_hidden_from_anonymous_and_non_members(client, library):
    make_resource(library, title="Secret guide")
    response = client.get("/resources/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]
    outsider = make_member(role=None)
    client.force_login(outsider)
    response = client.get("/resources/")
    assert response.status_code == 403
    assert "Secret guide" not in response.content.decode()


def test_unpublished_and_scheduled_resources_are_404(member_client, library):
    from datetime import timedelta

    from django.utils import timezone

    draft = make_resource(library, title="Draft", live=False)
    scheduled = make_resource(library, title="Scheduled", live=False)
    scheduled.go_live_at = timezone.now() + timedelta(days=3)
    scheduled.save_revision().publish()
    scheduled.refresh_from_db()
    assert not scheduled.live
    assert member_client.get(draft.url or f"/resources/{draft.slug}/").status_code == 404
    assert member_client.get(f"/resources/{scheduled.slug}/").status_code == 404
    assert not ResourcePage.searchable_for(make_member()).filter(pk__in=[draft.pk, scheduled.pk]).exists()


def test_resource_page_renders_for_member(member_client, library, topic, source):
    page = make_resource(library, title="Interview guide", topics=[topic], source=source)
    response = member_client.get(page.url)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Interview guide" in html
    assert "Example Training Center" in html
    assert page.get_absolute_url() == page.url


def test_resource_needs_exactly_one_target(library):
    from django.core.exceptions import ValidationError

    page = ResourcePage(title="Nothing", summary="x", resource_type="guide")
    with pytest.raises(ValidationError):
        page.clean()
    page = ResourcePage(
        title="Two", summary="x", external_url="https://a.example", video_url="https://b.example"
    )
    with pytest.raises(ValidationError):
        page.clean()


def test_members_cannot_reach_admin(member_client):
    # The admin is invisible to members: a 404, as for anything they may not see.
    response = member_client.get("/admin/")
    assert response.status_code == 404


def test_moderator_creates_resource_in_admin_and_member_reads_it(
    moderator_client, member_client, library, topic
):
    from django.urls import reverse

    url = reverse("wagtailadmin_pages:add", args=("resources", "resourcepage", library.pk))
    assert moderator_client.get(url).status_code == 200
    response = moderator_client.post(
        url,
        {
            "title": "Roadmap for task forces",
            "slug": "roadmap",
            "summary": "How to build a task force.",
            "resource_type": "guide",
            "topics": [topic.pk],
            "external_url": "https://www.example.org/roadmap",
            "action-publish": "publish",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    page = ResourcePage.objects.get(slug="roadmap")
    assert page.live
    response = member_client.get("/resources/roadmap/")
    assert response.status_code == 200
    assert "Roadmap for task forces" in response.content.decode()


def test_moderator_role_can_manage_taxonomy(db):
    moderator = make_member(role=Role.MODERATOR)
    assert moderator.has_perm("resources.add_topic")
    assert not make_member().has_perm("resources.add_topic")


def test_library_shows_featured_resources_first_page_only(member_client, library):
    make_resource(library, title="Featured roadmap", featured=True)
    make_resource(library, title="Ordinary guide")
    response = member_client.get("/resources/")
    assert [r.title for r in shown(response, "featured")] == ["Featured roadmap"]
    assert 'id="featured-heading"' in response.content.decode()
    assert shown(member_client.get("/resources/", {"type": "guide"}), "featured") == []


def test_library_filters_by_marks_with_counts_from_other_filters(member_client, library, topic):
    make_resource(
        library, title="Reviewed checklist", resource_type="checklist", reviewed_by_training_provider=True
    )
    make_resource(
        library,
        title="Reviewed featured guide",
        topics=[topic],
        featured=True,
        reviewed_by_training_provider=True,
    )
    make_resource(library, title="Featured guide", topics=[topic], featured=True)
    make_resource(library, title="Plain guide")

    def facets(**params):
        response = member_client.get("/resources/", params)
        assert response.status_code == 200
        counts = {f["key"]: {c["label"]: c["count"] for c in f["choices"]} for f in shown(response, "facets")}
        return response, counts

    response, counts = facets()
    assert counts["marks"] == {"Featured": 2, "Reviewed by a training provider": 2}
    html = response.content.decode()
    assert "?reviewed=yes" in html and "?featured=yes" in html

    response, counts = facets(reviewed="yes")
    assert sorted(r.title for r in shown(response, "resources")) == [
        "Reviewed checklist",
        "Reviewed featured guide",
    ]
    # Every other choice is counted among reviewed resources only.
    assert counts["type"] == {"Checklist": 1, "Guide": 1}
    assert counts["topic"] == {"Labor trafficking": 1}
    assert counts["marks"] == {"Featured": 1, "Reviewed by a training provider": 2}
    reviewed = next(
        c for f in shown(response, "facets") if f["key"] == "marks" for c in f["choices"] if c["selected"]
    )
    assert reviewed["url"] == "?"  # choosing it again takes the filter off

    response, counts = facets(reviewed="yes", featured="yes", topic=topic.slug)
    assert [r.title for r in shown(response, "resources")] == ["Reviewed featured guide"]
    assert counts["type"] == {"Guide": 1}

    response, counts = facets(type="guide")
    assert counts["marks"] == {"Featured": 2, "Reviewed by a training provider": 1}
    # The sort form keeps the chosen filters.
    response = member_client.get("/resources/", {"featured": "yes", "sort": "title"})
    assert 'name="featured" value="yes"' in response.content.decode()
    assert [r.title for r in shown(response, "resources")] == ["Featured guide", "Reviewed featured guide"]


def test_library_and_resource_headings_never_skip_a_level(member_client, library, topic):
    import re

    page = make_resource(library, title="Featured guide", topics=[topic], featured=True)
    for path in ("/resources/", page.url):
        html = member_client.get(path).content.decode().split("<main", 1)[-1]
        levels = [int(level) for level in re.findall(r"<h([1-6])[\s>]", html)]
        assert levels[0] == 1, path
        assert all(b - a <= 1 for a, b in zip(levels, levels[1:], strict=False)), (path, levels)
    html = member_client.get("/resources/").content.decode()
    assert '<label class="usa-label margin-top-0" for="library-sort">' in html
    assert 'aria-label="Filter resources"' in html
    html = member_client.get("/resources/", {"topic": topic.slug}).content.decode()
    assert 'aria-current="true"' in html


def test_library_sorts_featured_and_reviewed_first(member_client, library):
    make_resource(library, title="Plain")
    make_resource(library, title="Reviewed", reviewed_by_training_provider=True)
    make_resource(library, title="Featured", featured=True)
    make_resource(library, title="Both", featured=True, reviewed_by_training_provider=True)
    response = member_client.get("/resources/", {"sort": "featured"})
    assert [r.title for r in shown(response, "resources")] == ["Both", "Featured", "Reviewed", "Plain"]
    assert '<option value="featured" selected>' in response.content.decode()
