"""ASGI entry point: HTTP to Django, WebSockets through the same access rules.

HTTP requests pass the body-size guard first (connect.bodylimits), both as an
ASGI wrapper and inside daphne, so an oversized body is refused before it is
buffered.
"""

import os

os.environ.setdefault(
    "DJANGO_SETTINGS_MODULE",
    "connect.settings.production" if os.environ.get("DJANGO_ENV") == "production" else "connect.settings.dev",
)
# Django must be set up before anything imports models. The handler runs
# each request's middleware and view in one thread (connect.handlers).
from connect.handlers import get_asgi_application  # noqa: E402

django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from connect.bodylimits import BodySizeLimitMiddleware, install_daphne_guard  # noqa: E402
from connect.channels import LazyWebsocketRouter, MembersOnlyWebsocketMiddleware  # noqa: E402

install_daphne_guard()

application = ProtocolTypeRouter(
    {
        "http": BodySizeLimitMiddleware(django_asgi_app),
        "websocket": AllowedHostsOriginValidator(
            AuthMiddlewareStack(MembersOnlyWebsocketMiddleware(LazyWebsocketRouter()))
        ),
    }
)
