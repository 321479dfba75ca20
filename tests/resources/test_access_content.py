import pytest
from django.test import Client
from django.urls import reverse

from spotlights.models import SpotlightIndexPage
from tests.factories import make_member

from .conftest import make_document, make_event, make_resource

pytestmark = pytest.mark.django_db


@pytest.fixture
def content_paths(library, event_index):
    document = make_document("Members-only toolkit")
    resource = make_resource(library, title="Toolkit", document=document, external_url="")
    event = make_event(event_index, title="Training day")
    return [
        "/spotlights/",
        "/resources/",
        "/resources/?type=guide&sort=title",
        resource.url,
        document.url,
        "/events/",
        event.url,
        reverse("resources:event_ics", args=[event.pk]),
        reverse("resources:share"),
        reverse("resources:my_shares"),
        reverse("resources:calendar_settings"),
    ]


def test_anonymous_visitors_are_sent_to_sign_in(content_paths):
    client = Client()
    for path in content_paths:
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"].startswith("/accounts/login/"), path


@pytest.mark.parametrize(
    "account", [{"role": None}, {"verified": False}, {"mfa": False}], ids=["no-role", "unverified", "no-mfa"]
)
def test_non_members_see_nothing(content_paths, account):
    client = Client()
    client.force_login(make_member(**account))
    for path in content_paths:
        response = client.get(path)
        assert response.status_code in (302, 403), path
        body = b"".join(response.streaming_content) if response.streaming else response.content
        assert b"Toolkit" not in body and b"Training day" not in body, path


def test_members_reach_everything(content_paths, member_client):
    for path in content_paths:
        assert member_client.get(path).status_code == 200, path


def test_moderator_edits_index_pages_and_adds_only_allowed_children(moderator_client, library, event_index):
    spotlights = SpotlightIndexPage.objects.get()
    for index, child in (
        (spotlights, "spotlightpage"),
        (library, "resourcepage"),
        (event_index, "eventpage"),
    ):
        assert moderator_client.get(reverse("wagtailadmin_pages:edit", args=[index.pk])).status_code == 200
        response = moderator_client.get(reverse("wagtailadmin_pages:add_subpage", args=[index.pk]))
        # A single allowed child type goes straight to its form.
        assert response.status_code == 302 and child in response["Location"]
