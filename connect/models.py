"""The membership domain: members, task forces, requests, invitations, audit."""

import hashlib
import unicodedata

from django.conf import settings
from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils import timezone
from taggit.managers import TaggableManager
from taggit.models import TagBase, TaggedItemBase
from wagtail.admin.panels import FieldPanel
from wagtail.fields import RichTextField
from wagtail.models import Page
from wagtail.search import index
from wagtail.search.queryset import SearchableQuerySetMixin


class Discipline(models.TextChoices):
    LAW_ENFORCEMENT = "law_enforcement", "Law enforcement"
    PROSECUTION = "prosecution", "Prosecution"
    VICTIM_SERVICES = "victim_services", "Victim services"
    COORDINATION = "coordination", "Task-force coordination"
    OTHER = "other", "Other"


class Role(models.TextChoices):
    """Roles are Django groups (created by a migration); these are their names."""

    MEMBER = "Members", "Member"
    MODERATOR = "Moderators", "Moderator"
    ADMINISTRATOR = "Administrators", "Administrator"


US_STATES = [
    ("AL", "Alabama"), ("AK", "Alaska"), ("AZ", "Arizona"), ("AR", "Arkansas"),
    ("CA", "California"), ("CO", "Colorado"), ("CT", "Connecticut"), ("DE", "Delaware"),
    ("DC", "District of Columbia"), ("FL", "Florida"), ("GA", "Georgia"), ("HI", "Hawaii"),
    ("ID", "Idaho"), ("IL", "Illinois"), ("IN", "Indiana"), ("IA", "Iowa"), ("KS", "Kansas"),
    ("KY", "Kentucky"), ("LA", "Louisiana"), ("ME", "Maine"), ("MD", "Maryland"),
    ("MA", "Massachusetts"), ("MI", "Michigan"), ("MN", "Minnesota"), ("MS", "Mississippi"),
    ("MO", "Missouri"), ("MT", "Montana"), ("NE", "Nebraska"), ("NV", "Nevada"),
    ("NH", "New Hampshire"), ("NJ", "New Jersey"), ("NM", "New Mexico"), ("NY", "New York"),
    ("NC", "North Carolina"), ("ND", "North Dakota"), ("OH", "Ohio"), ("OK", "Oklahoma"),
    ("OR", "Oregon"), ("PA", "Pennsylvania"), ("RI", "Rhode Island"), ("SC", "South Carolina"),
    ("SD", "South Dakota"), ("TN", "Tennessee"), ("TX", "Texas"), ("UT", "Utah"),
    ("VT", "Vermont"), ("VA", "Virginia"), ("WA", "Washington"), ("WV", "West Virginia"),
    ("WI", "Wisconsin"), ("WY", "Wyoming"), ("PR", "Puerto Rico"), ("GU", "Guam"),
]  # fmt: skip


class Region(models.TextChoices):
    NORTHEAST = "northeast", "Northeast"
    MIDWEST = "midwest", "Midwest"
    SOUTH = "south", "South"
    WEST = "west", "West"
    TERRITORIES = "territories", "Territories"


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email, password, **extra):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra):
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email, password=None, **extra):
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra)

    def get_by_natural_key(self, username):
        return self.get(email__iexact=username)


class User(AbstractUser):
    """A person who can sign in. The email address is the login."""

    username = None
    email = models.EmailField("work email", unique=True)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS = []

    objects = UserManager()

    class Meta:
        ordering = ["last_name", "first_name", "email"]

    def __str__(self):
        return self.get_full_name() or self.email

    @property
    def display_name(self):
        profile = getattr(self, "profile", None)
        if profile and profile.display_name:
            return profile.display_name
        return self.get_full_name() or self.email.split("@")[0]

    @property
    def role_names(self):
        """Names of the user's role groups, fetched once per request object."""
        if not hasattr(self, "_role_names"):
            self._role_names = frozenset(self.groups.values_list("name", flat=True))
        return self._role_names


class SearchableQuerySet(SearchableQuerySetMixin, models.QuerySet):
    pass


