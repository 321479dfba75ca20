"""The ASGI handler runs a request's middleware and view in one thread and
reuses threads across requests, without two requests ever sharing one at once."""

import asyncio
import threading

import pytest
from asgiref.testing import ApplicationCommunicator
from django.http import HttpResponse
from django.urls import path

from connect.decorators import public
from connect.handlers import SyncChainASGIHandler

release = threading.Event()


@public
def where(request):
    if request.GET.get("wait"):
        release.wait(10)
    return HttpResponse(f"{threading.current_thread().name} {threading.get_ident()}")


urlpatterns = [path("where/", where)]


async def _get(app, query=""):
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": "/where/",
        "raw_path": b"/where/",
        "query_string": query.encode(),
        "root_path": "",
        "headers": [(b"host", b"testserver")],
        "client": ("127.0.0.1", 40000),
        "server": ("testserver", 80),
    }
    communicator = ApplicationCommunicator(app, scope)
    await communicator.send_input({"type": "http.request", "body": b""})
    start = await communicator.receive_output(10)
    body = await communicator.receive_output(10)
    assert start["status"] == 200, body
    return body["body"].decode()


@pytest.mark.urls("tests.connect.test_handlers")
@pytest.mark.django_db(transaction=True)
async def test_requests_reuse_a_thread_and_never_share_one_at_once():
    app = SyncChainASGIHandler()
    first = await _get(app)
    assert first.startswith("connect-request")
    assert await _get(app) == first
    release.clear()
    slow = asyncio.ensure_future(_get(app, "wait=1"))
    await asyncio.sleep(0.3)
    other = await _get(app)
    release.set()
    assert other != await slow
