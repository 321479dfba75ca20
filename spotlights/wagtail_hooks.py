"""How spotlights plug into the home page, task-force pages and the demo."""

from wagtail import hooks

from connect.fragments import PAGES, PROFILES, Lazy
from connect.home import HomePanel
from connect.permissions import is_active_member


@hooks.register("register_home_panel")
def this_weeks_spotlight_panel(request):
    if not is_active_member(request.user):
        return None
    from .selectors import this_weeks_spotlight

    return HomePanel(
        title="This week’s spotlight",
        template="spotlights/panels/this_week.html",
        # Worked out only when the member's cached panel is missing or out of date.
        context={"spotlight": Lazy(this_weeks_spotlight, request.user)},
        order=10,
        depends=[PAGES, PROFILES],  # the spotlight and its task force's name
    )


@hooks.register("register_task_force_section")
def task_force_spotlights_section(request, task_force):
    if not is_active_member(request.user):
        return None
    from .selectors import task_force_spotlights

    spotlights = list(task_force_spotlights(request.user, task_force))
    if not spotlights:
        return None
    return HomePanel(
        title="Spotlights",
        template="spotlights/panels/task_force.html",
        context={"spotlights": spotlights},
        order=20,
    )


@hooks.register("register_demo_seed", order=20)
def seed_spotlights(stdout):
    from .demo import seed_spotlights_demo

    seed_spotlights_demo(stdout)


@hooks.register("register_waiting_count")
def spotlights_this_week(request):
    from django.urls import reverse
    from django.utils import timezone

    from connect.admin_panels import WaitingCount
    from connect.permissions import is_moderator

    from .models import SpotlightIndexPage, SpotlightPage, monday_of

    index = SpotlightIndexPage.objects.first()
    if not is_moderator(request.user) or index is None:
        return None
    monday = monday_of(timezone.localdate())
    return WaitingCount(
        label=f"spotlights for the week of {monday:%-d %B}",
        singular=f"spotlight for the week of {monday:%-d %B}",
        count=SpotlightPage.objects.filter(week=monday).count(),
        url=reverse("wagtailadmin_explore", args=[index.pk]),
        order=40,
    )
