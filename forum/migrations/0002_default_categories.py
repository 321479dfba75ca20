"""The categories every installation starts with; moderators edit them in the admin."""

from django.db import migrations

CATEGORIES = [
    ("Labor Trafficking", "labor-trafficking", "Identifying and working labor-trafficking cases.", [], []),
    (
        "Sex Trafficking",
        "sex-trafficking",
        "Sex-trafficking investigations, services and prosecutions.",
        [],
        [],
    ),
    (
        "Child Exploitation",
        "child-exploitation",
        "Cases involving minors: approaches, protocols, partners.",
        [],
        [],
    ),
    ("Investigations", "investigations", "Techniques, tools and lessons from investigations.", [], []),
    ("Prosecution", "prosecution", "Charging, trial practice, restitution and case law.", [], []),
    ("Victim Services", "victim-services", "Housing, advocacy, trauma-informed care and referrals.", [], []),
    (
        "Task Force Operations",
        "task-force-operations",
        "Running a task force: MOUs, meetings, governance.",
        [],
        [],
    ),
    (
        "Data Collection & Evaluation",
        "data-collection-evaluation",
        "Measuring what the task force does.",
        [],
        [],
    ),
    ("Training & Events", "training-events", "Trainings, conferences and webinars.", [], []),
    (
        "Law Enforcement Only",
        "law-enforcement-only",
        "For sworn law enforcement members only.",
        ["law_enforcement"],
        [],
    ),
    (
        "Victim Services Only",
        "victim-services-only",
        "For victim-service providers only.",
        ["victim_services"],
        [],
    ),
    ("Moderators", "moderators", "Moderators' own discussions.", [], ["Moderators", "Administrators"]),
]
SUGGESTIONS = (
    "Suggestions for Task Force Connect",
    "suggestions",
    "Ideas to make this community better. Vote for the ones you want.",
)


def create(apps, schema_editor):
    Category = apps.get_model("forum", "Category")
    for position, (name, slug, description, disciplines, roles) in enumerate(CATEGORIES):
        Category.objects.get_or_create(
            slug=slug,
            defaults={
                "name": name,
                "description": description,
                "position": (position + 1) * 10,
                "allowed_disciplines": disciplines,
                "allowed_roles": roles,
            },
        )
    name, slug, description = SUGGESTIONS
    Category.objects.get_or_create(
        slug=slug,
        defaults={"name": name, "description": description, "position": 900, "is_suggestions": True},
    )


class Migration(migrations.Migration):
    dependencies = [("forum", "0001_initial")]

    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
