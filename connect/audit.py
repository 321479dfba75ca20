"""Writing the audit log. Every security-relevant service calls `audit_record`."""

import ipaddress

from django.conf import settings

from .models import AuditEvent


def client_ip(request):
    """The client's address. Behind CONNECT_TRUSTED_PROXY_COUNT reverse
    proxies, each of which appends the address it saw to X-Forwarded-For, the
    client is that many entries from the right; anything further left was
    written by the client and could be forged."""
    if request is None:
        return None
    proxies = getattr(settings, "CONNECT_TRUSTED_PROXY_COUNT", 0)
    ip = request.META.get("REMOTE_ADDR")
    if proxies > 0:
        hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
        if hops:
            ip = hops[-min(proxies, len(hops))]
    try:
        ipaddress.ip_address(ip or "")
    except ValueError:
        return None
    return ip


def audit_record(
    *,
    action,
    request=None,
    actor=None,
    target=None,
    target_repr="",
    outcome=AuditEvent.Outcome.SUCCESS,
    detail=None,
    origin=None,
):
    """Append one event. ``actor`` defaults to the request's signed-in user.
    ``origin`` is a `connect.actors.Actor`, for callers that have no request (a
    consumer, a task, a command); its address was read at the edge."""
    if origin is not None and actor is None:
        actor = origin.user
    if actor is None and request is not None and getattr(request, "user", None) is not None:
        if request.user.is_authenticated:
            actor = request.user
    target_type = target_id = ""
    if target is not None:
        target_type = target._meta.label_lower
        target_id = str(target.pk)
        target_repr = target_repr or str(target)[:255]
    user_agent = request.META.get("HTTP_USER_AGENT", "")[:255] if request is not None else ""
    ip_address = client_ip(request)
    if origin is not None and request is None:
        user_agent, ip_address = origin.user_agent, origin.ip_address
    return AuditEvent.objects.create(
        action=action,
        actor=actor,
        actor_email=getattr(actor, "email", "") or "",
        target_type=target_type,
        target_id=target_id,
        target_repr=(target_repr or "")[:255],
        ip_address=ip_address,
        user_agent=user_agent,
        outcome=outcome,
        detail=detail or {},
    )
