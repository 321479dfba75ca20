"""The site's ASGI application plus a bare Django view with no middleware at all.

``/bench/bare/`` goes to a second Django handler built with an empty
middleware list: URL resolution and a view returning a short text, the floor
every page is compared with. Everything else goes to the site as deployed.
"""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")

from django.conf import settings  # noqa: E402
from django.core.handlers.asgi import ASGIHandler  # noqa: E402

from connect.asgi import application as site  # noqa: E402


class BareHandler(ASGIHandler):
    def load_middleware(self, is_async=False):
        saved = settings.MIDDLEWARE
        settings.MIDDLEWARE = []
        try:
            super().load_middleware(is_async=is_async)
        finally:
            settings.MIDDLEWARE = saved


bare = BareHandler()


async def application(scope, receive, send):
    if scope["type"] == "http" and scope["path"] == "/bench/bare/":
        return await bare(scope, receive, send)
    return await site(scope, receive, send)