class TaskForce(index.Indexed, models.Model):
    """An ECM anti-human-trafficking task force on the roster."""

    name = models.CharField(max_length=200, unique=True)
    slug = models.SlugField(max_length=200, unique=True)
    jurisdiction = models.CharField(max_length=200, help_text="Area the task force covers.")
    state = models.CharField(max_length=2, choices=US_STATES)
    region = models.CharField(max_length=20, choices=Region.choices)
    lead_agencies = models.TextField(
        blank=True, help_text="Lead law-enforcement and victim-service agencies, one per line."
    )
    funding_program = models.CharField(
        max_length=200, default="Enhanced Collaborative Model to Combat Human Trafficking"
    )
    first_fiscal_year = models.PositiveSmallIntegerField(null=True, blank=True)
    email_domains = models.TextField(
        blank=True,
        help_text="Work-email domains of the task force's agencies, one per line "
        "(e.g. police.example.gov). Requests from other domains are flagged for reviewers.",
    )
    description = models.TextField(blank=True)
    coordinator_name = models.CharField(max_length=200, blank=True)
    coordinator_email = models.EmailField(blank=True)
    coordinator_phone = models.CharField(max_length=40, blank=True)
    is_active = models.BooleanField(default=True)

    objects = SearchableQuerySet.as_manager()

    # Found by what its public roster page shows; never by its coordinator's
    # contact details.
    search_fields = [
        index.SearchField("name", boost=2),
        index.AutocompleteField("name"),
        index.SearchField("jurisdiction"),
        index.SearchField("lead_agencies"),
        index.SearchField("description"),
        index.FilterField("id"),
        index.FilterField("is_active"),
        index.FilterField("state"),
        index.FilterField("region"),
    ]
    search_kind = ("task_forces", "Task forces")
    search_filters = {"task_force": "id"}

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("connect:taskforce_detail", kwargs={"slug": self.slug})

    @classmethod
    def searchable_for(cls, user):
        from . import permissions

        return permissions.visible_task_forces(user, cls.objects.all())

    @classmethod
    def search_facet_labels(cls, name, values, user):
        if name != "task_force" or values is None:
            return {}
        return dict(cls.searchable_for(user).filter(pk__in=values).values_list("pk", "name"))

    @property
    def place(self):
        """Where the task force works: "Palm Beach County, Florida", but "Florida" where the jurisdiction is
        the state itself (never "Florida, Florida")."""
        state = self.get_state_display()
        if not self.jurisdiction or state.lower() in self.jurisdiction.lower():
            return self.jurisdiction or state
        return f"{self.jurisdiction}, {state}"

    def search_hit(self):
        """How the search page shows this task force (see search.selectors)."""
        return {
            "title": self.name,
            "where": self.place,
            "date": None,
            "text": " ".join(filter(None, [self.jurisdiction, self.description, self.lead_agencies])),
        }

    @property
    def domain_list(self):
        return [
            line.strip().lower().lstrip("@")
            for line in self.email_domains.replace(",", "\n").splitlines()
            if line.strip()
        ]

    @property
    def lead_agency_list(self):
        return [line.strip() for line in self.lead_agencies.splitlines() if line.strip()]

    def allows_email(self, email):
        domain = email.rsplit("@", 1)[-1].lower()
        return any(domain == d or domain.endswith("." + d) for d in self.domain_list)


class ExpertiseTag(TagBase):
    """An area of expertise members list on their profile."""

    class Meta:
        verbose_name = "area of expertise"
        verbose_name_plural = "areas of expertise"


class TaggedExpertise(TaggedItemBase):
    tag = models.ForeignKey(ExpertiseTag, related_name="tagged_profiles", on_delete=models.CASCADE)
    content_object = models.ForeignKey(
        "connect.MemberProfile", related_name="tagged_expertise", on_delete=models.CASCADE
    )


def name_key(name):
    """What two names are compared by: letters only as a reader sees them, so
    "Pat  Doe", "pat doe", "PatDoe" and the same with invisible or
    full-width characters are one name."""
    text = unicodedata.normalize("NFKC", name or "").casefold()
    return "".join(ch for ch in text if ch.isalnum())


def display_name_conflict(name, *, user=None):
    """The other account whose display name or legal name reads as ``name``,
    or None. A display name must never let one member pass for another (an
    administrator, say) or for a person the privacy guard would protect."""
    key = name_key(name)
    if not key:
        return None
    others = User.objects.all() if user is None or user.pk is None else User.objects.exclude(pk=user.pk)
    for other in others.select_related("profile").only(
        "first_name", "last_name", "email", "profile__display_name"
    ):
        profile = getattr(other, "profile", None)
        if name_key(other.get_full_name()) == key or (profile and name_key(profile.display_name) == key):
            return other
    return None


class ContactVisibility(models.TextChoices):
    MEMBERS = "members", "All members"
    TASK_FORCE = "task_force", "Members of my task force"
    NOBODY = "nobody", "Nobody"


