"""The community guidelines page (under the home page, edited by moderators
in Wagtail) and what the home page's first-visit welcome remembers per member."""

import django.db.models.deletion
import wagtail.fields
from django.conf import settings
from django.db import migrations, models
from django.utils import timezone

BODY = (
    "<h2>Why these guidelines</h2>"
    "<p>Task Force Connect is where members of ECM task forces learn from each other. "
    "These guidelines keep it useful, and keep victims and colleagues safe.</p>"
    "<h2>Protect victims and cases</h2>"
    "<ul><li>Never post a victim's name, photo, address, date of birth or case number, "
    "or details that together could identify them.</li>"
    "<li>Do not share information from an open investigation that is not already public.</li>"
    "<li>When in doubt, describe the practice, not the person.</li></ul>"
    "<h2>Respect each other</h2>"
    "<ul><li>Members come from law enforcement, prosecution, victim services and task-force "
    "coordination. Assume good intent and explain the terms of your field.</li>"
    "<li>Disagree with ideas, not people.</li></ul>"
    "<h2>Share what helps</h2>"
    "<ul><li>Say which task force and role you speak from.</li>"
    "<li>Share templates and protocols through the resource library so others can find them.</li></ul>"
    "<h2>Moderation</h2>"
    "<p>Moderators may hold, hide or edit posts that break these guidelines, and will tell you why. "
    "Use “Report” on a post if something needs their attention.</p>"
)

# Wagtail's tree paths: four base-36 characters per level.
ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _next_path(parent, Page):
    last = (
        Page.objects.filter(path__startswith=parent.path, depth=parent.depth + 1)
        .order_by("-path")
        .values_list("path", flat=True)
        .first()
    )
    number = 0 if last is None else int(last[-4:], 36) + 1
    step = ""
    for _ in range(4):
        number, digit = divmod(number, 36)
        step = ALPHABET[digit] + step
    return parent.path + step


def forwards(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Page = apps.get_model("wagtailcore", "Page")
    HomePage = apps.get_model("connect", "HomePage")
    GuidelinesPage = apps.get_model("connect", "GuidelinesPage")

    home = HomePage.objects.first()
    if home is None or GuidelinesPage.objects.exists():
        return
    slug = "community-guidelines"
    if Page.objects.filter(path__startswith=home.path, depth=home.depth + 1, slug=slug).exists():
        return
    content_type, _ = ContentType.objects.get_or_create(model="guidelinespage", app_label="connect")
    GuidelinesPage.objects.create(
        title="Community guidelines",
        draft_title="Community guidelines",
        slug=slug,
        content_type=content_type,
        path=_next_path(home, Page),
        depth=home.depth + 1,
        numchild=0,
        url_path=f"{home.url_path}{slug}/",
        locale_id=home.locale_id,
        live=True,
        first_published_at=timezone.now(),
        last_published_at=timezone.now(),
        intro="How we keep Task Force Connect useful and safe. Moderators keep this page current.",
        body=BODY,
    )
    Page.objects.filter(pk=home.pk).update(
        numchild=Page.objects.filter(path__startswith=home.path, depth=home.depth + 1).count()
    )


class Migration(migrations.Migration):
    dependencies = [
        ("connect", "0006_memberprofile_privacy_findings"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("wagtailcore", "0098_apitoken"),
    ]

    operations = [
        migrations.CreateModel(
            name="GuidelinesPage",
            fields=[
                (
                    "page_ptr",
                    models.OneToOneField(
                        auto_created=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        parent_link=True,
                        primary_key=True,
                        serialize=False,
                        to=settings.WAGTAIL_PAGE_MODEL,
                    ),
                ),
                (
                    "intro",
                    models.TextField(blank=True, help_text="One or two sentences shown under the title."),
                ),
                ("body", wagtail.fields.RichTextField()),
            ],
            options={
                "abstract": False,
            },
            bases=("wagtailcore.page",),
        ),
        migrations.CreateModel(
            name="WelcomeProgress",
            fields=[
                (
                    "user",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="welcome",
                        serialize=False,
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                ("guidelines_read_at", models.DateTimeField(blank=True, null=True)),
                ("dismissed_at", models.DateTimeField(blank=True, null=True)),
            ],
            options={
                "verbose_name": "welcome progress",
                "verbose_name_plural": "welcome progress",
            },
        ),
        migrations.RunPython(forwards, migrations.RunPython.noop),
    ]
