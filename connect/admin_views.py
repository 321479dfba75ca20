"""Admin screens that are actions rather than model editing: approve or deny
a request, unlock a sign-in, change a member's role or deactivate them."""

from functools import wraps

from allauth.account.decorators import reauthentication_required
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from . import lockout, permissions, services
from .actors import Actor
from .models import MembershipRequest, Role, User


def _require(check, user):
    if not check(user):
        raise Http404


def administrator_action(view):
    """Administrators only (others get a 404), and changes need a recent
    confirmation with the authenticator code (connect.adapters): neither a
    session left open on a desk nor a stolen password can hand out roles or
    unlock accounts."""
    guarded = reauthentication_required(view, allow_get=True)

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        _require(permissions.is_administrator, request.user)
        return guarded(request, *args, **kwargs)

    return wrapped


def _inspect_url(pk):
    return reverse("membership_requests:inspect", args=[pk])


@require_POST
def request_approve(request, pk):
    _require(permissions.can_review_requests, request.user)
    req = get_object_or_404(MembershipRequest, pk=pk)
    try:
        services.membership_request_approve(
            membership_request=req, reviewer=request.user, origin=Actor.from_request(request)
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"Approved. An invitation was emailed to {req.email}.")
    return redirect(_inspect_url(pk))


@require_POST
def request_reinvite(request, pk):
    _require(permissions.can_review_requests, request.user)
    req = get_object_or_404(MembershipRequest, pk=pk)
    try:
        services.membership_request_reinvite(
            membership_request=req, reviewer=request.user, origin=Actor.from_request(request)
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request, f"A new invitation was emailed to {req.email}; earlier links no longer work."
        )
    return redirect(_inspect_url(pk))


@require_POST
def request_deny(request, pk):
    _require(permissions.can_review_requests, request.user)
    req = get_object_or_404(MembershipRequest, pk=pk)
    try:
        services.membership_request_deny(
            membership_request=req,
            reviewer=request.user,
            reason=request.POST.get("reason", "")[:2000],
            origin=Actor.from_request(request),
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"Denied. {req.email} was told the reason by email.")
    return redirect(_inspect_url(pk))


@require_http_methods(["GET", "POST"])
@administrator_action
def lockouts(request):
    if request.method == "POST":
        email = request.POST.get("email", "")[:254]
        lockout.lockout_clear(email=email, by=request.user, request=request)
        messages.success(request, f"Sign-in unlocked for {email}.")
        return redirect("connect_admin:lockouts")
    return TemplateResponse(request, "connect/admin/lockouts.html", {"locked": lockout.locked_emails()})


@require_http_methods(["GET"])
def members(request):
    _require(permissions.is_administrator, request.user)
    q = request.GET.get("q", "").strip()[:100]
    users = User.objects.prefetch_related("groups").select_related("profile__task_force")
    if q:
        users = users.filter(Q(email__icontains=q) | Q(first_name__icontains=q) | Q(last_name__icontains=q))
    page = Paginator(users.order_by("last_name", "first_name", "email"), 50).get_page(request.GET.get("page"))
    return TemplateResponse(request, "connect/admin/members.html", {"page_obj": page, "q": q})


@require_http_methods(["GET", "POST"])
@administrator_action
def member_manage(request, pk):
    member = get_object_or_404(User, pk=pk)
    if request.method == "POST":
        action = request.POST.get("action")
        if member == request.user and action in {"deactivate", "role"}:
            messages.error(request, "You cannot change your own role or deactivate yourself.")
        elif action == "deactivate":
            services.member_deactivate(
                user=member,
                by=request.user,
                origin=Actor.from_request(request),
                reason=request.POST.get("reason", "")[:500],
            )
            messages.success(request, f"{member} was deactivated and signed out everywhere.")
        elif action == "reactivate":
            services.member_reactivate(user=member, by=request.user, origin=Actor.from_request(request))
            messages.success(request, f"{member} was reactivated.")
        elif action == "role" and request.POST.get("role") in Role.values:
            services.member_set_role(
                user=member, role=request.POST["role"], by=request.user, origin=Actor.from_request(request)
            )
            messages.success(request, f"{member} is now in {request.POST['role']}.")
        else:
            messages.error(request, "Choose what to change.")
        return redirect("connect_admin:member_manage", pk=member.pk)
    current = [g.name for g in member.groups.all() if g.name in Role.values]
    return TemplateResponse(
        request,
        "connect/admin/member_manage.html",
        {"member": member, "roles": Role.choices, "current_role": current[0] if current else ""},
    )