class MemberProfile(index.Indexed, models.Model):
    """What a member tells other members about themselves."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile")
    display_name = models.CharField(max_length=120)
    task_force = models.ForeignKey(TaskForce, on_delete=models.PROTECT, related_name="members")
    discipline = models.CharField(max_length=30, choices=Discipline.choices)
    title = models.CharField(max_length=150, blank=True)
    agency = models.CharField(max_length=200)
    bio = models.TextField("short bio", max_length=2000, blank=True)
    expertise = TaggableManager(through=TaggedExpertise, blank=True, verbose_name="areas of expertise")
    languages = models.CharField(
        max_length=200, blank=True, help_text="Languages you work in, separated by commas."
    )
    phone = models.CharField("work phone", max_length=40, blank=True)
    email_visibility = models.CharField(
        max_length=20, choices=ContactVisibility.choices, default=ContactVisibility.MEMBERS
    )
    phone_visibility = models.CharField(
        max_length=20, choices=ContactVisibility.choices, default=ContactVisibility.TASK_FORCE
    )
    # What the privacy guard found in text the member confirmed. While it is
    # not empty the profile is held: only the member and moderators see it,
    # until a moderator releases it.
    privacy_findings = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = SearchableQuerySet.as_manager()

    panels = [
        FieldPanel("display_name"),
        FieldPanel("task_force"),
        FieldPanel("discipline"),
        FieldPanel("title"),
        FieldPanel("agency"),
        FieldPanel("bio"),
        FieldPanel("expertise"),
        FieldPanel("languages"),
    ]

    # Only what every member may read on the profile is indexed: the work
    # email and phone have their own visibility and are never searchable, so
    # no search, count, snippet or suggestion can reveal them.
    search_fields = [
        index.SearchField("display_name", boost=2),
        index.AutocompleteField("display_name"),
        index.SearchField("title"),
        index.SearchField("agency"),
        index.SearchField("bio"),
        index.SearchField("languages"),
        index.RelatedFields("expertise", [index.SearchField("name")]),
        index.RelatedFields("task_force", [index.SearchField("name")]),
        index.RelatedFields("user", [index.FilterField("is_active")]),
        index.FilterField("task_force_id"),
        index.FilterField("discipline"),
        index.FilterField("created_at"),
    ]
    search_kind = ("members", "Members")
    search_filters = {"task_force": "task_force_id", "date": "created_at"}
    search_select_related = ("task_force",)

    class Meta:
        ordering = ["display_name"]
        indexes = [models.Index(fields=["discipline"])]

    def __str__(self):
        return self.display_name

    def get_absolute_url(self):
        return reverse("connect:member_detail", kwargs={"pk": self.pk})

    @classmethod
    def searchable_for(cls, user):
        from . import permissions

        return permissions.visible_profiles(user, cls.objects.all())

    @classmethod
    def get_indexed_objects(cls):
        # A held profile's new text is not indexed until a moderator releases
        # it (releasing saves it, which indexes it).
        return super().get_indexed_objects().filter(privacy_findings=[])

    def search_hit(self):
        """How the search page shows this member: the fields every member may see."""
        if self.privacy_findings:
            # Held by the privacy guard: nothing the member wrote, to anyone.
            return {
                "label": "Member",
                "title": self.task_force.name,
                "where": self.task_force.name,
                "where_url": self.task_force.get_absolute_url(),
                "date": None,
                "text": "",
            }
        role = " · ".join(filter(None, [self.title, self.agency]))
        return {
            "label": "Member",
            "title": self.display_name,
            "where": f"{role} — {self.task_force.name}" if role else self.task_force.name,
            "where_url": self.task_force.get_absolute_url(),
            "date": None,
            "text": " ".join(filter(None, [self.bio, self.languages])),
        }

    def clean(self):
        super().clean()
        if self.display_name and self.user_id:
            other = display_name_conflict(self.display_name, user=self.user)
            if other is not None:
                raise ValidationError(
                    {
                        "display_name": "Another member already goes by this name, or one that reads "
                        "the same. Choose a name that tells you apart, for example by adding "
                        "your agency or task force."
                    }
                )

    @property
    def language_list(self):
        return [item.strip() for item in self.languages.split(",") if item.strip()]


class MembershipRequest(models.Model):
    """Someone asking to join; reviewed by moderators and administrators."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending review"
        APPROVED = "approved", "Approved (invitation sent)"
        DENIED = "denied", "Denied"
        JOINED = "joined", "Joined"

    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    email = models.EmailField("work email")
    agency = models.CharField(max_length=200)
    task_force = models.ForeignKey(TaskForce, on_delete=models.PROTECT, related_name="requests")
    discipline = models.CharField(max_length=30, choices=Discipline.choices)
    title = models.CharField(max_length=150)
    voucher_name = models.CharField("supervisor or coordinator's name", max_length=200)
    voucher_email = models.EmailField("supervisor or coordinator's email")
    statement = models.TextField(
        "why you are requesting access",
        max_length=2000,
        help_text="Your role on the task force and how you will use the community.",
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(auto_now_add=True)
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    denial_reason = models.TextField(blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "created_at"]), models.Index(fields=["email"])]

    def __str__(self):
        return f"{self.first_name} {self.last_name} <{self.email}>"

    @property
    def full_name(self):
        return f"{self.first_name} {self.last_name}".strip()


