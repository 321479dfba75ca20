import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_pages_render_for_member(client_for, officer, thread, category):
    client = client_for(officer)
    for url in [
        reverse("forum:index"),
        category.get_absolute_url(),
        thread.get_absolute_url(),
        reverse("forum:reply", args=[thread.pk]),
        reverse("forum:thread_create", args=[category.slug]),
        reverse("notifications:list"),
        reverse("forum:bookmarks"),
        reverse("notifications:preferences"),
        reverse("forum:post_edit", args=[thread.first_post_id]),
        reverse("forum:post_delete", args=[thread.first_post_id]),
        "/",
    ]:
        response = client.get(url)
        assert response.status_code == 200, url
