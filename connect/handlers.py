"""Django's ASGI handler, with each request's middleware and view run in one
reused thread.

Every middleware of the site is synchronous, and so are the views. Django's
stock ASGI handler costs a members-only page more than the checks it makes:

* it builds the middleware chain around its asynchronous core, so a request
  crosses between the event loop and a worker thread several times (into the
  chain, back out to the core, into the view, and for each ``process_view``);
  here the chain is built around the synchronous core, as under WSGI, and
  entered once;
* it starts a new thread for every request (asgiref's per-request
  ``ThreadSensitiveContext``) and joins it afterwards, so the database
  connection is opened anew each time as well; here a request borrows an
  idle thread from a small cache and gives it back when it is done, so a
  thread serves one request at a time, as under a threaded WSGI server.

An async view would still run (Django wraps it), just not on the event loop.
"""

import threading
from concurrent.futures import Executor, ThreadPoolExecutor

import django
from asgiref.sync import ThreadSensitiveContext, sync_to_async
from django.core.handlers.asgi import ASGIHandler

# Idle threads kept for the next requests; more in flight at once get new
# threads, which are shut down when they finish if this many are idle.
MAX_IDLE_THREADS = 16


class _ThreadCache:
    def __init__(self):
        self._idle = []
        self._lock = threading.Lock()

    def acquire(self):
        with self._lock:
            if self._idle:
                return self._idle.pop()
        return ThreadPoolExecutor(max_workers=1, thread_name_prefix="connect-request")

    def release(self, executor):
        with self._lock:
            if len(self._idle) < MAX_IDLE_THREADS:
                self._idle.append(executor)
                return
        executor.shutdown(wait=False)


class _RequestExecutor(Executor):
    """One request's thread, borrowed from the cache on its first use (a
    request refused before it reaches Django borrows none)."""

    def __init__(self, cache):
        self._cache = cache
        self._executor = None

    def submit(self, fn, /, *args, **kwargs):
        if self._executor is None:
            self._executor = self._cache.acquire()
        return self._executor.submit(fn, *args, **kwargs)

    def release(self):
        if self._executor is not None:
            self._cache.release(self._executor)
            self._executor = None


class SyncChainASGIHandler(ASGIHandler):
    def __init__(self):
        super().__init__()
        self._threads = _ThreadCache()

    def load_middleware(self, is_async=False):
        super().load_middleware(is_async=False)
        self._middleware_chain = sync_to_async(self._middleware_chain, thread_sensitive=True)

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            raise ValueError(f"Django can only handle ASGI/HTTP connections, not {scope['type']}.")
        executor = _RequestExecutor(self._threads)
        try:
            async with ThreadSensitiveContext(executor=executor):
                await self.handle(scope, receive, send)
        finally:
            executor.release()


def get_asgi_application():
    """What ``django.core.asgi.get_asgi_application`` does, with this handler."""
    django.setup(set_prefix=False)
    return SyncChainASGIHandler()
