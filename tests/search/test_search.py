"""The search page: one ranked list a member can rely on, and nothing they may not see."""

import datetime

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from modelsearch.backends import get_search_backend
from modelsearch.query import PlainText

from search import selectors
from search.selectors import Filters
from tests.forum.factories import make_post, make_thread

from .conftest import reindex

# Wagtail's database backend (CONNECT_SEARCH_BACKEND=database) has no
# search_across: the page searches each kind on its own there.
ACROSS_KINDS = hasattr(get_search_backend(), "search_across")

pytestmark = pytest.mark.django_db


def _search(user, query, **params):
    return selectors.search_results(
        user=user,
        query=query,
        filters=Filters.from_params(params),
        sort=params.get("sort", "relevance"),
        page=params.get("page", 1),
    )


def _urls(result):
    return [hit.url for hit in result.hits] + [c.url for hit in result.hits for c in hit.children]


def _client(user):
    client = Client()
    client.force_login(user)
    return client


# ----------------------------------------------------------------- ranking


def test_search_results_rank_the_guide_above_replies(world):
    result = _search(world["advocate"], "victim interviews")
    assert result.hits[0].url == world["guide"].url
    assert result.hits[0].kind == "resources"
    assert world["reply"].get_absolute_url() in _urls(result)
    assert result.total == 3  # the guide, the opening post and the reply


def test_search_results_need_every_word(world):
    result = _search(world["advocate"], "fusion center")
    assert world["webinar"].url not in _urls(result)
    assert result.hits[0].url == world["fusion"].get_absolute_url()


def test_search_results_collapse_a_threads_posts_under_it(world):
    result = _search(world["advocate"], "fusion center")
    assert len(result.hits) == 1
    assert result.total == 2
    assert [c.url for c in result.hits[0].children] == [world["fusion"].first_post.get_absolute_url()]


def test_search_results_query_language(world):
    advocate = world["advocate"]
    assert _urls(_search(advocate, '"resource center"')) == [world["webinar"].url]
    assert world["webinar"].url not in _urls(_search(advocate, '"center resource"'))
    without = _urls(_search(advocate, "labor trafficking -toolkit"))
    assert world["toolkit"].url not in without and world["labor"].get_absolute_url() in without
    either = _search(advocate, "webinar OR toolkit")
    assert set(_urls(either)) == {world["webinar"].url, world["toolkit"].url}


def test_search_results_newest_first_on_request(world):
    result = _search(world["advocate"], "labor trafficking", sort="newest")
    dates = [selectors._date_key(hit) for hit in result.hits]
    assert dates == sorted(dates, reverse=True)
    assert result.total == 3


@pytest.mark.skipif(
    __import__("django.conf").conf.settings.WAGTAILSEARCH_BACKENDS["default"]["BACKEND"]
    != "search.backends.whoosh",
    reason="prefix expansion and did-you-mean read the Whoosh index's vocabulary",
)
def test_search_results_prefix_finds_the_whole_word(world):
    result = _search(world["advocate"], "decon")
    assert world["decon"].get_absolute_url() in _urls(result)
    assert result.expanded == ["decon"]


@pytest.mark.skipif(
    __import__("django.conf").conf.settings.WAGTAILSEARCH_BACKENDS["default"]["BACKEND"]
    != "search.backends.whoosh",
    reason="prefix expansion and did-you-mean read the Whoosh index's vocabulary",
)
def test_search_results_offer_a_correction_that_finds_something(world):
    result = _search(world["advocate"], "trafficing")
    assert result.total == 0
    assert result.suggestion == "trafficking"
    assert _search(world["advocate"], "trafficking").total > 0


@pytest.mark.skipif(
    __import__("django.conf").conf.settings.WAGTAILSEARCH_BACKENDS["default"]["BACKEND"]
    != "search.backends.whoosh",
    reason="prefix expansion and did-you-mean read the Whoosh index's vocabulary",
)
def test_search_results_never_suggest_a_word_only_hidden_posts_hold(world):
    # "Bluefin" is written only in a category advocates cannot see.
    assert _search(world["advocate"], "bluefim").suggestion == ""
    assert _search(world["officer"], "bluefim").suggestion == "bluefin"


# ----------------------------------------------------------------- filters


def test_search_results_filter_by_kind_keeps_every_kinds_count(world):
    result = _search(world["advocate"], "labor trafficking", kind="resources")
    assert _urls(result) == [world["toolkit"].url]
    assert result.total == 1
    counts = {v.value: (v.count, v.selected) for v in result.kind_counts}
    assert counts == {"discussions": (1, False), "resources": (1, True), "events": (1, False)}


