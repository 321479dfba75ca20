"""The resource library, events and the taxonomy that describes them."""

import posixpath
import secrets
from datetime import datetime, time
from zoneinfo import ZoneInfo

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.http import Http404
from django.utils import timezone
from django.utils.text import slugify
from modelcluster.fields import ParentalManyToManyField
from wagtail.admin.panels import FieldPanel, MultiFieldPanel
from wagtail.documents.models import Document
from wagtail.models import Page
from wagtail.search import index

from connect.models import Discipline


class MemberVisiblePage:
    """Pages that answer at their own URL only to members who may see them.

    Wagtail's routing turns away pages that are not live; these pages answer
    with their type's rule (``searchable_for``) instead, a 404 otherwise, and
    before Wagtail's view-restriction step, which would send a signed-in
    member who fails a group restriction round a sign-in redirect."""

    def route(self, request, path_components):
        from .permissions import can_view_page

        if not path_components and not can_view_page(request.user, self):
            raise Http404
        return super().route(request, path_components)


class Topic(models.Model):
    """A subject in the library's managed taxonomy (e.g. labor trafficking)."""

    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=100, unique=True)

    panels = [FieldPanel("name"), FieldPanel("slug")]

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        if not self.slug:
            self.slug = slugify(self.name)[:100]
        super().save(*args, **kwargs)


class Audience(models.Model):
    """A discipline a resource is written for; one row per connect Discipline."""

    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=100, unique=True)

    panels = [FieldPanel("name"), FieldPanel("slug")]

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class SourceOrganization(models.Model):
    """The organization that published a resource."""

    name = models.CharField(max_length=200, unique=True)
    slug = models.SlugField(max_length=200, unique=True)
    website = models.URLField(blank=True)

    panels = [FieldPanel("name"), FieldPanel("slug"), FieldPanel("website")]

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        if not self.slug:
            self.slug = slugify(self.name)[:200]
        super().save(*args, **kwargs)


class ResourceType(models.TextChoices):
    TOOLKIT = "toolkit", "Toolkit"
    CHECKLIST = "checklist", "Checklist"
    GUIDE = "guide", "Guide"
    VIDEO = "video", "Video"
    WEBINAR = "webinar", "Webinar recording"
    TEMPLATE = "template", "Template"
    TRAINING = "training", "Training"
    REPORT = "report", "Report"
    OTHER = "other", "Other"


class ResourceLibraryPage(Page):
    """The library: filters, counts, sorting and pagination over its resources."""

    intro = models.TextField(blank=True)

    content_panels = Page.content_panels + [FieldPanel("intro")]
    parent_page_types = ["connect.HomePage"]
    subpage_types = ["resources.ResourcePage"]
    max_count = 1

    def get_context(self, request, *args, **kwargs):
        from connect.fragments import PAGES, Lazy, pages_epoch

        from .selectors import LISTING_KEYS, library_listing, listing_vary
        from .signals import LIBRARY

        context = super().get_context(request, *args, **kwargs)
        # Worked out only when the member's cached copy of the listing (the
        # {% fragment %} in the template) is missing or out of date.
        listing = Lazy(library_listing, user=request.user, library=self, params=request.GET)
        context.update({key: Lazy(lambda key=key: listing()[key]) for key in LISTING_KEYS})
        context["listing_depends"] = [PAGES, LIBRARY]
        context["listing_vary"] = [self.pk, listing_vary(request.GET), pages_epoch()]
        return context

    def get_absolute_url(self):
        return self.get_url()


