"""Demo library and events. Titles and summaries are written afresh from what
is publicly known about the ECM program; the documents are small generated
PDFs that stand in for the real ones."""

import datetime

from django.core.files.base import ContentFile
from django.utils import timezone
from wagtail.documents import get_document_model
from wagtail.models import Collection

from .models import (
    EventFormat,
    EventIndexPage,
    EventPage,
    ResourceLibraryPage,
    ResourcePage,
    ResourceType,
    SourceOrganization,
    Topic,
)

TOPICS = [
    "Task-force operations",
    "Protocol development",
    "Victim interviews",
    "Labor trafficking",
    "Financial investigations",
    "Victim identification",
    "Trauma-informed practice",
]

SOURCES = [
    ("International Association of Chiefs of Police", "https://www.theiacp.org/"),
    ("Office for Victims of Crime Training and Technical Assistance Center", "https://www.ovcttac.gov/"),
    ("Bureau of Justice Assistance", "https://bja.ojp.gov/"),
    ("Task Force Connect members", ""),
]

# slug, title, type, topics, audiences, source index, summary, has PDF, months ago, featured, reviewed
RESOURCES = [
    ("task-force-roadmap", "Development and operations roadmap for task forces", ResourceType.GUIDE,
     ["Task-force operations"], ["coordination", "law-enforcement", "victim-services"], 0,
     "A phase-by-phase path for building a multidisciplinary task force: forming the partnership, "
     "agreeing on roles, sharing information and keeping the work going after the grant period.",
     True, 20, True, True),
    ("protocol-checklists", "Protocol development checklists", ResourceType.CHECKLIST,
     ["Protocol development"], ["coordination", "prosecution"], 1,
     "Short checklists a task force can walk through when it writes or revisits its protocols: "
     "referrals, victim notification, information sharing and case review.",
     True, 14, True, True),
    ("recording-victim-interviews", "Guide to recording victim interviews", ResourceType.GUIDE,
     ["Victim interviews", "Trauma-informed practice"],
     ["law-enforcement", "prosecution", "victim-services"], 1,
     "Why and how to record interviews with victims: consent, equipment, the room, and how a recording "
     "can spare a survivor from repeating their account.",
     True, 10, False, True),
    ("law-enforcement-guidebook", "Law-enforcement guidebook on human trafficking", ResourceType.GUIDE,
     ["Victim identification", "Labor trafficking"], ["law-enforcement"], 0,
     "Indicators, first-response steps and investigative approaches for officers who may meet "
     "trafficking in everyday calls for service.",
     True, 30, False, False),
    ("financial-crime-course", "Following the money: financial investigations course", ResourceType.TRAINING,
     ["Financial investigations"], ["law-enforcement", "prosecution"], 2,
     "A self-paced course on building trafficking cases from financial records: suspicious-activity "
     "reports, cash flows, and working with financial institutions.",
     False, 8, False, True),
    ("labor-trafficking-identification-webinar", "Webinar: identifying victims of labor trafficking",
     ResourceType.WEBINAR, ["Labor trafficking", "Victim identification"],
     ["law-enforcement", "victim-services", "coordination"], 1,
     "An archived webinar on recognising labor trafficking in agriculture, construction, hospitality and "
     "domestic work, and on partnering with labor agencies.",
     False, 6, True, True),
    ("case-review-template", "Multidisciplinary case review template", ResourceType.TEMPLATE,
     ["Task-force operations", "Protocol development"], ["coordination"], 3,
     "An agenda and note-taking template for monthly case reviews that keeps identifying details out of "
     "the minutes.",
     True, 3, False, False),
]  # fmt: skip

# slug, title, format, days from now, hour, minutes, time zone, organizer, summary
EVENTS = [
    ("coordinators-call", "Monthly task-force coordinators’ call", EventFormat.ONLINE, 9, 14, 60,
     "America/New_York", "Task Force Connect moderators",
     "An open call for coordinators to share what is working and what is stuck."),
    ("labor-trafficking-training", "Labor trafficking investigations: two-day training",
     EventFormat.IN_PERSON, 30, 9, 480, "America/Chicago",
     "A training and technical assistance provider (demo)",
     "Hands-on training on labor-trafficking indicators, interviews and working with labor inspectors."),
    ("financial-webinar", "Webinar: financial evidence in trafficking prosecutions", EventFormat.ONLINE,
     -20, 13, 90, "America/Denver", "A training and technical assistance provider (demo)",
     "How prosecutors and investigators used financial records to corroborate survivor testimony."),
]  # fmt: skip


def _pdf(title, summary):
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_title(title)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 16)
    pdf.multi_cell(0, 9, title.replace("’", "'"))
    pdf.ln(4)
    pdf.set_font("Helvetica", "", 11)
    pdf.multi_cell(0, 6, summary.replace("’", "'"))
    pdf.ln(6)
    pdf.set_font("Helvetica", "I", 9)
    pdf.multi_cell(
        0, 5, "Demo document generated for Task Force Connect. It stands in for the real resource."
    )
    return bytes(pdf.output())


