"""Who is acting, and from where — the value every service takes instead of a request.

A reply can be written from a page (a view), a WebSocket (a consumer), a retried
task or a management command. Services that took `request` could only be called
from a view, and each read the client address its own way (one skipped the
trusted-proxy rule and recorded the proxy's address). An `Actor` is built once,
at the edge, with the one rule for the client address (`client_ip`), and carries
only what services and the audit log need: the member, their address and user
agent. It is immutable and holds no request, so it can be passed to a task.

Service errors share `ServiceError`: a stable `code` a view, consumer or client
can branch on, beside a message written for the member.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .audit import client_ip

USER_AGENT_MAX = 255


@dataclass(frozen=True, slots=True)
class Actor:
    """A member (or nobody, for an applicant or the system) and where they act from."""

    user: Any = None
    ip_address: str | None = None
    user_agent: str = ""
    # "web", "websocket", "task", "command": which edge built this actor, kept in audit detail.
    via: str = "web"
    extra: dict = field(default_factory=dict, compare=False)

    @classmethod
    def from_request(cls, request, *, user=None):
        """The signed-in member (or `user`) behind an HTTP request, with the
        client address read through CONNECT_TRUSTED_PROXY_COUNT."""
        if user is None:
            candidate = getattr(request, "user", None)
            user = candidate if getattr(candidate, "is_authenticated", False) else None
        return cls(
            user=user,
            ip_address=client_ip(request),
            user_agent=request.META.get("HTTP_USER_AGENT", "")[:USER_AGENT_MAX],
            via="web",
        )

    @classmethod
    def from_scope(cls, scope, *, user=None):
        """The member behind a WebSocket, from its ASGI scope. The address is the
        socket peer (proxies are handled the same way as for HTTP requests)."""
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        client = scope.get("client") or (None, None)
        meta = {"REMOTE_ADDR": client[0] or "", "HTTP_X_FORWARDED_FOR": headers.get("x-forwarded-for", "")}
        if user is None:
            candidate = scope.get("user")
            user = candidate if getattr(candidate, "is_authenticated", False) else None
        return cls(
            user=user,
            ip_address=client_ip(_Meta(meta)),
            user_agent=headers.get("user-agent", "")[:USER_AGENT_MAX],
            via="websocket",
        )

    @classmethod
    def system(cls, *, user=None, via="task"):
        """A task or a management command acting (for `user`, if given)."""
        return cls(user=user, via=via)

    def as_user(self, user):
        """The same origin acting as (or on behalf of) another account."""
        return Actor(user=user, ip_address=self.ip_address, user_agent=self.user_agent, via=self.via)


class _Meta:
    """Just enough of a request for `client_ip`."""

    def __init__(self, meta):
        self.META = meta


class ServiceError(Exception):
    """A refusal from a service: `code` is stable (clients branch on it), the
    message is for the member. Subclasses name the area (`ForumError`, …)."""

    default_code = "refused"

    def __init__(self, message="", *, code=None):
        super().__init__(message)
        self.message = message
        self.code = code or self.default_code

    def __str__(self):
        return self.message