class ResourcePage(MemberVisiblePage, Page):
    """One vetted resource: a document, an external link or a video link."""

    # What review emails call it: they name the kind of thing waiting, never
    # its member-written title (templates/wagtailadmin/notifications/).
    review_noun = "shared resource"

    summary = models.TextField(max_length=1000)
    resource_type = models.CharField(max_length=20, choices=ResourceType.choices, default=ResourceType.GUIDE)
    topics = ParentalManyToManyField(Topic, blank=True, related_name="resources")
    audiences = ParentalManyToManyField(Audience, blank=True, related_name="resources")
    source = models.ForeignKey(
        SourceOrganization,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="resources",
        verbose_name="source organization",
    )
    publication_date = models.DateField(null=True, blank=True)
    last_reviewed = models.DateField("last reviewed", null=True, blank=True)
    document = models.ForeignKey(
        "wagtaildocs.Document", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    external_url = models.URLField("external link", blank=True, max_length=500)
    video_url = models.URLField(
        "video link", blank=True, max_length=500, help_text="A link to a recording (e.g. a video page)."
    )
    featured = models.BooleanField(default=False)
    reviewed_by_training_provider = models.BooleanField(
        "reviewed by a training provider",
        default=False,
        help_text="Tick when an OVC-funded training and technical assistance provider has reviewed it.",
    )

    content_panels = Page.content_panels + [
        FieldPanel("summary"),
        MultiFieldPanel(
            [
                FieldPanel("resource_type"),
                FieldPanel("topics", widget=forms.CheckboxSelectMultiple),
                FieldPanel("audiences", widget=forms.CheckboxSelectMultiple),
                FieldPanel("source"),
                FieldPanel("publication_date"),
                FieldPanel("last_reviewed"),
            ],
            heading="Description",
        ),
        MultiFieldPanel(
            [FieldPanel("document"), FieldPanel("external_url"), FieldPanel("video_url")],
            heading="The resource (exactly one)",
        ),
        MultiFieldPanel(
            [FieldPanel("featured"), FieldPanel("reviewed_by_training_provider")], heading="Marks"
        ),
    ]
    search_fields = Page.search_fields + [
        index.SearchField("summary"),
        index.FilterField("resource_type"),
        index.FilterField("expire_at"),  # visible_pages filters on it
        index.RelatedFields("topics", [index.SearchField("name"), index.FilterField("name")]),
        index.RelatedFields("source", [index.SearchField("name")]),
        index.SearchField("document_text"),
    ]
    # What the search page needs to know about a hit (see search.selectors).
    search_kind = ("resources", "Resources")
    search_filters = {"resource_type": "resource_type", "topic": "topics__name", "date": "first_published_at"}
    search_select_related = ("source",)
    parent_page_types = ["resources.ResourceLibraryPage"]
    subpage_types = []

    class Meta:
        verbose_name = "resource"

    def clean(self):
        super().clean()
        given = [bool(self.document_id), bool(self.external_url), bool(self.video_url)]
        if sum(given) != 1:
            raise ValidationError("Give exactly one of a document, an external link or a video link.")

    def get_absolute_url(self):
        return self.get_url()

    def get_context(self, request, *args, **kwargs):
        from .selectors import related_events

        context = super().get_context(request, *args, **kwargs)
        context["related_events"] = list(related_events(request.user, self))
        return context

    @classmethod
    def searchable_for(cls, user):
        from .permissions import visible_resources

        return visible_resources(user)

    def search_hit(self):
        return {
            "title": self.title,
            "where": " · ".join(filter(None, ["Resource library", self.get_resource_type_display()])),
            "byline": self.source.name if self.source_id else "",
            "date": self.publication_date or self.first_published_at,
            "text": self.summary,
        }

    def document_text(self):
        """The words of the page's document, for the index (see
        resources.extraction). Only a live page without view restrictions
        carries them: the index's vocabulary feeds prefix expansion and
        spelling suggestions for every member, so no word of a draft, a
        member's share in review or a restricted document may enter it."""
        if not self.document_id or not self.live or (self.expire_at and self.expire_at <= timezone.now()):
            return ""
        if self.get_view_restrictions().exists():
            return ""
        return "\n".join(
            DocumentText.objects.filter(document_id=self.document_id).values_list("text", flat=True)
        )

    @classmethod
    def search_passages(cls, objs, terms):
        """``{pk: (where, text)}``: for the hits on a search page, the page,
        slide or sheet of their document that best matches ``terms`` (stemmed
        words). One query, narrowed in the database to units holding a term."""
        from .selectors import best_passages

        return best_passages(objs, terms)

    @classmethod
    def search_facet_labels(cls, name, values, user):
        """Labels of the resource-type and topic facets (a topic is filtered by
        its name); with ``values=None``, the topics worth counting, most used first."""
        if name == "resource_type":
            return dict(ResourceType.choices)
        if name == "topic":
            topics = Topic.objects.all() if values is None else Topic.objects.filter(name__in=values)
            topics = topics.annotate(n=models.Count("resources")).order_by("-n", "name")[:12]
            return {name: name for name in topics.values_list("name", flat=True)}
        return {}

    @property
    def link_kind(self):
        if self.document_id:
            return "document"
        return "video" if self.video_url else "link"


class DocumentDownload(models.Model):
    """How often a document was downloaded. Kept outside page revisions so
    publishing a new revision never resets the count."""

    document = models.OneToOneField(
        "wagtaildocs.Document", on_delete=models.CASCADE, related_name="download_stat"
    )
    count = models.PositiveIntegerField(default=0)
    last_downloaded_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"{self.document} ({self.count})"


class DocumentExtraction(models.Model):
    """What became of reading a document's text: when, from which file, how
    much, and why it failed if it did. A document that cannot be read is
    still listed and found by its page's title and summary."""

    class Status(models.TextChoices):
        DONE = "done", "Read"
        FAILED = "failed", "Could not be read"
        UNSUPPORTED = "unsupported", "No text to read"

    document = models.OneToOneField(
        "wagtaildocs.Document", on_delete=models.CASCADE, related_name="text_extraction"
    )
    status = models.CharField(max_length=20, choices=Status.choices)
    # The file that was read: a replaced file is read again, a re-saved title is not.
    file_name = models.CharField(max_length=255)
    file_hash = models.CharField(max_length=40, blank=True)
    units = models.PositiveIntegerField(default=0)
    characters = models.PositiveIntegerField(default=0)
    truncated = models.BooleanField(default=False)
    error = models.CharField(max_length=500, blank=True)
    extracted_at = models.DateTimeField()

    def __str__(self):
        return f"{self.document} ({self.get_status_display()})"


class DocumentText(models.Model):
    """The text of one page, slide, sheet or passage of a document, kept apart
    so a search hit can say where in the document the words are."""

    document = models.ForeignKey("wagtaildocs.Document", on_delete=models.CASCADE, related_name="text_units")
    position = models.PositiveIntegerField()
    label = models.CharField(max_length=120, help_text="Where in the document, e.g. “page 3”.")
    text = models.TextField()

    class Meta:
        ordering = ["document", "position"]
        constraints = [
            models.UniqueConstraint(fields=["document", "position"], name="documenttext_unique_position")
        ]

    def __str__(self):
        return f"{self.document}, {self.label}"


class DownloadDocument(Document):
    """A document as it is handed to a member: named after its title, so a
    download never carries the stored (random) or uploaded file name."""

    search_fields = []  # the same rows as Document; never indexed twice

    class Meta:
        proxy = True

    @property
    def filename(self):
        extension = posixpath.splitext(self.file.name)[1].lower()
        return (slugify(self.title)[:80] or "document") + extension


class SharedResource(models.Model):
    """A resource a member shared, and what became of it in review."""

    class Status(models.TextChoices):
        IN_REVIEW = "in_review", "In review"
        PUBLISHED = "published", "Published"
        DECLINED = "declined", "Not accepted"

    page = models.OneToOneField(ResourcePage, on_delete=models.CASCADE, related_name="share")
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="shared_resources"
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.IN_REVIEW)
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    # From the share form, so a form sent twice (a double click, a resent
    # request) creates one draft, not two.
    submission_token = models.CharField(max_length=64, null=True, blank=True, unique=True, editable=False)
    # What the privacy guard found in the shared file's text, for moderators:
    # [{"kind", "label", "text", "where"}].
    privacy_findings = models.JSONField(default=list, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.page.title} ({self.get_status_display()})"