def test_search_results_filter_by_category_author_type_topic_and_task_force(world):
    advocate = world["advocate"]
    by_category = _search(advocate, "victim interviews", category=str(world["general"].pk))
    assert {h.kind for h in by_category.hits} == {"discussions"} and by_category.total == 2
    by_author = _search(advocate, "victim interviews", author=str(world["officer"].pk))
    assert _urls(by_author) == [world["reply"].get_absolute_url()]
    by_type = _search(advocate, "labor trafficking", resource_type="toolkit")
    assert _urls(by_type) == [world["toolkit"].url]
    by_topic = _search(advocate, "victim interviews", topic="Victim services")
    assert _urls(by_topic) == [world["guide"].url]
    by_task_force = _search(advocate, "gulf", task_force=str(world["gulf"].pk))
    assert world["spotlight"].url in _urls(by_task_force)
    assert {h.kind for h in by_task_force.hits} == {"spotlights", "members", "task_forces"}


def test_search_results_filter_by_date(world):
    advocate = world["advocate"]
    tomorrow = (datetime.date.today() + datetime.timedelta(days=1)).isoformat()
    assert _search(advocate, "victim interviews", **{"from": tomorrow}).total == 0
    assert _search(advocate, "victim interviews", to=tomorrow).total == 3
    assert _search(advocate, "victim interviews", date="week").total == 3
    # A bad date is ignored, not an error.
    assert _search(advocate, "victim interviews", **{"from": "31/02/2026"}).total == 3


def test_search_results_facet_counts_take_the_other_filters_into_account(world):
    advocate = world["advocate"]
    # Two threads and one opening post match, all in Field casework.
    result = _search(advocate, "labor OR fusion", category=str(world["casework"].pk))
    categories = {
        v.label: (v.count, v.selected) for f in result.facets if f.name == "category" for v in f.values
    }
    assert categories == {"Field casework": (3, True)}
    authors = {v.label: v.count for f in result.facets if f.name == "author" for v in f.values}
    assert authors == {"Robin Advocate": 1, "Dana Officer": 2}
    narrowed = _search(advocate, "labor OR fusion", author=str(world["officer"].pk))
    assert narrowed.total == 2
    categories = {v.label: v.count for f in narrowed.facets if f.name == "category" for v in f.values}
    assert categories == {"Field casework": 2}
    authors = {
        v.label: (v.count, v.selected) for f in narrowed.facets if f.name == "author" for v in f.values
    }
    assert authors == {"Dana Officer": (2, True), "Robin Advocate": (1, False)}


def test_search_results_paginate_for_real(world):
    for n in range(25):
        make_thread(
            author=world["officer"], category=world["general"], title=f"Quarterly audit {n}", body="x"
        )
    reindex()
    first = _search(world["advocate"], "quarterly audit")
    second = _search(world["advocate"], "quarterly audit", page=2)
    assert first.total == second.total == 25
    assert len(first.hits) == 20 and len(second.hits) == 5
    assert not set(_urls(first)) & set(_urls(second))
    assert _search(world["advocate"], "quarterly audit", page="999").page_obj.number == 2


# ------------------------------------------------------------- permissions


def test_search_results_leave_out_a_restricted_category_everywhere(world):
    advocate = world["advocate"]
    result = _search(advocate, "recruiters")
    assert world["bluefin"].get_absolute_url() not in _urls(result)
    assert all(v.label != "Sworn officers only" for f in result.facets for v in f.values)
    assert _search(advocate, "bluefin").total == 0
    assert _search(world["officer"], "bluefin").total == 2


def test_search_results_leave_out_held_posts_drafts_and_future_pages(world):
    assert _search(world["advocate"], "kestrelwood").total == 0
    assert _search(world["officer"], "kestrelwood").total == 0
    # Moderators review held posts, so they find them; never drafts or next week's spotlight.
    assert _urls(_search(world["moderator"], "kestrelwood")) == [world["held"].get_absolute_url()]


def test_search_never_finds_a_members_hidden_contact_details(world):
    client = _client(world["advocate"])
    for query in ["555-0142", "0142", "quinn.zebulon", "zebulon", "police.example.gov"]:
        result = _search(world["advocate"], query)
        assert all(hit.kind != "members" for hit in result.hits), query
        body = client.get("/search/", {"q": query}).content.decode()
        assert world["hidden"].profile.get_absolute_url() not in body
        assert client.get("/search/suggest/", {"q": query}).json()["suggestions"] == []
    # Found by what members may see of them.
    assert world["hidden"].profile.get_absolute_url() in _urls(_search(world["advocate"], "quinn"))


