"""Who may see and do what in the TTA program: the one place these rules live.

Members see their own task force's requests; program staff see all of them;
nobody else sees a request (a 404). Visits are seen by both task forces and
by staff. Views, selectors, notifications, emails and the home and task-force
panels all ask here."""

from django.db.models import Q

from connect import fragments
from connect.permissions import is_active_member, is_administrator

from .models import ExchangeVisit, ProgramRole, Status, VisitStatus

# The generation of every member's program roles (connect.fragments): moved on
# by each save or delete of a role, whoever's it is (a role moved to another
# member drops both members' copies).
PROGRAM_ROLES = "assistance.program-roles"


def _roles(user):
    """The member's program roles, fetched once per request object and cached
    across requests (``connect.fragments``, with the member's own generation)
    until a program role is saved or deleted: the home page asks on every visit."""
    if not getattr(user, "is_authenticated", False):
        return ()
    if not hasattr(user, "_program_roles"):
        user._program_roles = fragments.get_or_build(
            "program-roles",
            user_id=user.pk,
            depends=[PROGRAM_ROLES],
            build=lambda: tuple(ProgramRole.objects.filter(user_id=user.pk)),
        )
    return user._program_roles


def connect_invalidation_signals():
    from django.db.models.signals import post_delete, post_save

    def on_role(sender, **kwargs):
        fragments.bump(PROGRAM_ROLES)

    for name, signal in (("save", post_save), ("delete", post_delete)):
        signal.connect(
            on_role, sender=ProgramRole, weak=False, dispatch_uid=f"assistance.program_roles.{name}"
        )


def forget_program_roles(user):
    if hasattr(user, "_program_roles"):
        del user._program_roles


def _task_force_id(user):
    profile = getattr(user, "profile", None)
    return profile.task_force_id if profile is not None else None


def staff_role(user):
    return next((role for role in _roles(user) if role.kind == ProgramRole.Kind.STAFF), None)


def is_program_staff(user):
    """TTA staff, and administrators, who run the program."""
    if not is_active_member(user):
        return False
    return is_administrator(user) or staff_role(user) is not None


def coordinated_task_force_id(user):
    """The task force ``user`` coordinates, or None."""
    if not is_active_member(user):
        return None
    for role in _roles(user):
        if role.kind == ProgramRole.Kind.COORDINATOR and role.task_force_id == _task_force_id(user):
            return role.task_force_id
    return None


def is_coordinator(user, task_force_id):
    return task_force_id is not None and coordinated_task_force_id(user) == task_force_id


def has_coordinator(task_force_id):
    return ProgramRole.objects.filter(kind=ProgramRole.Kind.COORDINATOR, task_force_id=task_force_id).exists()


def speaks_for(user, task_force_id):
    """Whether ``user`` may act for the task force: its coordinator, or any of
    its members while nobody has been given that role."""
    if not is_active_member(user) or task_force_id is None or _task_force_id(user) != task_force_id:
        return False
    return is_coordinator(user, task_force_id) or not has_coordinator(task_force_id)


# --- Requests ---------------------------------------------------------------------


def visible_requests(user, qs):
    if not is_active_member(user):
        return qs.none()
    if is_program_staff(user):
        return qs
    task_force_id = _task_force_id(user)
    if task_force_id is None:
        return qs.none()
    return qs.filter(task_force_id=task_force_id)


def can_view_request(user, request):
    if is_program_staff(user):
        return True
    return is_active_member(user) and request.task_force_id == _task_force_id(user)


def can_submit_request(user):
    return speaks_for(user, _task_force_id(user))


def can_read_description(user, request):
    """A description the privacy guard flagged waits for staff review before
    the rest of the task force reads it; its author still sees their words."""
    if not can_view_request(user, request):
        return False
    return not request.privacy_held or is_program_staff(user) or request.requester_id == user.pk


def can_triage(user, request):
    """Staff take any request not yet given to a partner; once it is, that
    partner's staff (and administrators) carry it on."""
    if not is_program_staff(user):
        return False
    if request.partner_id is None or is_administrator(user):
        return True
    role = staff_role(user)
    return role is not None and role.partner_id == request.partner_id


def can_see_internal_notes(user, request):
    return is_program_staff(user) and can_view_request(user, request)


def can_give_feedback(user, request):
    return (
        request.status in (Status.DELIVERED, Status.CLOSED)
        and (request.requester_id == user.pk or is_coordinator(user, request.task_force_id))
        and can_view_request(user, request)
    )


# --- Visits -----------------------------------------------------------------------


def visible_visits(user, qs=None):
    qs = ExchangeVisit.objects.all() if qs is None else qs
    if not is_active_member(user):
        return qs.none()
    if is_program_staff(user):
        return qs
    task_force_id = _task_force_id(user)
    if task_force_id is None:
        return qs.none()
    return qs.filter(Q(host_id=task_force_id) | Q(request__task_force_id=task_force_id))


def can_view_visit(user, visit):
    if is_program_staff(user):
        return True
    task_force_id = _task_force_id(user)
    return is_active_member(user) and task_force_id in (visit.host_id, visit.request.task_force_id)


def can_respond_to_visit(user, visit):
    """The host's coordinator answers; staff may record an answer given to them."""
    return visit.status == VisitStatus.PROPOSED and (
        is_program_staff(user) or speaks_for(user, visit.host_id)
    )


def can_manage_visit(user, visit):
    return can_triage(user, visit.request)


def can_edit_spotlight_draft(user, page):
    """Whether a visit's spotlight draft opens in the page editor for
    ``user``: Wagtail's page permissions decide (editors, not TTA staff)."""
    return page is not None and is_active_member(user) and page.permissions_for_user(user).can_edit()


def report_side(user, visit):
    """Which side's report ``user`` may file, or None."""
    if speaks_for(user, visit.request.task_force_id):
        return "visitor"
    if speaks_for(user, visit.host_id):
        return "host"
    return None


def can_see_visit_on_task_force_page(user):
    """Every member may see which visits a task force hosted and made (no text, no people)."""
    return is_active_member(user)
