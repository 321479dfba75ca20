"""The library's fixed furniture: the Library and Events pages under the home
page, and the audiences (one per discipline). Idempotent."""

from connect.models import Discipline


def ensure_library():
    from connect.models import HomePage

    from .models import Audience, EventIndexPage, ResourceLibraryPage

    for choice in Discipline:
        Audience.objects.get_or_create(slug=choice.value.replace("_", "-"), defaults={"name": choice.label})
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
