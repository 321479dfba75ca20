"""A full rebuild of the Whoosh index: rows read in bulk, and the rebuild's own
document writer giving the index Whoosh's own writer would."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from whoosh.filedb.filestore import FileStorage

from resources.models import ResourceLibraryPage, Topic
from search.backends import whoosh
from search.rebuild import indexed_models, rebuild
from tests.factories import make_member
from tests.forum.factories import make_category, make_post, make_thread
from tests.resources.conftest import make_resource

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        __import__("django.conf").conf.settings.WAGTAILSEARCH_BACKENDS["default"]["BACKEND"]
        != "search.backends.whoosh",
        reason="tests the Whoosh backend's rebuild",
    ),
]

# Texts that test the rebuild's word splitting against Whoosh's analysers:
# words longer than the index keeps (first, inside and last), dotted words,
# Unicode whose lower case is longer, repeated words, an empty text.
AWKWARD_TEXTS = [
    "x" * 70 + " Hello World hello" + " y" * 3,
    "Ünïcode İstanbul STRASSE straße ﬁne a.b.c 3.14 e.g. mac os x. " + "z" * 65,
    "q" * 80,
    "",
    "v1.2.3 ..dots.. __under_score__ interviewing interviews interviewed",
]


def _add_rows(count, offset, library, topics, author, board):
    for i in range(count):
        make_resource(library, title=f"Toolkit {offset + i}", topics=topics)
        thread = make_thread(author=author, category=board, title=f"Screening thread {offset + i}")
        make_post(author=author, thread=thread, body=f"Screening notes {offset + i}")


def test_rebuild_reads_rows_in_bulk_however_many_documents(db):
    author = make_member()
    board = make_category()
    library = ResourceLibraryPage.objects.get()
    topics = [Topic.objects.create(name="Labor trafficking"), Topic.objects.create(name="Housing")]
    _add_rows(2, 0, library, topics, author, board)
    rebuild()  # content types and the like, cached from here on
    with CaptureQueriesContext(connection) as few:
        documents_few, _wall, _cpu = rebuild()
    _add_rows(6, 2, library, topics, author, board)
    with CaptureQueriesContext(connection) as many:
        documents_many, _wall, _cpu = rebuild()

    assert documents_many >= documents_few + 6 * 3
    # A page's topics are read with the page's chunk, not page by page.
    assert len(many.captured_queries) == len(few.captured_queries)
    assert not [q for q in many.captured_queries if "resources_topic" in q["sql"] and "IN (" not in q["sql"]]


def _index(tmp_path, name, documents, fast, spill=False):
    storage = FileStorage(str(tmp_path / name))
    storage.create()
    ix = storage.create_index(whoosh.build_schema())
    writer = ix.writer(limitmb=64)
    if fast:
        writer = whoosh._fast_flush(writer)
        adder = whoosh._FastAdder(writer.schema)
        writer._fast_adder = adder
        if spill:
            # Every document overflows the pool: the postings go to disk in
            # runs and the flush merges them (the path of a rebuild larger
            # than the writer's memory).
            writer.pool.limit = 1
    for doc, parts in documents:
        if fast:
            adder.add(writer, doc, parts)
        else:
            writer.add_document(**doc)
    if spill:
        assert writer.pool.runs
    writer.commit()
    return ix.reader()


TERM_STATS = ("weight", "doc_frequency", "min_length", "max_length", "max_weight", "min_id", "max_id")


def _postings(reader, fieldname, term):
    matcher = reader.postings(fieldname, term)
    if fieldname.startswith((whoosh.TEXT_PREFIX, whoosh.ALL_FIELD)):
        return list(matcher.items_as("positions"))
    return list(matcher.all_items())


def test_rebuild_writer_gives_the_index_whooshs_own_writer_gives(db, tmp_path):
    author = make_member(first_name="Ünïcode", last_name="Straße")
    board = make_category()
    thread = make_thread(author=author, category=board, title="Interviews e.g. v1.2 " + "w" * 70)
    for text in AWKWARD_TEXTS:
        make_post(author=author, thread=thread, body=text or "-")
    library = ResourceLibraryPage.objects.get()
    make_resource(library, title="Interview guide", topics=[Topic.objects.create(name="Interviews")])

    documents = []
    models = indexed_models()
    for model in models:
        for obj in model.get_indexed_objects():
            parts = {}
            documents.append((whoosh.build_document(model, obj, parts), parts))
    for i, text in enumerate(AWKWARD_TEXTS):
        other = AWKWARD_TEXTS[-1 - i]
        parts = {
            whoosh.TEXT_PREFIX + "body": [text, other],
            whoosh.AUTOCOMPLETE_PREFIX + "title": [text],
            whoosh.ALL_FIELD: [text, other, "interview"],
            whoosh.AUTOCOMPLETE_FIELD: [text],
        }
        doc = {name: " ".join(texts) for name, texts in parts.items()}
        doc.update(id=f"test.awkward:{i}", pk=str(i), root="test.awkward", models="test.awkward")
        documents.append((doc, parts))
    # Terms in more documents than a postings block holds (128), so a term
    # is written in several blocks, compressed and not.
    for i in range(300):
        text = f"common {'often ' * (i % 3)}word{i % 7} every{i % 150}"
        parts = {whoosh.ALL_FIELD: [text], whoosh.AUTOCOMPLETE_FIELD: [text]}
        doc = {name: " ".join(texts) for name, texts in parts.items()}
        doc.update(id=f"test.many:{i}", pk=str(i), root="test.many", models="test.many")
        documents.append((doc, parts))

    whooshs = _index(tmp_path, "whoosh", documents, False)
    for ours in (
        _index(tmp_path, "ours", documents, True),
        _index(tmp_path, "spilled", documents, True, True),
    ):
        _assert_same_index(ours, whooshs)


def _assert_same_index(ours, whooshs):
    assert ours.doc_count() == whooshs.doc_count()
    assert len(list(ours.postings(whoosh.ALL_FIELD, b"common").all_ids())) == 300
    fields = sorted(set(whooshs.indexed_field_names()) | set(ours.indexed_field_names()))
    assert whoosh.ALL_FIELD in fields and whoosh.TEXT_PREFIX + "body" in fields
    for fieldname in fields:
        terms = list(whooshs.lexicon(fieldname))
        assert list(ours.lexicon(fieldname)) == terms, fieldname
        for term in terms:
            assert _postings(ours, fieldname, term) == _postings(whooshs, fieldname, term), (fieldname, term)
            mine, theirs = ours.term_info(fieldname, term), whooshs.term_info(fieldname, term)
            assert [getattr(mine, name)() for name in TERM_STATS] == [
                getattr(theirs, name)() for name in TERM_STATS
            ], (fieldname, term)
        for docnum in range(whooshs.doc_count()):
            assert ours.doc_field_length(docnum, fieldname) == whooshs.doc_field_length(docnum, fieldname)
    assert list(ours.all_stored_fields()) == list(whooshs.all_stored_fields())
    assert list(ours.column_reader(whoosh.SORT_PK)) == list(whooshs.column_reader(whoosh.SORT_PK))
    # Long words are left out and stems are shared, as Whoosh's analyser does.
    assert b"q" * 80 not in list(ours.lexicon(whoosh.ALL_FIELD))
    assert b"interview" in list(ours.lexicon(whoosh.ALL_FIELD))