TIME_ZONE_CHOICES = [
    ("America/New_York", "Eastern (New York)"),
    ("America/Chicago", "Central (Chicago)"),
    ("America/Denver", "Mountain (Denver)"),
    ("America/Phoenix", "Mountain, no daylight saving (Phoenix)"),
    ("America/Los_Angeles", "Pacific (Los Angeles)"),
    ("America/Anchorage", "Alaska (Anchorage)"),
    ("Pacific/Honolulu", "Hawaii (Honolulu)"),
    ("America/Puerto_Rico", "Atlantic (Puerto Rico)"),
    ("Pacific/Guam", "Chamorro (Guam)"),
    ("UTC", "UTC"),
]


class EventFormat(models.TextChoices):
    IN_PERSON = "in_person", "In person"
    ONLINE = "online", "Online"
    HYBRID = "hybrid", "In person and online"


class EventIndexPage(Page):
    """Upcoming and past events and trainings."""

    intro = models.TextField(blank=True)

    content_panels = Page.content_panels + [FieldPanel("intro")]
    parent_page_types = ["connect.HomePage"]
    subpage_types = ["resources.EventPage"]
    max_count = 1

    def get_context(self, request, *args, **kwargs):
        from .selectors import event_listing

        context = super().get_context(request, *args, **kwargs)
        context.update(event_listing(user=request.user, index=self, params=request.GET))
        return context

    def get_absolute_url(self):
        return self.get_url()


