"""The moderators' dashboard: what waits for them, with counts and links.

Each app registers what it owes moderators through the
``register_waiting_count`` Wagtail hook (a callable taking the request and
returning a :class:`WaitingCount` or None), so this ground-floor module never
imports the apps above it. The same counts are shown on the Wagtail
dashboard and as badges on the admin menu items they link to.
"""

from __future__ import annotations

from dataclasses import dataclass

from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.ui.components import Component


@dataclass(frozen=True)
class WaitingCount:
    label: str  # "membership requests waiting"
    count: int
    url: str
    order: int = 100
    singular: str = ""  # "membership request waiting", for a count of one

    @property
    def text(self):
        """The label that agrees with the count: "1 membership request waiting"."""
        return self.singular if self.count == 1 and self.singular else self.label


def waiting_counts(request):
    """Every registered count for this moderator, once per request."""
    cached = getattr(request, "_connect_waiting_counts", None)
    if cached is None:
        cached = []
        for hook in hooks.get_hooks("register_waiting_count"):
            item = hook(request)
            if item is not None:
                cached.append(item)
        cached.sort(key=lambda item: item.order)
        request._connect_waiting_counts = cached
    return cached


def waiting_count_for(request, url):
    """The count shown for ``url`` (a menu badge), or None."""
    for item in waiting_counts(request):
        if item.url == url:
            return item.count
    return None


class WaitingPanel(Component):
    """The dashboard panel listing what waits, first on the moderator's home."""

    name = "connect_waiting"
    order = 10
    template_name = "connect/admin/waiting_panel.html"

    def __init__(self, request):
        self.request = request

    def get_context_data(self, parent_context=None):
        return {"items": waiting_counts(self.request)}


class CountedMenuItem(MenuItem):
    """An admin menu item whose label carries the count waiting behind it
    ("Moderation queue (3)"), from the same counts as the dashboard."""

    def render_component(self, request):
        component = super().render_component(request)
        count = waiting_count_for(request, self.url)
        if count:
            component.label = f"{self.label} ({count})"
        return component
