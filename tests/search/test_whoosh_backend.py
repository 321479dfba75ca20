"""The Whoosh search backend: what members find, what they must not find, and
an index that survives restarts, rebuilds and two processes writing at once."""

import io
import multiprocessing
import threading

import pytest
from django.core.management import call_command
from django.test import Client
from wagtail.models import Page
from wagtail.search.backends import get_search_backend
from wagtail.search.query import Phrase, PlainText

from forum.models import Post, Thread
from resources.models import ResourceLibraryPage, ResourcePage
from search.backends.whoosh import SearchBackend
from tests.factories import make_member
from tests.forum.factories import make_category, make_post, make_thread
from tests.resources.conftest import make_resource

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        __import__("django.conf").conf.settings.WAGTAILSEARCH_BACKENDS["default"]["BACKEND"]
        != "search.backends.whoosh",
        reason="tests the Whoosh backend itself",
    ),
]

HOSTILE_QUERIES = [
    '"',
    '"unbalanced phrase',
    "((( )))",
    "AND OR NOT",
    "title:secret",
    "*",
    "recruit*",
    "~fuzzy^3",
    "\\ % _ * ? [ ] { } < > !",
    "日本語 العربية",
    "\x00\x01\x02",
    "-" * 50,
    "word " * 2000,
    "x" * 10_000,
]


@pytest.fixture
def backend(tmp_path):
    return SearchBackend({"PATH": tmp_path / "index"})


@pytest.fixture
def officer(db):
    return make_member(discipline="law_enforcement")


@pytest.fixture
def advocate(db):
    return make_member(discipline="victim_services")


@pytest.fixture
def forum(officer):
    """Threads and posts in an open category and a law-enforcement-only one."""
    open_category = make_category(name="Open", slug="open")
    le_category = make_category(name="LE only", slug="le-only", disciplines=["law_enforcement"])
    threads = {
        "fees": make_thread(author=officer, category=open_category, title="Recruitment fee screening"),
        "debt": make_thread(author=officer, category=open_category, title="Debt bondage in agriculture"),
        "secret": make_thread(author=officer, category=le_category, title="Recruitment fee undercover plan"),
    }
    posts = {
        "receipts": make_post(
            author=officer, thread=threads["fees"], body="Ask about recruitment fee receipts"
        ),
        "hidden": make_post(
            author=officer, thread=threads["secret"], body="The undercover receipts are kept apart"
        ),
    }
    return open_category, le_category, threads, posts


def index_forum(backend):
    backend.add_bulk(Thread, list(Thread.objects.all()))
    backend.add_bulk(Post, list(Post.objects.all()))


def titles(results):
    return [result.title for result in results]


def test_search_finds_indexed_threads_ranked_by_relevance(backend, forum):
    _, _, threads, _ = forum
    index_forum(backend)
    results = backend.search("recruitment fee", Thread, operator="and")
    assert set(results) == {threads["fees"], threads["secret"]}
    assert results.count() == 2
    ranked = backend.search("debt agriculture bondage", Thread, operator="or")
    assert list(ranked)[0] == threads["debt"]


def test_search_operator_and_or(backend, forum):
    _, _, threads, _ = forum
    index_forum(backend)
    assert set(backend.search("screening agriculture", Thread, operator="and")) == set()
    assert set(backend.search("screening agriculture", Thread, operator="or")) == {
        threads["fees"],
        threads["debt"],
    }


def test_search_phrase_needs_words_in_order(backend, forum):
    _, _, threads, _ = forum
    index_forum(backend)
    assert set(backend.search(Phrase("recruitment fee"), Thread)) == {threads["fees"], threads["secret"]}
    assert set(backend.search(Phrase("fee recruitment"), Thread)) == set()


def test_search_respects_what_the_member_may_see(backend, forum, officer, advocate):
    _, _, threads, posts = forum
    index_forum(backend)
    seen = set(backend.search("recruitment", Thread.searchable_for(advocate)))
    assert threads["secret"] not in seen and threads["fees"] in seen
    assert threads["secret"] in set(backend.search("recruitment", Thread.searchable_for(officer)))
    assert list(backend.search("receipts", Post.searchable_for(advocate))) == [posts["receipts"]]
    assert set(backend.search("receipts", Post.searchable_for(officer))) == {
        posts["receipts"],
        posts["hidden"],
    }


