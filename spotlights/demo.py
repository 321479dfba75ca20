"""Demo spotlights: fictional people, real kinds of good practice."""

import datetime

from django.utils import timezone
from wagtail.models import Page

from connect.models import TaskForce

from .models import SpotlightIndexPage, SpotlightPage, monday_of

# task force slug, weeks ago, title, summary, practices, quote, tags
SPOTLIGHTS = [
    ("palm-beach-county", 0, "Reading the local economy: a threat assessment that led to the farms",
     "The task force mapped the industries in its county that rely on seasonal and migrant labor, and "
     "used what it learned to plan outreach with farmworker advocates on dairy and produce farms.",
     ["Start with public data on local industries before choosing where to look.",
      "Bring labor inspectors and farmworker organizations in from the first meeting.",
      "Do outreach in workers' languages, at times and places that suit them."],
     "We stopped waiting for tips and went where the work is.", ["labor trafficking", "outreach"]),
    ("north-dakota", 1, "Navigators who connect a statewide task force",
     "Regional navigators link survivors in rural counties with services close to home, and keep "
     "partners in distant regions working from the same playbook.",
     ["Give each region a named navigator that partners can call.",
      "Meet monthly across regions, even briefly.",
      "Keep a shared directory of local services current."],
     "Distance is our biggest challenge, so relationships have to do the travelling.", ["rural", "services"]),
    ("greater-new-orleans", 2, "Recording interviews so survivors tell it once",
     "Investigators and advocates built a shared approach to recorded, trauma-informed interviews, with "
     "advocates present and a quiet room set aside for the purpose.",
     ["Agree when an interview will be recorded and explain it plainly.",
      "Keep an advocate available before, during and after.",
      "Review recordings together to improve, not to blame."],
     "The recording means she did not have to relive it three more times.",
     ["interviews", "trauma-informed"]),
    ("cook-county", 3, "Case reviews that keep everyone at the table",
     "A monthly multidisciplinary case review gives prosecutors, investigators and service providers one "
     "place to solve problems early, with minutes that never name a victim.",
     ["Use a fixed agenda and rotate the chair.", "Record decisions and owners, not personal details."],
     "Most problems are easy to fix when they are three weeks old.", ["case review", "protocols"]),
]  # fmt: skip


# Demo library pages (resources.demo) a spotlight points to, when present.
RELATED_RESOURCES = ["task-force-roadmap", "protocol-checklists"]


def seed_spotlights_demo(stdout):
    from .setup import ensure_spotlight_index

    ensure_spotlight_index()
    index = SpotlightIndexPage.objects.first()
    this_monday = monday_of(timezone.localdate())
    created = 0
    for slug, weeks_ago, title, summary, practices, quote, tags in SPOTLIGHTS:
        task_force = TaskForce.objects.filter(slug=slug).first()
        page_slug = f"{slug}-spotlight"
        if task_force is None or SpotlightPage.objects.filter(slug=page_slug).exists():
            continue
        body = [
            (
                "paragraph",
                "<p>Demo content: an illustrative write-up of a kind of practice ECM task forces "
                f"describe publicly, shown here with the {task_force.name}. It is not a record of "
                "that task force's work, and the quote is invented.</p>",
            ),
            ("pull_quote", {"quote": quote, "attribution": "A task-force member (fictional, for the demo)"}),
            ("key_practices", {"heading": "Key practices", "practices": practices}),
            (
                "contacts",
                {
                    "heading": "Contacts",
                    "contacts": [
                        {
                            "name": task_force.coordinator_name or "Task-force coordinator",
                            "role": "Coordinator",
                            "agency": task_force.name,
                            "email": task_force.coordinator_email,
                        }
                    ],
                },
            ),
        ]
        related = list(Page.objects.live().filter(slug__in=RELATED_RESOURCES).order_by("title"))
        if related:
            body.append(("related_resources", {"heading": "Related resources", "resources": related}))
        page = SpotlightPage(
            title=title,
            slug=page_slug,
            week=this_monday - datetime.timedelta(weeks=weeks_ago),
            task_force=task_force,
            summary=summary,
            body=body,
        )
        index.add_child(instance=page)
        page.tags.add(*tags)
        page.save_revision().publish()
        created += 1
    stdout.write(f"Spotlights: {created} demo spotlights added.")
