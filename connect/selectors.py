"""Reads in the membership domain, filtered by what the viewer may see."""

from functools import reduce
from operator import or_

from django.db.models import Count, Q

from . import permissions
from .models import MemberProfile, MembershipRequest, TaskForce, User


def member_directory(*, user, q="", task_force=None, discipline="", state="", expertise=""):
    """Profiles matching the directory filters, with everything a row shows
    fetched up front so the page's query count does not grow with its size."""
    qs = permissions.visible_profiles(
        user,
        MemberProfile.objects.select_related("user", "task_force").prefetch_related("expertise"),
    )
    if q:
        for word in q.split()[:5]:
            qs = qs.filter(
                Q(display_name__icontains=word)
                | Q(user__first_name__icontains=word)
                | Q(user__last_name__icontains=word)
                | Q(agency__icontains=word)
            )
    if task_force:
        qs = qs.filter(task_force=task_force)
    if discipline:
        qs = qs.filter(discipline=discipline)
    if state:
        qs = qs.filter(task_force__state=state)
    if expertise:
        qs = qs.filter(expertise__name__iexact=expertise.strip())
    return qs.order_by("display_name", "pk").distinct()


def member_profile(*, user, pk):
    return (
        permissions.visible_profiles(
            user, MemberProfile.objects.select_related("user", "task_force").prefetch_related("expertise")
        )
        .filter(pk=pk)
        .first()
    )


def taskforce_list(*, user, state="", region=""):
    if not permissions.is_active_member(user):
        return TaskForce.objects.none()
    qs = TaskForce.objects.filter(is_active=True)
    if state:
        qs = qs.filter(state=state)
    if region:
        qs = qs.filter(region=region)
    return qs.annotate(member_count=Count("members", filter=Q(members__user__is_active=True)))


def taskforce_members(*, user, task_force):
    return member_directory(user=user, task_force=task_force)


def membership_request_warnings(membership_request):
    """What a reviewer should look at twice before approving."""
    return membership_request_warnings_for([membership_request])[membership_request.pk]


def membership_request_warnings_for(requests):
    """Warnings of several requests at once ({pk: [warning, ...]}), in three
    queries however many there are, for the reviewers' list."""
    requests = list(requests)
    if not requests:
        return {}
    emails = {r.email.lower() for r in requests}
    by_email = reduce(or_, (Q(email__iexact=email) for email in emails))
    existing = {email.lower() for email in User.objects.filter(by_email).values_list("email", flat=True)}
    earlier = list(MembershipRequest.objects.filter(by_email).values_list("pk", "email", "status"))
    by_name = reduce(
        or_, (Q(first_name__iexact=r.first_name, last_name__iexact=r.last_name) for r in requests)
    )
    namesakes = list(
        MembershipRequest.objects.filter(by_name).values_list("pk", "first_name", "last_name", "email")
    )
    labels = dict(MembershipRequest.Status.choices)
    result = {}
    for req in requests:
        email = req.email.lower()
        warnings = []
        if not req.task_force.allows_email(req.email):
            domains = ", ".join(req.task_force.domain_list) or "none listed"
            warnings.append(
                f"The email domain is not one of {req.task_force.name}'s agency domains ({domains})."
            )
        if email in existing:
            warnings.append("An account with this email address already exists.")
        statuses = {
            str(labels[status]).lower() for pk, e, status in earlier if e.lower() == email and pk != req.pk
        }
        if statuses:
            warnings.append(f"This email has made other requests before ({', '.join(sorted(statuses))}).")
        if any(
            pk != req.pk
            and first.lower() == req.first_name.lower()
            and last.lower() == req.last_name.lower()
            and e.lower() != email
            for pk, first, last, e in namesakes
        ):
            warnings.append("Someone with the same name has requested access with a different email.")
        if req.voucher_email.split("@")[-1].lower() != email.split("@")[-1] and not (
            req.task_force.allows_email(req.voucher_email)
        ):
            warnings.append("The person vouching uses an email outside the task force's domains.")
        result[req.pk] = warnings
    return result
