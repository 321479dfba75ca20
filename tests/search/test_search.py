"""The search page: members only, sturdy with any query and any kind of hit."""

import pytest
from django.test import Client

from search import views
from tests.factories import make_member

pytestmark = pytest.mark.django_db


class _Hit:
    class _meta:
        verbose_name = "discussion thread"

    def __init__(self, title, url=None, absolute=None, search_description=""):
        self.title = title
        self.search_description = search_description
        if url is not None:
            self.url = url
        if absolute is not None:
            self.get_absolute_url = lambda: absolute


class _Results(list):
    def search(self, query):
        return _Results(hit for hit in self if query.lower() in hit.title.lower())


class _FakeModel:
    """Stands in for an indexed model that offers searchable_for(user)."""

    _meta = type("meta", (), {"label": "tests.Fake"})
    seen_by = []

    @classmethod
    def searchable_for(cls, user):
        cls.seen_by.append(user)
        return _Results(
            [
                _Hit(
                    "Labor trafficking protocol",
                    url="/resources/protocol/",
                    search_description="<b>How</b> to",
                ),
                _Hit("Labor trafficking thread", absolute="/discussions/t/1/"),
                _Hit("Labor trafficking without a link"),
            ]
        )


class _BrokenModel:
    _meta = type("meta", (), {"label": "tests.Broken"})

    @classmethod
    def searchable_for(cls, user):
        raise_on_search = _Results()
        raise_on_search.search = lambda q: 1 / 0
        return raise_on_search


@pytest.fixture
def fake_index(monkeypatch):
    monkeypatch.setattr(views, "searchable_models", lambda: [_FakeModel, _BrokenModel])
    _FakeModel.seen_by = []


def test_search_is_members_only(fake_index):
    response = Client().get("/search/", {"q": "labor"})
    assert response["Location"].startswith("/accounts/login/")
    waiting = Client()
    waiting.force_login(make_member(role=None))
    assert waiting.get("/search/", {"q": "labor"}).status_code == 403
    assert _FakeModel.seen_by == []


def test_search_empty_query_shows_the_form(member_client, fake_index):
    for params in [{}, {"q": ""}, {"q": "    "}]:
        response = member_client.get("/search/", params)
        assert response.status_code == 200
        assert "Search discussions, spotlights" in response.content.decode()
    assert _FakeModel.seen_by == []


def test_search_lists_hits_with_url_label_and_excerpt(member_client, member, fake_index):
    body = member_client.get("/search/", {"q": "labor"}).content.decode()
    assert "3 results for “labor”" in body
    assert 'href="/resources/protocol/"' in body
    assert 'href="/discussions/t/1/"' in body
    assert "Labor trafficking without a link" in body
    assert "Discussion thread" in body
    assert "How to" in body and "<b>How</b>" not in body
    assert _FakeModel.seen_by == [member] or _FakeModel.seen_by[0].pk == member.pk


def test_search_overlong_query_is_truncated(member_client, fake_index):
    response = member_client.get("/search/", {"q": "labor " + "x" * 5000})
    assert response.status_code == 200
    assert response.context["query"] == ("labor " + "x" * 5000)[:200]
    assert "Only the first 200 characters" in response.content.decode()


def test_search_hostile_query_is_inert(member_client, fake_index):
    hostile = '"><script>alert(1)</script>'
    response = member_client.get("/search/", {"q": hostile, "page": "';drop table"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "<script>alert(1)" not in body
    assert "&lt;script&gt;alert(1)" in body


def test_search_with_real_indexed_models_does_not_fail(member_client):
    for query in ["trafficking", "AND OR NOT", "\\ % _ *", "日本語"]:
        assert member_client.get("/search/", {"q": query}).status_code == 200
