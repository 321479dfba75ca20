"""The index behind search: permissions filtered in Whoosh, one page read
from the database, rebuilds that never leave searches without an index and
lose no write made meanwhile, and the commands that report and rebuild it."""

import io

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from modelsearch.backends import get_search_backend

from connect.models import Role
from forum.models import Post, Thread
from forum.services.moderation import thread_move
from search.apps import _build_missing_index
from search.rebuild import rebuild
from tests.factories import make_member
from tests.forum.factories import make_category, make_post, make_thread

pytestmark = pytest.mark.django_db

whoosh_only = pytest.mark.skipif(
    "whoosh" not in __import__("django.conf").conf.settings.WAGTAILSEARCH_BACKENDS["default"]["BACKEND"],
    reason="tests the Whoosh backend's index itself",
)


@pytest.fixture
def people(db):
    rebuild()
    return make_member(discipline="law_enforcement"), make_member(discipline="victim_services")


@whoosh_only
def test_search_reads_one_page_from_the_database_however_many_posts_match(
    people, django_capture_on_commit_callbacks
):
    officer, _advocate = people
    with django_capture_on_commit_callbacks(execute=True):
        thread = make_thread(author=officer, category=make_category(), title="Kestrel screening")
        for n in range(30):
            make_post(author=officer, thread=thread, body=f"Kestrel screening note {n}")
    results = Post.searchable_for(officer).search("kestrel")
    with CaptureQueriesContext(connection) as queries:
        page = list(results[:5])
        count = results.count()
    assert len(page) == 5
    assert count == 30
    # No query carries every match's key for the database to filter.
    assert all(sql["sql"].count("%s") + sql["sql"].count("?") < 40 for sql in queries.captured_queries)
    assert len(queries.captured_queries) <= 3


@whoosh_only
def test_posts_leave_a_members_results_and_counts_when_their_thread_moves_to_a_board_they_cannot_see(
    people, django_capture_on_commit_callbacks
):
    officer, advocate = people
    moderator = make_member(role=Role.MODERATOR, discipline="law_enforcement")
    open_board = make_category(name="Open", slug="open-board")
    sworn = make_category(name="Sworn", slug="sworn-board", disciplines=["law_enforcement"])
    with django_capture_on_commit_callbacks(execute=True):
        thread = make_thread(author=officer, category=open_board, title="Ptarmigan case")
        make_post(author=officer, thread=thread, body="Ptarmigan follow-up")
    assert Post.searchable_for(advocate).search("ptarmigan").count() == 1

    with django_capture_on_commit_callbacks(execute=True):
        thread_move(moderator=moderator, thread=thread, category=sworn, confirm_wider=True)

    assert Post.searchable_for(advocate).search("ptarmigan").count() == 0
    assert list(Post.searchable_for(advocate).search("ptarmigan")) == []
    assert Post.searchable_for(officer).search("ptarmigan").count() == 1
    assert Thread.searchable_for(advocate).autocomplete("ptarm").count() == 0


@whoosh_only
def test_hidden_thread_and_its_posts_are_not_counted(people):
    officer, advocate = people
    thread = make_thread(author=officer, category=make_category(), title="Osprey lead")
    Thread.objects.filter(pk=thread.pk).update(is_hidden=True)
    rebuild()
    assert Thread.searchable_for(advocate).search("osprey").count() == 0
    assert Post.searchable_for(advocate).search("osprey").count() == 0


@whoosh_only
def test_rebuild_keeps_answering_from_the_old_index_and_replays_writes_made_meanwhile(
    people, django_capture_on_commit_callbacks
):
    officer, _ = people
    board = make_category()
    with django_capture_on_commit_callbacks(execute=True):
        thread = make_thread(author=officer, category=board, title="Heron protocol")
    backend = get_search_backend()
    old_generation = backend.current_generation()
    index = backend.get_index_for_model(Thread)
    index.start_rebuild()
    index.add_items(Thread, list(Thread.objects.all()))

    # While the rebuild runs, a new thread is written and one is deleted.
    with django_capture_on_commit_callbacks(execute=True):
        late = make_thread(author=officer, category=board, title="Heron late thread")
    assert {t.pk for t in get_search_backend().search("heron", Thread)} == {thread.pk, late.pk}
    with django_capture_on_commit_callbacks(execute=True):
        thread.delete()
    assert backend.current_generation() == old_generation

    index.finish_rebuild()
    assert backend.current_generation() != old_generation
    assert [t.pk for t in get_search_backend().search("heron", Thread)] == [late.pk]


@whoosh_only
def test_search_status_reports_drift_and_rebuild_search_index_repairs_it(people):
    officer, _ = people
    make_thread(author=officer, category=make_category(), title="Egret referrals")
    backend = get_search_backend()
    backend.get_index_for_model(Thread).reset()

    out = io.StringIO()
    call_command("search_status", stdout=out)
    assert "Drift" in out.getvalue()
    assert "forum.Thread" in out.getvalue()

    out = io.StringIO()
    call_command("rebuild_search_index", stdout=out)
    assert "Indexed" in out.getvalue()
    assert [t.title for t in get_search_backend().search("egret", Thread)] == ["Egret referrals"]

    out = io.StringIO()
    call_command("search_status", stdout=out)
    assert "No drift" in out.getvalue(), out.getvalue()


@whoosh_only
def test_migrate_builds_the_index_of_a_fresh_machine(people, settings, tmp_path):
    officer, _ = people
    make_thread(author=officer, category=make_category(), title="Plover outreach")
    settings.WAGTAILSEARCH_BACKENDS = {
        "default": {"BACKEND": "search.backends.whoosh", "PATH": str(tmp_path / "fresh-index")}
    }
    assert get_search_backend().needs_rebuild()
    _build_missing_index(sender=None)
    assert not get_search_backend().needs_rebuild()
    assert [t.title for t in get_search_backend().search("plover", Thread)] == ["Plover outreach"]