# Pages after the first of some demo documents, so that search can be seen
# finding a resource by a word only its document holds ("Matched on page 3").
DOCUMENT_PAGES = {
    "recording-victim-interviews": [
        "Consent. Explain before the interview what is recorded, who may see the recording and for how "
        "long it is kept. A survivor may ask to stop the recording at any time.",
        "The room. Choose a soft interview room away from holding cells: a sofa, daylight, no uniforms in "
        "view. Place the camera high in a corner so that it is not the first thing a survivor sees.",
        "Equipment. Test the microphone before each session; a second recorder spares a repeat interview "
        "if the first fails. Store recordings on the evidence system, never on a personal phone.",
    ],
    "protocol-checklists": [
        "Referrals: who calls the victim advocate, within what time, and what is written down.",
        "Deconfliction: check every new target with the regional deconfliction center before an operation.",
    ],
}
# Documents written as Word files rather than PDFs: (heading, paragraph).
DOCX_SECTIONS = {
    "case-review-template": [
        ("Agenda", "Open cases, new referrals, services offered, barriers, next steps."),
        (
            "Minutes",
            "Write initials or case numbers only. Keep names, addresses and photographs out of the minutes.",
        ),
        (
            "Action items",
            "Each action has one owner and a date; the coordinator circulates them within two days.",
        ),
    ],
}


def _docx(title, sections):
    import io

    import docx

    document = docx.Document()
    document.add_heading(title, level=0)
    for heading, body in sections:
        document.add_heading(heading, level=1)
        document.add_paragraph(body)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _pdf_pages(title, summary, pages):
    if not pages:
        return _pdf(title, summary)
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_title(title)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 16)
    pdf.multi_cell(0, 9, title.replace("’", "'"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 11)
    pdf.multi_cell(0, 6, summary.replace("’", "'"))
    for text in pages:
        pdf.add_page()
        pdf.multi_cell(0, 6, text)
    return bytes(pdf.output())


def _document(slug, title, summary):
    from .services import document_text_extract

    Document = get_document_model()
    existing = Document.objects.filter(title=title).first()
    if existing:
        return existing
    document = Document(title=title, collection=Collection.get_first_root_node())
    if slug in DOCX_SECTIONS:
        name, data = f"demo-{slug}.docx", _docx(title, DOCX_SECTIONS[slug])
    else:
        name, data = f"demo-{slug}.pdf", _pdf_pages(title, summary, DOCUMENT_PAGES.get(slug))
    document.file.save(name, ContentFile(data), save=False)
    document._set_document_file_metadata()
    document.save()
    # Read now, so the page is indexed with its document's words when it is
    # published a moment later (the task the upload owes finds it done).
    document_text_extract(document_id=document.pk)
    return document


def _publish(parent, page):
    parent.add_child(instance=page)
    page.save_revision().publish()
    return page


def seed_library_demo(stdout):
    from .setup import ensure_library

    ensure_library()
    library = ResourceLibraryPage.objects.first()
    events = EventIndexPage.objects.first()
    topics = {name: Topic.objects.get_or_create(name=name)[0] for name in TOPICS}
    sources = [
        SourceOrganization.objects.get_or_create(name=name, defaults={"website": site})[0]
        for name, site in SOURCES
    ]
    from .models import Audience

    audiences = {a.slug: a for a in Audience.objects.all()}
    today = timezone.localdate()
    created = 0
    for (
        slug,
        title,
        kind,
        topic_names,
        audience_slugs,
        source,
        summary,
        has_pdf,
        months,
        featured,
        reviewed,
    ) in RESOURCES:
        if ResourcePage.objects.filter(slug=slug).exists():
            continue
        page = ResourcePage(
            title=title,
            slug=slug,
            summary=summary,
            resource_type=kind,
            source=sources[source],
            publication_date=today - datetime.timedelta(days=30 * months),
            last_reviewed=today - datetime.timedelta(days=20),
            featured=featured,
            reviewed_by_training_provider=reviewed,
            document=_document(slug, title, summary) if has_pdf else None,
            external_url="" if has_pdf or kind == ResourceType.WEBINAR else "https://www.ovcttac.gov/",
            video_url="https://www.youtube.com/watch?v=demo-webinar" if kind == ResourceType.WEBINAR else "",
        )
        page.topics.set([topics[name] for name in topic_names])
        page.audiences.set([audiences[a] for a in audience_slugs if a in audiences])
        _publish(library, page)
        created += 1
    for slug, title, fmt, days, hour, minutes, tz, organizer, summary in EVENTS:
        if EventPage.objects.filter(slug=slug).exists():
            continue
        start = datetime.datetime.combine(today + datetime.timedelta(days=days), datetime.time(hour))
        end = start + datetime.timedelta(minutes=minutes)
        page = EventPage(
            title=title,
            slug=slug,
            summary=summary,
            start_date=start.date(),
            start_time=start.time(),
            end_date=end.date(),
            end_time=end.time(),
            time_zone=tz,
            event_format=fmt,
            location="Demo conference center, Springfield" if fmt == EventFormat.IN_PERSON else "",
            joining_url="https://meet.example.org/demo" if fmt == EventFormat.ONLINE else "",
            organizer=organizer,
            registration_url="https://www.example.org/register/demo",
        )
        _publish(events, page)
        created += 1
    stdout.write(f"Library: {created} demo resources and events added.")
