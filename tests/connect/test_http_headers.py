"""Headers every response carries: Content-Security-Policy, Permissions-Policy,
Cache-Control; and addresses with a NUL byte refused before they reach a query."""

import pytest
from django.test import Client

from resources.models import CalendarFeed
from tests.forum.factories import make_category, make_thread
from tests.resources.conftest import make_document, make_resource

pytestmark = pytest.mark.django_db


def _directives(response):
    policy = response["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in policy.split("; ") if part}


def _assert_strict_policy(response):
    directives = _directives(response)
    assert directives["script-src"] == ["'self'"]
    assert directives["style-src"] == ["'self'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["object-src"] == ["'none'"]
    assert directives["base-uri"] == ["'none'"]
    assert directives["default-src"] == ["'none'"]
    assert "'unsafe-inline'" not in response["Content-Security-Policy"]
    assert "'unsafe-eval'" not in response["Content-Security-Policy"]


def _assert_permissions_policy(response):
    policy = response["Permissions-Policy"]
    for feature in ("camera=()", "microphone=()", "geolocation=()", "payment=()", "usb=()"):
        assert feature in policy


@pytest.fixture
def member_thread(member):
    category = make_category()
    return make_thread(author=member, category=category, title="Screening questions")


@pytest.fixture
def published_doc(db):
    from resources.models import ResourceLibraryPage

    document = make_document("Roadmap", name="roadmap.pdf")
    make_resource(ResourceLibraryPage.objects.get(), title="Roadmap", document=document, external_url="")
    return document


@pytest.mark.parametrize("path", ["/", "/accounts/login/", "/join/request/", "/privacy/"])
def test_public_pages_carry_strict_policies(client, path):
    response = client.get(path)
    assert response.status_code == 200
    _assert_strict_policy(response)
    _assert_permissions_policy(response)
    assert "no-store" in response["Cache-Control"]


def test_member_pages_carry_strict_policies_and_no_store(member_client, member_thread, published_doc):
    for path in (
        "/",
        member_thread.get_absolute_url(),
        "/discussions/",
        "/members/",
        "/search/?q=screening",
        "/discussions/members.json?q=a",
        "/profile/",
        published_doc.url,
    ):
        response = member_client.get(path)
        assert response.status_code == 200, path
        assert "no-store" in response["Cache-Control"], path
        assert "max-age" not in response["Cache-Control"], path
        _assert_permissions_policy(response)
        if not path.startswith("/documents/"):
            _assert_strict_policy(response)


def test_document_download_keeps_its_own_stricter_policy(member_client, published_doc):
    response = member_client.get(published_doc.url)
    assert response.status_code == 200
    assert "script-src 'self'" not in response["Content-Security-Policy"]
    assert (
        "default-src 'none'" in response["Content-Security-Policy"]
        or "sandbox" in response["Content-Security-Policy"]
    )
    assert "no-store" in response["Cache-Control"]


def test_not_found_and_redirects_carry_the_headers(member_client):
    missing = member_client.get("/discussions/t/999999/")
    assert missing.status_code == 404
    _assert_strict_policy(missing)
    assert "no-store" in missing["Cache-Control"]
    redirect = Client().get("/members/")
    assert redirect.status_code == 302
    _assert_strict_policy(redirect)
    assert "no-store" in redirect["Cache-Control"]


def test_calendar_feed_is_not_stored(member):
    feed = CalendarFeed.objects.create(user=member)
    response = Client().get(f"/library/calendar/{feed.token}.ics")
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store, no-cache, must-revalidate, private"


def test_admin_pages_get_the_relaxed_admin_policy_only_under_admin(moderator_client):
    response = moderator_client.get("/admin/")
    assert response.status_code == 200
    directives = _directives(response)
    # Wagtail's own inline scripts and styles, and its same-origin preview frame.
    assert "'unsafe-inline'" in directives["script-src"]
    assert "'unsafe-inline'" in directives["style-src"]
    assert directives["frame-ancestors"] == ["'self'"]
    # Still no other origin and no eval.
    assert "'unsafe-eval'" not in response["Content-Security-Policy"]
    assert directives["object-src"] == ["'none'"]
    assert "no-store" in response["Cache-Control"]
    _assert_permissions_policy(response)
    # The admin's scripts are its own static files, which the policy allows.
    assert b'src="/static/wagtailadmin/js/core.js' in response.content


def test_django_admin_keeps_the_strict_policy(administrator_client):
    response = administrator_client.get("/django-admin/")
    assert response.status_code == 200
    _assert_strict_policy(response)


def test_static_files_keep_their_caching(settings):
    settings.WHITENOISE_USE_FINDERS = True
    settings.WHITENOISE_AUTOREFRESH = True
    response = Client().get("/static/css/connect.css")
    assert response.status_code == 200
    assert "no-store" not in response["Cache-Control"]
    assert "max-age" in response["Cache-Control"]


def test_templates_have_no_inline_scripts_styles_or_handlers():
    """The strict policy would block them; keep them in static/ files."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "templates"
    inline = re.compile(
        r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>"
        r"|<style\b|\sstyle=|\son[a-z]+\s*=",
        re.IGNORECASE,
    )
    offenders = []
    for path in root.rglob("*.html"):
        if "email" in path.parts or path.name.startswith("email"):
            continue  # emails are read in mail clients, not under our policy
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if inline.search(line):
                offenders.append(f"{path.relative_to(root)}:{number}: {line.strip()}")
    assert offenders == []


# --- NUL bytes ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/library/calendar/%00.ics",
        "/library/calendar/abc%00def.ics",
        "/discussions/?q=%00",
        "/search/?q=abc%00",
        "/members/?q=%00",
        "/discussions/c/%00/",
        "/join/%00/",
        "/discussions/unsubscribe/%00/",
        "/static/css/%00connect.css",
    ],
)
def test_nul_byte_in_address_is_a_plain_400_without_touching_the_database(
    member_client, django_assert_num_queries, path
):
    with django_assert_num_queries(0):
        response = member_client.get(path)
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/plain")
    assert b"not allowed" in response.content
    assert b"Traceback" not in response.content


def test_nul_byte_refused_for_anonymous_visitors_and_posts(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert client.get("/library/calendar/%00.ics").status_code == 400
        assert client.post("/join/request/?next=%00", {"name": "x"}).status_code == 400


def test_nul_byte_in_cookie_is_refused(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/", HTTP_COOKIE="sessionid=abc\x00def")
    assert response.status_code == 400


def test_ordinary_percent_signs_still_pass(member_client):
    assert member_client.get("/search/?q=100%25").status_code == 200
    assert member_client.get("/search/?q=%2500").status_code == 200
