"""The library's fixed furniture: the Library and Events pages under the home
page, and the audiences (one per discipline). Idempotent."""

from connect.models import Discipline, Role


def ensure_review_workflow():
    """Wagtail's default "Moderators approval" workflow covers the whole tree;
    administrators may approve too. Moderators change it in Settings → Workflows."""
    from django.contrib.auth.models import Group
    from wagtail.models import GroupApprovalTask

    admins = Group.objects.filter(name=Role.ADMINISTRATOR).first()
    task = GroupApprovalTask.objects.filter(name="Moderators approval").first()
    if admins is not None and task is not None:
        task.groups.add(admins)


def ensure_library():
    from connect.models import HomePage

    from .models import Audience, EventIndexPage, ResourceLibraryPage

    for choice in Discipline:
        Audience.objects.get_or_create(slug=choice.value.replace("_", "-"), defaults={"name": choice.label})
    ensure_review_workflow()
    home = HomePage.objects.first()
    if home is None:
        return
    if not ResourceLibraryPage.objects.exists():
        home.add_child(
            instance=ResourceLibraryPage(
                title="Resource library",
                slug="resources",
                intro="Vetted toolkits, checklists, guides, recordings and templates for ECM task forces.",
            )
        )
    if not EventIndexPage.objects.exists():
        home.add_child(
            instance=EventIndexPage(
                title="Events and trainings",
                slug="events",
                intro="Trainings, webinars and meetings for task-force members.",
            )
        )