def test_search_filters_on_filter_fields(backend, forum):
    open_category, le_category, threads, _ = forum
    index_forum(backend)
    by_category = Thread.objects.filter(category_id=le_category.pk)
    assert list(backend.search("recruitment", by_category)) == [threads["secret"]]
    in_list = Thread.objects.filter(category_id__in=[open_category.pk])
    assert set(backend.search("recruitment debt", in_list, operator="or")) == {
        threads["fees"],
        threads["debt"],
    }
    newest = max(thread.last_activity_at for thread in threads.values())
    assert set(backend.search("recruitment", Thread.objects.filter(last_activity_at__lt=newest))) <= {
        threads["fees"],
        threads["secret"],
    }
    ordered = backend.search(
        "recruitment",
        Thread.objects.order_by("-last_activity_at"),
        order_by_relevance=False,
    )
    assert list(ordered) == sorted(ordered, key=lambda t: t.last_activity_at, reverse=True)


def test_search_fields_restriction(backend, forum):
    _, _, threads, _ = forum
    index_forum(backend)
    assert list(backend.search("screening", Thread, fields=["title"])) == [threads["fees"]]
    assert list(backend.search("screening", Thread, fields=[])) == []


def test_autocomplete_matches_word_prefixes(backend, forum):
    _, _, threads, _ = forum
    index_forum(backend)
    assert set(backend.autocomplete("Recru", Thread)) == {threads["fees"], threads["secret"]}
    assert set(backend.autocomplete("agri", Thread)) == {threads["debt"]}
    assert list(backend.autocomplete("zzz", Thread)) == []


def test_facet_counts_by_filter_field(backend, forum):
    open_category, le_category, _, _ = forum
    index_forum(backend)
    facets = backend.search("recruitment debt", Thread, operator="or").facet("category_id")
    assert dict(facets) == {open_category.pk: 2, le_category.pk: 1}


def test_search_results_slice_and_count(backend, forum):
    index_forum(backend)
    results = backend.search("recruitment debt", Thread, operator="or")
    assert results.count() == 3
    assert len(results[1:]) == 2
    assert results[1:].count() == 2
    assert results[:1].count() == 1


def test_delete_removes_an_object_from_results(backend, forum):
    _, _, threads, _ = forum
    index_forum(backend)
    backend.delete(threads["debt"])
    assert list(backend.search("bondage", Thread)) == []
    assert backend.search("recruitment", Thread).count() == 2


def test_reindexing_an_edited_object_replaces_its_text(backend, forum):
    _, _, threads, _ = forum
    index_forum(backend)
    thread = threads["debt"]
    thread.title = "Forced labour on farms"
    thread.save(update_fields=["title"])
    backend.add(thread)
    assert list(backend.search("bondage", Thread)) == []
    assert list(backend.search("farms", Thread)) == [thread]


def test_search_on_parent_model_finds_child_pages(backend):
    library = ResourceLibraryPage.objects.get()
    resource = make_resource(library, title="Findable trafficking guide", summary="Indicators of coercion")
    backend.add(resource)
    assert list(backend.search("trafficking", ResourcePage)) == [resource]
    # Page is the parent: its search finds the resource by a child-only field.
    found = list(backend.search("coercion", Page))
    assert [page.pk for page in found] == [resource.pk]
    assert isinstance(found[0], Page)


@pytest.mark.parametrize("query", HOSTILE_QUERIES)
def test_hostile_queries_never_raise(backend, forum, query):
    index_forum(backend)
    for results in [
        backend.search(query, Thread),
        backend.search(query, Thread, operator="and"),
        backend.search(PlainText(query), Post),
        backend.search(Phrase(query), Thread),
        backend.autocomplete(query, Thread),
    ]:
        list(results)
        results.count()


def test_search_treats_query_syntax_as_plain_words(backend, forum):
    _, _, threads, _ = forum
    index_forum(backend)
    # "title:" is not a field selector and "*" is not a wildcard.
    assert set(backend.search("title:debt", Thread, operator="or")) == {threads["debt"]}
    assert list(backend.search("*", Thread)) == []
    assert list(backend.search("recru*", Thread)) == []


def test_rebuild_command_replaces_the_index(tmp_path, settings, forum):
    _, _, threads, _ = forum
    path = tmp_path / "rebuilt"
    settings.WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "search.backends.whoosh", "PATH": str(path)}}
    backend = get_search_backend()
    backend.add(threads["debt"])
    Thread.objects.filter(pk=threads["debt"].pk).update(title="Renamed")
    call_command("update_index", stdout=io.StringIO())
    assert list(backend.search("bondage", Thread)) == []
    assert set(backend.search("recruitment", Thread)) == {threads["fees"], threads["secret"]}
    # The index lives on disk: a new backend object (a restarted process) sees it.
    reopened = SearchBackend({"PATH": path})
    assert reopened.search("renamed", Thread).count() == 1


