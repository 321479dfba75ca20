"""Weekly spotlights on task forces that do something well."""

import datetime

from django.core.exceptions import ValidationError
from django.db import models
from django.http import Http404
from django.utils.text import slugify
from modelcluster.contrib.taggit import ClusterTaggableManager
from modelcluster.fields import ParentalKey
from taggit.models import TaggedItemBase
from wagtail.admin.forms import WagtailAdminPageForm
from wagtail.admin.panels import FieldPanel, MultiFieldPanel
from wagtail.fields import StreamField
from wagtail.models import Page
from wagtail.search import index

from .blocks import SpotlightBodyBlock


class SpotlightIndexPage(Page):
    """The spotlight archive, by year and task force."""

    intro = models.TextField(blank=True)

    content_panels = Page.content_panels + [FieldPanel("intro")]
    parent_page_types = ["connect.HomePage"]
    subpage_types = ["spotlights.SpotlightPage"]
    max_count = 1

    def get_context(self, request, *args, **kwargs):
        from .selectors import spotlight_archive

        context = super().get_context(request, *args, **kwargs)
        context.update(spotlight_archive(user=request.user, index=self, params=request.GET))
        return context

    def get_absolute_url(self):
        return self.get_url()


class SpotlightPageTag(TaggedItemBase):
    content_object = ParentalKey(
        "spotlights.SpotlightPage", related_name="tagged_items", on_delete=models.CASCADE
    )


def monday_of(day):
    return day - datetime.timedelta(days=day.weekday())


class SpotlightPageForm(WagtailAdminPageForm):
    """A new spotlight's address carries its week (``2026-12-07-title``) and
    is made unique among its siblings, drafts included: a draft someone
    started and abandoned no longer refuses the next spotlight with "the
    slug is already in use"."""

    def clean(self):
        week, title = self.cleaned_data.get("week"), self.cleaned_data.get("title")
        if self.instance.pk is None and self.parent_page is not None and week and title:
            base = f"{monday_of(week):%Y-%m-%d}-{slugify(title)}"[:240].strip("-")
            taken = set(self.parent_page.get_children().values_list("slug", flat=True))
            slug, n = base, 2
            while slug in taken:
                slug, n = f"{base}-{n}", n + 1
            self.cleaned_data["slug"] = slug
            self.errors.pop("slug", None)
        return super().clean()


class SpotlightPage(Page):
    """One week's spotlight on a task force."""

    week = models.DateField(
        help_text="The Monday of the week this spotlight belongs to. It becomes "
        "“this week's spotlight” once that week has begun and the page is live."
    )
    task_force = models.ForeignKey(
        "connect.TaskForce",
        on_delete=models.PROTECT,
        related_name="spotlights",
        verbose_name="featured task force",
    )
    summary = models.TextField(max_length=600)
    image = models.ForeignKey(
        "wagtailimages.Image", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    image_alt = models.CharField(
        "image alt text",
        max_length=250,
        blank=True,
        help_text="Describe the image for people who cannot see it. Required with an image.",
    )
    body = StreamField(SpotlightBodyBlock(), blank=True)
    tags = ClusterTaggableManager(through=SpotlightPageTag, blank=True)

    content_panels = Page.content_panels + [
        MultiFieldPanel([FieldPanel("week"), FieldPanel("task_force")], heading="Week and task force"),
        FieldPanel("summary"),
        MultiFieldPanel([FieldPanel("image"), FieldPanel("image_alt")], heading="Image"),
        FieldPanel("body"),
        FieldPanel("tags"),
    ]
    search_fields = Page.search_fields + [
        index.SearchField("summary"),
        index.SearchField("body"),
        index.RelatedFields("task_force", [index.SearchField("name")]),
        index.FilterField("week"),
        index.FilterField("expire_at"),  # visible_pages filters on it
        index.FilterField("task_force_id"),
    ]
    # What the search page needs to know about a hit (see search.selectors).
    search_kind = ("spotlights", "Spotlights")
    search_filters = {"task_force": "task_force_id", "date": "week"}
    search_select_related = ("task_force",)
    # The week is the schedule: "Publish" makes the spotlight live, and it is
    # shown from its week's Monday (spotlights.permissions). Wagtail's own
    # go-live and expiry pickers would be a second, overlapping schedule, so
    # the settings tab keeps only comments.
    settings_panels = [
        panel for panel in Page.settings_panels if not getattr(panel, "path", "").endswith(".PublishingPanel")
    ]
    base_form_class = SpotlightPageForm
    parent_page_types = ["spotlights.SpotlightIndexPage"]
    subpage_types = []

    class Meta:
        verbose_name = "spotlight"
        ordering = ["-week"]

    def clean(self):
        super().clean()
        if self.image_id and not self.image_alt.strip():
            raise ValidationError({"image_alt": "Describe the image: alt text is required with an image."})
        if self.week:
            self.week = monday_of(self.week)

    def get_absolute_url(self):
        return self.get_url()

    def search_hit(self):
        return {
            "title": self.title,
            "where": f"Spotlight on {self.task_force.name}",
            "where_url": self.task_force.get_absolute_url(),
            "date": self.week,
            "text": self.summary,
        }

    @classmethod
    def searchable_for(cls, user):
        from .permissions import visible_spotlights

        return visible_spotlights(user)

    def route(self, request, path_components):
        # Wagtail's routing turns away pages that are not live; this page
        # answers with the spotlight rule instead (a 404 otherwise), before
        # Wagtail's own view-restriction step, which would send a signed-in
        # member round a sign-in redirect.
        from .permissions import can_view_spotlight

        if not path_components and not can_view_spotlight(request.user, self):
            raise Http404
        return super().route(request, path_components)
