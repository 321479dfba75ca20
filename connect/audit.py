"""Writing the audit log. Every security-relevant service calls `audit_record`."""

from .models import AuditEvent


def client_ip(request):
    if request is None:
        return None
    # Behind the reverse proxy the first X-Forwarded-For hop is the client;
    # the proxy is trusted to overwrite it (see docs/deployment.md).
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    ip = forwarded.split(",")[0].strip() if forwarded else request.META.get("REMOTE_ADDR")
    return ip or None


def audit_record(
    *,
    action,
    request=None,
    actor=None,
    target=None,
    target_repr="",
    outcome=AuditEvent.Outcome.SUCCESS,
    detail=None,
):
    """Append one event. ``actor`` defaults to the request's signed-in user."""
    if actor is None and request is not None and getattr(request, "user", None) is not None:
        if request.user.is_authenticated:
            actor = request.user
    target_type = target_id = ""
    if target is not None:
        target_type = target._meta.label_lower
        target_id = str(target.pk)
        target_repr = target_repr or str(target)[:255]
    user_agent = request.META.get("HTTP_USER_AGENT", "")[:255] if request is not None else ""
    return AuditEvent.objects.create(
        action=action,
        actor=actor,
        actor_email=getattr(actor, "email", "") or "",
        target_type=target_type,
        target_id=target_id,
        target_repr=(target_repr or "")[:255],
        ip_address=client_ip(request),
        user_agent=user_agent,
        outcome=outcome,
        detail=detail or {},
    )
