"""Panels on the members' home page.

Apps above `connect` register panels with the `register_home_panel` Wagtail
hook, so this module never imports them. A hook returns a `HomePanel` or
None; panels are ordered by ``order``.
"""

from dataclasses import dataclass, field

from django.urls import reverse
from django.utils import timezone
from wagtail import hooks


@dataclass
class HomePanel:
    """One panel. With ``depends`` (generation names of ``connect.fragments``)
    its HTML is cached per member until one of them moves, so its
    ``context`` should hold ``connect.fragments.Lazy`` values: a cached
    panel then costs no query. ``vary`` holds anything else its HTML
    depends on."""

    title: str
    template: str
    context: dict = field(default_factory=dict)
    order: int = 100
    depends: list | None = None
    vary: list = field(default_factory=list)


@dataclass
class WelcomeStep:
    """One step of the first-visit welcome: what to do, where, and whether
    the member has done it."""

    label: str
    url: str
    done: bool
    detail: str = ""
    order: int = 100


def profile_is_filled(profile):
    """A profile colleagues can place: a job title and a short bio."""
    return bool(profile and profile.title.strip() and profile.bio.strip())


def _welcome_state(user):
    """What the welcome's own steps read: ``(dismissed, guidelines read,
    profile filled, guidelines visible)``, cached per member (their own
    generation follows the profile and access) until their welcome progress
    is saved or deleted (``welcome_scope``) or a page changes or expires (the
    guidelines page's visibility, ``PAGES`` and ``pages_epoch``)."""
    from .fragments import PAGES, get_or_build, pages_epoch, welcome_scope
    from .models import GuidelinesPage, WelcomeProgress
    from .permissions import visible_pages

    def build():
        progress = WelcomeProgress.objects.filter(user=user).first()
        if progress is not None and progress.dismissed_at is not None:
            return (True, bool(progress.guidelines_read_at), False, False)  # put away: nothing else asked
        return (
            False,
            bool(progress and progress.guidelines_read_at),
            profile_is_filled(getattr(user, "profile", None)),
            visible_pages(user, GuidelinesPage.objects.all()).exists(),
        )

    return get_or_build(
        f"welcome-state:{pages_epoch()}",
        user_id=user.pk,
        depends=[welcome_scope(user.pk), PAGES],
        build=build,
    )


def welcome_steps(request):
    """The newcomer's first steps, in order. Steps other apps own (a first
    post in the welcome thread) come from the `register_welcome_step` hook;
    each returns a WelcomeStep or None."""
    _, guidelines_read, profile_filled, guidelines_visible = _welcome_state(request.user)
    steps = [
        WelcomeStep(
            label="Complete your profile",
            detail="Add your job title and a short bio so colleagues know what you work on.",
            url=reverse("connect:profile_edit"),
            done=profile_filled,
            order=10,
        )
    ]
    if guidelines_visible:
        steps.append(
            WelcomeStep(
                label="Read the community guidelines",
                detail="How we keep discussions useful and safe for victims and colleagues.",
                url=reverse("connect:guidelines"),
                done=guidelines_read,
                order=20,
            )
        )
    for hook in hooks.get_hooks("register_welcome_step"):
        step = hook(request)
        if step is not None:
            steps.append(step)
    return sorted(steps, key=lambda step: step.order)


def welcome_panel(request):
    """The first-visit welcome, or None once every step is done or the member
    dismissed it."""
    if _welcome_state(request.user)[0]:
        return None  # put away: not even the other apps' steps
    steps = welcome_steps(request)
    if all(step.done for step in steps):
        return None
    return {"steps": steps, "done": sum(step.done for step in steps), "total": len(steps)}


def home_panels(request):
    from .fragments import PAGES, pages_epoch

    panels = []
    for hook in hooks.get_hooks("register_home_panel"):
        panel = hook(request)
        if panel is not None:
            panels.append(panel)
    turns = None
    for panel in panels:
        if panel.depends is not None and PAGES in panel.depends:
            # Which pages a member may see also turns with the date (a
            # spotlight's week) and the clock (a page's expiry).
            turns = turns or [timezone.localdate(), pages_epoch()]
            panel.vary = [*panel.vary, *turns]
    return sorted(panels, key=lambda panel: panel.order)


def task_force_sections(request, task_force):
    """Sections other apps add to a task-force page (its spotlights, its
    discussions), through the `register_task_force_section` hook. Each hook
    returns a HomePanel or None."""
    sections = []
    for hook in hooks.get_hooks("register_task_force_section"):
        section = hook(request, task_force)
        if section is not None:
            sections.append(section)
    return sorted(sections, key=lambda section: section.order)


def profile_sections(request, profile):
    """Sections other apps add to a member's profile (their recent posts),
    through the `register_profile_section` hook. Each hook returns a
    HomePanel or None, and shows only what ``request.user`` may see."""
    sections = []
    for hook in hooks.get_hooks("register_profile_section"):
        section = hook(request, profile)
        if section is not None:
            sections.append(section)
    return sorted(sections, key=lambda section: section.order)


def member_actions(request, profiles):
    """``{profile pk: [action, …]}``: what other apps offer next to each member
    listed in the directory (write to them), through the
    `register_member_actions` hook. Each hook is given the whole page of
    profiles at once, so it answers in a fixed number of queries, and returns
    ``{profile pk: {"label", "url", "aria_label"}}``. The directory serves its
    cards from a cache, so a hook may read only ``pk``, ``user_id`` and
    ``display_name`` of each profile (``connect.views.ListedMember``)."""
    actions = {}
    for hook in hooks.get_hooks("register_member_actions"):
        for pk, action in (hook(request, profiles) or {}).items():
            actions.setdefault(pk, []).append(action)
    return actions
