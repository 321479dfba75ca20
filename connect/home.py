"""Panels on the members' home page.

Apps above `connect` register panels with the `register_home_panel` Wagtail
hook, so this module never imports them. A hook returns a `HomePanel` or
None; panels are ordered by ``order``.
"""

from dataclasses import dataclass, field

from wagtail import hooks


@dataclass
class HomePanel:
    title: str
    template: str
    context: dict = field(default_factory=dict)
    order: int = 100


def home_panels(request):
    panels = []
    for hook in hooks.get_hooks("register_home_panel"):
        panel = hook(request)
        if panel is not None:
            panels.append(panel)
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
    ``{profile pk: {"label", "url", "aria_label"}}``."""
    actions = {}
    for hook in hooks.get_hooks("register_member_actions"):
        for pk, action in (hook(request, profiles) or {}).items():
            actions.setdefault(pk, []).append(action)
    return actions
