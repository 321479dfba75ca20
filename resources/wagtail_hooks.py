"""How the library plugs into the rest of the site."""

from django.contrib import messages
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from wagtail import hooks
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet, SnippetViewSetGroup

from connect.fragments import PAGES, Lazy
from connect.home import HomePanel
from connect.models import Role
from connect.permissions import is_active_member

from .models import Audience, SourceOrganization, Topic


class TopicViewSet(SnippetViewSet):
    model = Topic
    icon = "tag"
    list_display = ["name", "slug"]
    search_fields = ["name"]


class AudienceViewSet(SnippetViewSet):
    model = Audience
    icon = "group"
    list_display = ["name", "slug"]


class SourceOrganizationViewSet(SnippetViewSet):
    model = SourceOrganization
    icon = "site"
    list_display = ["name", "website"]
    search_fields = ["name"]


class LibraryTaxonomyGroup(SnippetViewSetGroup):
    menu_label = "Library taxonomy"
    menu_icon = "tag"
    menu_order = 300
    items = (TopicViewSet, AudienceViewSet, SourceOrganizationViewSet)


register_snippet(LibraryTaxonomyGroup)


@hooks.register("before_serve_document")
def guard_document(document, request):
    from .views import serve_document

    return serve_document(document, request)


@hooks.register("before_edit_page")
def warn_of_privacy_findings(request, page):
    """Moderators reviewing a member's share see what the privacy guard found
    in its file's text, and where, before they publish it."""
    if request.method != "GET":
        return None
    from .models import SharedResource

    share = SharedResource.objects.filter(page_id=page.pk).only("privacy_findings").first()
    if share is None or not share.privacy_findings:
        return None
    found = format_html_join(
        "; ",
        "{} “{}” ({})",
        ((f.get("label", ""), f.get("text", ""), f.get("where", "")) for f in share.privacy_findings[:10]),
    )
    messages.warning(
        request,
        format_html(
            "The privacy guard found what may identify a victim in the shared file: {}. "
            "Check the file before publishing it.",
            found,
        ),
    )
    return None


@hooks.register("register_home_panel")
def new_resources_panel(request):
    if not is_active_member(request.user):
        return None
    from .selectors import new_resources

    return HomePanel(
        title="New resources",
        template="resources/panels/new_resources.html",
        # Worked out only when the member's cached panel is missing or out of date.
        context={
            "resources": Lazy(lambda: list(new_resources(request.user))),
            "share_url": reverse("resources:share"),
        },
        order=30,
        depends=[PAGES],
    )


@hooks.register("register_home_panel")
def upcoming_events_panel(request):
    if not is_active_member(request.user):
        return None
    from .selectors import upcoming_events

    return HomePanel(
        title="Upcoming events",
        template="resources/panels/upcoming_events.html",
        # Worked out only when the member's cached panel is missing or out of
        # date; an event leaves the list within the minute it ends.
        context={"events": Lazy(lambda: list(upcoming_events(request.user, limit=4)))},
        order=40,
        depends=[PAGES],
    )


@hooks.register("register_role_permissions")
def library_role_permissions():
    taxonomy = [
        f"resources.{action}_{model}"
        for model in ("topic", "audience", "sourceorganization")
        for action in ("add", "change", "view")
    ]
    return {
        Role.MODERATOR: taxonomy,
        Role.ADMINISTRATOR: [*taxonomy, "resources.delete_topic", "resources.delete_sourceorganization"],
    }


@hooks.register("register_demo_seed", order=10)
def seed_library(stdout):
    from .demo import seed_library_demo

    seed_library_demo(stdout)


@hooks.register("register_waiting_count")
def shares_waiting_for_review(request):
    from connect.admin_panels import WaitingCount
    from connect.permissions import is_moderator

    from .models import SharedResource

    if not is_moderator(request.user):
        return None
    return WaitingCount(
        label="shared resources waiting for review",
        singular="shared resource waiting for review",
        count=SharedResource.objects.filter(status=SharedResource.Status.IN_REVIEW).count(),
        url=reverse("wagtailadmin_reports:workflow_tasks"),
        order=30,
    )
