import pytest

pytestmark = pytest.mark.django_db


def test_home_page_for_member_greets_them(member_client, member):
    response = member_client.get("/")
    assert response.status_code == 200
    assert member.first_name in response.content.decode()


def test_home_page_for_anonymous_is_landing(client):
    response = client.get("/")
    assert response.status_code == 200
    assert "Request an account" in response.content.decode()