@pytest.mark.skipif(not ACROSS_KINDS, reason="one search across kinds is the Whoosh backend's")
@pytest.mark.parametrize("who", ["advocate", "officer", "moderator"])
def test_search_results_come_from_one_search_of_every_kind_filtered_in_the_index(world, who):
    # Every kind's rule is expressed in the index, so one search ranks and
    # counts them all; a rule the index could not express would send the
    # page back to one search per kind.
    user = world[who]
    found = get_search_backend().search_across(
        [(s, s.model.searchable_for(user), True) for s in selectors.sources()],
        PlainText("labor trafficking", operator="and"),
        limit=20,
    )
    assert found is not None
    result = _search(user, "labor trafficking")
    assert result.total == sum(found.counts.values()) == sum(v.count for v in result.kind_counts)
    assert [url for url in _urls(result)][:1] == [world["toolkit"].url]


def test_search_results_facets_and_counts_leave_out_what_the_member_may_not_see(world):
    def facets(result):
        return {f.name: {v.label: v.count for v in f.values} for f in result.facets}

    advocate = _search(world["advocate"], "recruiters")
    assert advocate.total == 1 and {v.value: v.count for v in advocate.kind_counts} == {"discussions": 1}
    assert facets(advocate) == {"category": {"Field casework": 1}, "author": {"Robin Advocate": 1}}
    officer = _search(world["officer"], "recruiters")
    assert officer.total == 2
    assert facets(officer) == {
        "category": {"Field casework": 1, "Sworn officers only": 1},
        "author": {"Robin Advocate": 1, "Dana Officer": 1},
    }
    # The held post counts for nobody but a moderator (who is not sworn).
    moderator = _search(world["moderator"], "recruiters")
    assert moderator.total == 2 and facets(moderator)["author"] == {"Robin Advocate": 2}


def test_search_results_are_nothing_for_someone_not_a_member(world):
    from tests.factories import make_member

    assert _search(make_member(role=None), "labor trafficking").total == 0


# --------------------------------------------------------------- the page


def test_search_page_shows_what_each_hit_is(world):
    body = _client(world["advocate"]).get("/search/", {"q": "victim interviews"}).content.decode()
    assert "Reply in" not in body
    assert (
        "<mark>Interview</mark> rooms for survivors" in body and "Reply by" in body and "Dana Officer" in body
    )
    assert "Interview practice" in body  # where it lives
    assert "<mark>Victim</mark> <mark>interviews</mark>" in body
    assert "3 results for “victim interviews”" in body
    assert 'id="header-search"' in body and 'value="victim interviews"' in body
    assert "How to search" in body


def test_search_page_escapes_member_text_in_snippets(world):
    make_post(
        author=world["officer"],
        thread=world["interviews"],
        body="<script>alert('x')</script> <b>escapology</b> notes",
    )
    reindex()
    body = _client(world["advocate"]).get("/search/", {"q": "escapology"}).content.decode()
    assert "<script>alert" not in body and "<b>escapology" not in body
    assert "<mark>escapology</mark>" in body


BAD_QUERIES = [
    "",
    "   ",
    "OR OR -",
    '"',
    '"unbalanced phrase',
    "-only -excluded",
    "x" * 10_000,
    "word " * 2_000,
    "'; DROP TABLE forum_post; --",
    '"><script>alert(1)</script>',
    "\u202e\u200b\u0007 日本語 𝕳𝖊𝖑𝖑𝖔 ﬁ",
    "title:secret AND (a OR b)* ~2 ^3 \\",
    "%_%",
]


def test_search_page_survives_bad_input(world, subtests):
    # One site for every query (building it costs far more than a search).
    client = _client(world["advocate"])
    for query in BAD_QUERIES:
        with subtests.test(query=query[:40]):
            response = client.get("/search/", {"q": query, "page": "';drop", "category": "x", "from": "nope"})
            assert response.status_code == 200
            body = response.content.decode()
            assert "<script>alert(1)" not in body
            assert client.get("/search/suggest/", {"q": query}).status_code == 200


def test_search_page_is_members_only(world):
    response = Client().get("/search/", {"q": "labor"})
    assert response["Location"].startswith("/accounts/login/")
    assert Client().get("/search/suggest/", {"q": "labor"})["Location"].startswith("/accounts/login/")