class EventPage(MemberVisiblePage, Page):
    """An event or training, with its time zone and an iCalendar download."""

    summary = models.TextField(max_length=1000)
    start_date = models.DateField()
    start_time = models.TimeField(null=True, blank=True, help_text="Leave empty for an all-day event.")
    end_date = models.DateField(null=True, blank=True, help_text="Leave empty if it ends the same day.")
    end_time = models.TimeField(null=True, blank=True)
    time_zone = models.CharField(max_length=64, choices=TIME_ZONE_CHOICES, default="America/New_York")
    event_format = models.CharField("format", max_length=20, choices=EventFormat.choices)
    location = models.CharField(max_length=300, blank=True, help_text="Venue and city, for in-person events.")
    joining_url = models.URLField("joining link", blank=True, max_length=500)
    organizer = models.CharField(max_length=200)
    registration_url = models.URLField("registration link", blank=True, max_length=500)
    audiences = ParentalManyToManyField(Audience, blank=True, related_name="events")
    related_resources = ParentalManyToManyField(
        ResourcePage, blank=True, related_name="events", verbose_name="related resources"
    )
    # Derived on save from the fields above, so lists can filter in the database.
    starts_at = models.DateTimeField(editable=False, db_index=True, null=True)
    ends_at = models.DateTimeField(editable=False, db_index=True, null=True)

    content_panels = Page.content_panels + [
        FieldPanel("summary"),
        MultiFieldPanel(
            [
                FieldPanel("start_date"),
                FieldPanel("start_time"),
                FieldPanel("end_date"),
                FieldPanel("end_time"),
                FieldPanel("time_zone"),
            ],
            heading="When",
        ),
        MultiFieldPanel(
            [FieldPanel("event_format"), FieldPanel("location"), FieldPanel("joining_url")], heading="Where"
        ),
        FieldPanel("organizer"),
        FieldPanel("registration_url"),
        FieldPanel("audiences", widget=forms.CheckboxSelectMultiple),
        FieldPanel("related_resources"),
    ]
    search_fields = Page.search_fields + [
        index.SearchField("summary"),
        index.SearchField("organizer"),
        index.SearchField("location"),
        index.FilterField("starts_at"),
        index.FilterField("expire_at"),  # visible_pages filters on it
    ]
    search_kind = ("events", "Events")
    search_filters = {"date": "starts_at"}
    parent_page_types = ["resources.EventIndexPage"]
    subpage_types = []

    class Meta:
        verbose_name = "event"

    @property
    def tz(self):
        try:
            return ZoneInfo(self.time_zone)
        except (ValueError, KeyError, OSError):  # an unknown zone must not break a page
            return ZoneInfo("UTC")

    @property
    def all_day(self):
        return self.start_time is None

    def _compute_bounds(self):
        tz = self.tz
        end_date = self.end_date or self.start_date
        if self.start_time is None:
            start = datetime.combine(self.start_date, time.min, tz)
            end = datetime.combine(end_date, time.max, tz)
        else:
            start = datetime.combine(self.start_date, self.start_time, tz)
            end = datetime.combine(end_date, self.end_time or self.start_time, tz)
        return start, end

    def clean(self):
        super().clean()
        errors = {}
        if self.end_date and self.start_date and self.end_date < self.start_date:
            errors["end_date"] = "The event cannot end before it starts."
        if self.end_time and not self.start_time:
            errors["start_time"] = "Give a start time when you give an end time."
        if not errors and self.start_date:
            start, end = self._compute_bounds()
            if end < start:
                errors["end_time"] = "The event cannot end before it starts."
        if self.event_format in (EventFormat.IN_PERSON, EventFormat.HYBRID) and not self.location:
            errors["location"] = "Give the location of an in-person event."
        if self.event_format in (EventFormat.ONLINE, EventFormat.HYBRID) and not self.joining_url:
            errors["joining_url"] = "Give the joining link of an online event."
        if errors:
            raise ValidationError(errors)

    def save(self, *args, **kwargs):
        if self.start_date:
            self.starts_at, self.ends_at = self._compute_bounds()
        super().save(*args, **kwargs)

    @property
    def local_start(self):
        return self.starts_at.astimezone(self.tz) if self.starts_at else None

    @property
    def local_end(self):
        return self.ends_at.astimezone(self.tz) if self.ends_at else None

    @property
    def is_past(self):
        return self.ends_at is not None and self.ends_at < timezone.now()

    def get_absolute_url(self):
        return self.get_url()

    def get_context(self, request, *args, **kwargs):
        from .selectors import related_resources

        context = super().get_context(request, *args, **kwargs)
        context["related_resources"] = list(related_resources(request.user, self))
        return context

    @classmethod
    def searchable_for(cls, user):
        from .permissions import visible_events

        return visible_events(user)

    def search_hit(self):
        return {
            "title": self.title,
            "where": " · ".join(filter(None, ["Event", self.get_event_format_display(), self.location])),
            "byline": self.organizer,
            "date": self.start_date,
            "text": self.summary,
        }


def _new_token():
    return secrets.token_urlsafe(32)


class CalendarFeed(models.Model):
    """A member's secret calendar-feed address. Resetting it replaces the token,
    so an address that leaked stops working."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feed"
    )
    token = models.CharField(max_length=64, unique=True, default=_new_token)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return f"Calendar feed of {self.user}"


DISCIPLINE_AUDIENCES = [(choice.value.replace("_", "-"), choice.label) for choice in Discipline]
