"""Rebuilding the search index from the database, and what the index owes.

Both the ``rebuild_search_index`` command and the rebuild after ``migrate``
(when the index was never built, or was built by an older schema) use
:func:`rebuild`. It writes through the backend's rebuilder, which for the
Whoosh backend builds a new index directory and swaps it in when complete, so
searches keep answering from the old index meanwhile.
"""

import time

from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django_tasks import TaskResultStatus
from modelsearch.backends import get_search_backend
from modelsearch.index import RelatedFields, class_is_indexed, get_indexed_models

CHUNK = 2000


def _with_related(model, queryset):
    """``queryset`` reading what each ``RelatedFields`` indexes in bulk: one
    related row by a join, many (a page's topics) by one query per chunk of
    rows. ``get_indexed_objects`` leaves out modelcluster's
    ``ParentalManyToManyField``, which costs a query per page otherwise."""
    prefetched = set(queryset._prefetch_related_lookups)
    for field in model.get_search_fields():
        if not isinstance(field, RelatedFields):
            continue
        try:
            model_field = field.get_field(model)
        except FieldDoesNotExist:
            continue
        if model_field.many_to_many or model_field.one_to_many:
            if field.field_name not in prefetched:
                queryset = queryset.prefetch_related(field.field_name)
                prefetched.add(field.field_name)
        elif model_field.many_to_one or model_field.one_to_one:
            queryset = queryset.select_related(field.field_name)
    return queryset


def _own_objects(model, models, related=False):
    """``model``'s objects that no indexed subclass indexes (a page is
    indexed once, as its most specific type); ``related``: with what their
    documents need (see ``_with_related``)."""
    queryset = model.get_indexed_objects()
    if related:
        queryset = _with_related(model, queryset)
    for other in models:
        if other is not model and issubclass(other, model) and not other._meta.abstract:
            queryset = queryset.exclude(pk__in=other._default_manager.values("pk"))
    return queryset


def indexed_models():
    return [
        m
        for m in get_indexed_models()
        if class_is_indexed(m) and not m._meta.abstract and m.get_search_fields()
    ]


def rebuild(*, backend_name="default", progress=None):
    """Index every indexed object into a new index; returns ``(documents,
    wall seconds, CPU seconds)``. ``progress(done, total)`` is called as it goes."""
    backend = get_search_backend(backend_name)
    models = indexed_models()
    querysets = [(m, _own_objects(m, models, related=True)) for m in models]
    total = sum(qs.count() for _m, qs in querysets)
    started, cpu_started = time.monotonic(), time.process_time()
    done = 0
    rebuilder_class = backend.rebuilder_class
    if rebuilder_class is None:
        return 0, 0.0, 0.0
    rebuilder = rebuilder_class(backend.get_index_for_model(models[0]) if models else None)
    index = rebuilder.start()
    for model, queryset in querysets:
        index.add_model(model)
        chunk = []
        for obj in queryset.iterator(chunk_size=CHUNK):
            chunk.append(obj)
            if len(chunk) >= CHUNK:
                index.add_items(model, chunk)
                done += len(chunk)
                chunk = []
                if progress:
                    progress(done, total)
        if chunk:
            index.add_items(model, chunk)
            done += len(chunk)
            if progress:
                progress(done, total)
    rebuilder.finish()
    return done, time.monotonic() - started, time.process_time() - cpu_started


def status(*, backend_name="default"):
    """What ``search_status`` prints: index size and documents, the queue of
    owed updates, and per model the rows missing from the index and the
    documents the database no longer has."""
    from django_tasks_db.models import DBTaskResult

    from connect.tasks import search_index_update

    backend = get_search_backend(backend_name)
    waiting = DBTaskResult.objects.filter(
        status=TaskResultStatus.READY, task_path=search_index_update.module_path
    )
    report = {
        "backend": settings.WAGTAILSEARCH_BACKENDS[backend_name]["BACKEND"],
        "documents": backend.document_count() if hasattr(backend, "document_count") else None,
        "size_bytes": backend.size_bytes() if hasattr(backend, "size_bytes") else None,
        "queue": waiting.count(),
        "retrying": waiting.filter(args_kwargs__kwargs__attempt__gte=2).count(),
        "failed": DBTaskResult.objects.filter(
            status=TaskResultStatus.FAILED, task_path=search_index_update.module_path
        ).count(),
        "models": [],
    }
    if not hasattr(backend, "indexed_pks"):
        return report
    models = indexed_models()
    for model in models:
        # Each object counts once, under its most specific indexed model.
        in_db = {str(pk) for pk in _own_objects(model, models).values_list("pk", flat=True)}
        in_index = backend.indexed_pks(model, exact=True)
        report["models"].append(
            {
                "model": model._meta.label,
                "database": len(in_db),
                "index": len(in_index),
                "missing": len(in_db - in_index),
                "extra": len(in_index - in_db),
            }
        )
    return report