def test_search_page_query_count_does_not_grow_with_hits(world):
    client = _client(world["advocate"])

    def count():
        client.get("/search/", {"q": "caseload"})  # sessions and caches settle on the first request
        with CaptureQueriesContext(connection) as ctx:
            response = client.get("/search/", {"q": "caseload"})
        assert response.status_code == 200
        return len(ctx), response.context["result"].total

    make_thread(author=world["officer"], category=world["general"], title="Caseload one", body="caseload")
    reindex()
    few, few_hits = count()
    for n in range(8):
        thread = make_thread(
            author=world["officer"], category=world["casework"], title=f"Caseload {n}", body="x"
        )
        make_post(author=world["advocate"], thread=thread, body=f"caseload reply {n}")
    reindex()
    many, many_hits = count()
    assert (few_hits, many_hits) == (2, 18)
    # The session, the member's rules (boards, profile, the page view
    # restrictions read once for resources, events and spotlights together,
    # conversations), one query per kind on the page and one for the
    # category facet's labels: none of it per hit. Searching kind by kind
    # (the database backend) adds each kind's search and count, still none
    # per hit.
    assert many == few == (9 if ACROSS_KINDS else 19)


def test_search_page_with_resources_among_the_hits_adds_one_query_per_kind(world):
    client = _client(world["advocate"])
    client.get("/search/", {"q": "victim interviews"})
    with CaptureQueriesContext(connection) as ctx:
        response = client.get("/search/", {"q": "victim interviews"})
    kinds = {hit.kind for hit in response.context["result"].hits}
    assert kinds == {"resources", "discussions"}
    # The caseload page's queries with the resources' rows and the topic
    # facet's labels for the threads' rows (only posts match here); kind by
    # kind, the resources' facet is counted with one more search.
    assert len(ctx) == (10 if ACROSS_KINDS else 21)


def test_search_page_reads_page_restrictions_again_on_each_search(world):
    from wagtail.models import PageViewRestriction

    advocate = world["advocate"]
    assert world["guide"].url in _urls(_search(advocate, "victim interviews"))
    # The same member object, so nothing kept on it may hide the change.
    restriction = PageViewRestriction.objects.create(
        page=world["guide"], restriction_type=PageViewRestriction.GROUPS
    )
    assert world["guide"].url not in _urls(_search(advocate, "victim interviews"))
    restriction.delete()
    assert world["guide"].url in _urls(_search(advocate, "victim interviews"))


# ------------------------------------------------------------ autocomplete


def test_suggestions_offer_titles_the_member_may_see(world):
    advocate = _client(world["advocate"])
    found = advocate.get("/search/suggest/", {"q": "labo"}).json()["suggestions"]
    labels = [s["label"] for s in found]
    assert "Labor trafficking screening toolkit" in labels
    assert "Labor trafficking indicators on farms" in labels
    assert all(s["url"] and s["kind"] for s in found)
    assert advocate.get("/search/suggest/", {"q": "bluef"}).json()["suggestions"] == []
    assert advocate.get("/search/suggest/", {"q": "next week kestrel"}).json()["suggestions"] == []
    officer = _client(world["officer"])
    assert [s["label"] for s in officer.get("/search/suggest/", {"q": "bluef"}).json()["suggestions"]] == [
        "Operation Bluefin briefing"
    ]


def test_suggestions_for_a_short_query_are_empty(world):
    assert _client(world["advocate"]).get("/search/suggest/", {"q": "l"}).json() == {"suggestions": []}


@pytest.mark.skipif(not ACROSS_KINDS, reason="the Whoosh backend's one pass over every kind")
def test_search_across_reads_the_same_matches_as_sets_as_stepping_the_matchers(world, monkeypatch):
    # The set reading of the matchers is an optimisation: its counts, ranks
    # (scores to the last bit), facets and pages are those of stepping
    # Whoosh's matchers one document at a time.
    from search.backends import whoosh

    backend = type(get_search_backend())
    found = []
    search_across = backend.search_across

    def recorded(self, *args, **kwargs):
        result = search_across(self, *args, **kwargs)
        found.append(None if result is None else (result.counts, result.page, result.facets))
        return result

    monkeypatch.setattr(backend, "search_across", recorded)
    queries = ["trafficking", "victim interviews", "labor OR webinar", '"resource center"', "labor -toolkit"]
    params = [{}, {"sort": "newest"}, {"kind": "resources"}, {"kind": "discussions"}]

    def run():
        found.clear()
        for query in queries:
            for extra in params:
                _search(world["advocate"], query, **extra)
                _search(world["moderator"], query, **extra)
        return list(found)

    as_sets = run()
    assert any(entry and entry[1] for entry in as_sets)

    def refuse(self, m, path=(), whole=False):
        raise whoosh._Unsupported(type(m).__name__)

    monkeypatch.setattr(whoosh._MatchSets, "of", refuse)
    assert run() == as_sets