def test_two_backends_on_one_directory_see_each_others_writes(tmp_path, forum):
    _, _, threads, _ = forum
    first = SearchBackend({"PATH": tmp_path / "shared"})
    second = SearchBackend({"PATH": tmp_path / "shared"})
    first.add(threads["fees"])
    assert list(second.search("screening", Thread)) == [threads["fees"]]
    second.add(threads["debt"])
    assert list(first.search("bondage", Thread)) == [threads["debt"]]
    first.delete(threads["fees"])
    assert list(second.search("screening", Thread)) == []


def test_writer_waits_for_a_lock_held_elsewhere(tmp_path, forum):
    _, _, threads, _ = forum
    path = tmp_path / "locked"
    first = SearchBackend({"PATH": path})
    second = SearchBackend({"PATH": path, "LOCK_TIMEOUT": 5})
    held = first.writer()
    held.add_document(id="x:1", pk="1", models="x")
    # The lock is a file lock, so it conflicts within one process too.
    threading.Timer(0.3, held.commit).start()
    second.add(threads["fees"])  # waits, then writes
    assert list(first.search("screening", Thread)) == [threads["fees"]]


def test_writer_gives_up_when_the_lock_is_never_released(tmp_path):
    from whoosh.index import LockError

    path = tmp_path / "stuck"
    first = SearchBackend({"PATH": path})
    second = SearchBackend({"PATH": path, "LOCK_TIMEOUT": 0.2})
    held = first.writer()
    try:
        with pytest.raises(LockError):
            second.writer()
    finally:
        held.cancel()


def _add_repeatedly(path, threads, rounds):
    backend = SearchBackend({"PATH": path, "LOCK_TIMEOUT": 30})
    for _ in range(rounds):
        for thread in threads:
            backend.add(thread)


def test_two_processes_writing_at_once_lose_nothing(tmp_path, forum):
    _, _, threads, _ = forum
    path = str(tmp_path / "contended")
    SearchBackend({"PATH": path}).writer().cancel()  # create the index first
    context = multiprocessing.get_context("fork")
    workers = [
        context.Process(target=_add_repeatedly, args=(path, [threads["fees"]], 15)),
        context.Process(target=_add_repeatedly, args=(path, [threads["debt"], threads["secret"]], 15)),
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    assert [worker.exitcode for worker in workers] == [0, 0]
    backend = SearchBackend({"PATH": path})
    assert set(backend.search("recruitment bondage", Thread, operator="or")) == set(threads.values())
    with backend.searcher() as searcher:
        assert searcher.doc_count() == 3


def test_search_page_finds_real_content_without_errors(member, caplog):
    library = ResourceLibraryPage.objects.get()
    make_resource(library, title="Findable trafficking indicators guide")
    client = Client()
    client.force_login(member)
    with caplog.at_level("ERROR"):
        body = client.get("/search/", {"q": "trafficking indicators"}).content.decode()
        for query in HOSTILE_QUERIES:
            # A NUL byte is refused before the search runs (connect.middleware).
            expected = 400 if "\x00" in query else 200
            assert client.get("/search/", {"q": query}).status_code == expected
    # The search page marks the matched words in the title.
    assert "Findable <mark>trafficking</mark> <mark>indicators</mark> guide" in body
    assert not [record for record in caplog.records if "failed" in record.getMessage()]


@pytest.mark.parametrize(
    "path",
    [
        "/admin/pages/search/",
        "/admin/documents/",
        "/admin/images/",
        "/admin/documents/chooser/",
        "/admin/images/chooser/",
        "/admin/choose-page/search/",
    ],
)
def test_admin_search_works_on_the_index(administrator_client, path):
    library = ResourceLibraryPage.objects.get()
    make_resource(library, title="Admin findable trafficking guide")
    for query in ["trafficking", "traff", 'AND "( *']:
        response = administrator_client.get(path, {"q": query})
        assert response.status_code == 200, (path, query)
    if path == "/admin/pages/search/":
        found = administrator_client.get(path, {"q": "trafficking"}).content.decode()
        assert "Admin findable trafficking guide" in found