class Invitation(models.Model):
    """A single-use, expiring link that lets an approved applicant sign up.

    Only a hash of the token is stored, so a database leak does not leak
    usable links.
    """

    request = models.ForeignKey(MembershipRequest, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField()
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"Invitation for {self.email}"

    @staticmethod
    def hash_token(token):
        return hashlib.sha256(token.encode()).hexdigest()

    @property
    def is_usable(self):
        return self.used_at is None and self.revoked_at is None and self.expires_at > timezone.now()


class AppendOnlyQuerySet(models.QuerySet):
    """Bulk changes are refused like single ones."""

    def update(self, **kwargs):
        raise RuntimeError("Audit events are append-only.")

    def bulk_update(self, objs, fields, batch_size=None):
        raise RuntimeError("Audit events are append-only.")

    def delete(self):
        raise RuntimeError("Audit events are append-only.")

    delete.queryset_only = True


class AuditEvent(models.Model):
    """An append-only record of a security-relevant action.

    Rows are never updated or deleted through the ORM; the admin shows them
    read-only.
    """

    class Outcome(models.TextChoices):
        SUCCESS = "success", "Success"
        FAILURE = "failure", "Failure"
        DENIED = "denied", "Denied"

    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_email = models.CharField(max_length=254, blank=True)
    action = models.CharField(max_length=64, db_index=True)
    target_type = models.CharField(max_length=64, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    target_repr = models.CharField(max_length=255, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=255, blank=True)
    outcome = models.CharField(max_length=10, choices=Outcome.choices, default=Outcome.SUCCESS)
    detail = models.JSONField(default=dict, blank=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["action", "target_repr", "created_at"])]

    def __str__(self):
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.action} {self.target_repr}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise RuntimeError("Audit events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise RuntimeError("Audit events are append-only.")


class HomePage(Page):
    """The members' home page: a greeting plus panels other apps register."""

    intro = models.TextField(
        blank=True, help_text="A short welcome shown under the greeting on the members' home page."
    )

    content_panels = Page.content_panels + [FieldPanel("intro")]
    parent_page_types = ["wagtailcore.Page"]
    max_count = 1

    def get_context(self, request, *args, **kwargs):
        from .home import home_panels, welcome_panel

        context = super().get_context(request, *args, **kwargs)
        context["panels"] = home_panels(request)
        # The greeting names the member: cached with their own generation alone.
        context["greeting_depends"] = []
        # Never cached with the panels: each step ticks as soon as it is done.
        context["welcome"] = welcome_panel(request)
        return context

    def serve(self, request, *args, **kwargs):
        # The site root doubles as the public landing page: visitors who are
        # not (yet) members get the explanation and a way in, nothing else.
        from .permissions import is_active_member

        if not is_active_member(request.user):
            from django.template.response import TemplateResponse

            return TemplateResponse(request, "connect/landing.html", {"page": self})
        return super().serve(request, *args, **kwargs)


class GuidelinesPage(Page):
    """The community guidelines: one page under the home page that moderators
    edit in Wagtail. A member's first visit ticks the welcome panel's step."""

    intro = models.TextField(blank=True, help_text="One or two sentences shown under the title.")
    body = RichTextField(features=["h2", "h3", "bold", "italic", "ol", "ul", "link"])

    content_panels = Page.content_panels + [FieldPanel("intro"), FieldPanel("body")]
    parent_page_types = ["connect.HomePage"]
    subpage_types = []
    max_count = 1

    def serve(self, request, *args, **kwargs):
        from .permissions import is_active_member
        from .services import welcome_guidelines_read

        response = super().serve(request, *args, **kwargs)
        if is_active_member(request.user) and not getattr(request, "is_preview", False):
            welcome_guidelines_read(user=request.user)
        return response


class WelcomeProgress(models.Model):
    """What the home page's first-visit welcome knows about a member: whether
    they opened the guidelines and whether they put the welcome away. The
    other steps (a filled profile, a post in the welcome thread) are read from
    the data itself, so they tick even when done from elsewhere."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="welcome"
    )
    guidelines_read_at = models.DateTimeField(null=True, blank=True)
    dismissed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "welcome progress"
        verbose_name_plural = "welcome progress"

    def __str__(self):
        return f"Welcome progress of {self.user}"


class DeliveredEmail(models.Model):
    """One row per email handed to the mail server, keyed by the message's
    idempotency key: a delivery task run twice (a worker died after sending,
    a retry raced a slow first attempt) finds the row and sends nothing."""

    key = models.CharField(max_length=200, unique=True)
    delivered_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = "delivered email"

    def __str__(self):
        return self.key
