"""Training and technical assistance (TTA): who plays which part in the
program, what task forces ask for, how it is delivered, and the peer exchange
visits between task forces."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify

from connect.models import Discipline

from . import conf


class PartnerOrganization(models.Model):
    """An organisation that delivers TTA for the program (a training partner)."""

    name = models.CharField(max_length=200, unique=True)
    slug = models.SlugField(max_length=200, unique=True, blank=True)
    website = models.URLField(blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = "TTA partner organization"

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        if not self.slug:
            self.slug = slugify(self.name)[:200]
        super().save(*args, **kwargs)


class ProgramRole(models.Model):
    """A part a member plays in the TTA program, granted by an administrator.

    A coordinator speaks for one task force (their own); TTA staff work for a
    partner organisation and see every request."""

    class Kind(models.TextChoices):
        COORDINATOR = "coordinator", "Task-force coordinator"
        STAFF = "staff", "TTA staff"

    # The Wagtail group holding the admin permissions of TTA staff: the
    # services keep its members the same as the holders of the staff role.
    STAFF_GROUP = "TTA staff"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="program_roles")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    task_force = models.ForeignKey(
        "connect.TaskForce", null=True, blank=True, on_delete=models.CASCADE, related_name="program_roles"
    )
    partner = models.ForeignKey(
        PartnerOrganization, null=True, blank=True, on_delete=models.PROTECT, related_name="staff_roles"
    )
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    granted_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["kind", "user__email"]
        constraints = [
            models.UniqueConstraint(fields=["user", "kind"], name="assistance_one_role_of_a_kind"),
            models.CheckConstraint(
                condition=~models.Q(kind="coordinator") | models.Q(task_force__isnull=False),
                name="assistance_coordinator_has_task_force",
            ),
            models.CheckConstraint(
                condition=~models.Q(kind="staff") | models.Q(partner__isnull=False),
                name="assistance_staff_has_partner",
            ),
        ]

    def __str__(self):
        where = self.task_force if self.kind == self.Kind.COORDINATOR else self.partner
        return f"{self.get_kind_display()}: {self.user} ({where})"

    def clean(self):
        super().clean()
        if self.kind == self.Kind.COORDINATOR:
            if not self.task_force_id:
                raise ValidationError({"task_force": "A coordinator coordinates one task force: choose it."})
            profile = getattr(self.user, "profile", None) if self.user_id else None
            if profile is None or profile.task_force_id != self.task_force_id:
                raise ValidationError(
                    {"task_force": "A member may only coordinate the task force they belong to."}
                )
        if self.kind == self.Kind.STAFF and not self.partner_id:
            raise ValidationError({"partner": "TTA staff work for a partner organization: choose it."})


class Kind(models.TextChoices):
    TRAINING = "training", "Training"
    TECHNICAL_ASSISTANCE = "technical_assistance", "Technical assistance"
    RESOURCE = "resource", "Resource"
    PEER_EXCHANGE = "peer_exchange", "Peer exchange visit"


class Format(models.TextChoices):
    IN_PERSON = "in_person", "In person"
    ONLINE = "online", "Online"
    EITHER = "either", "Either"


class Urgency(models.IntegerChoices):
    # Higher sorts first in the staff queue.
    LOW = 1, "Whenever possible"
    NORMAL = 2, "Within a few months"
    HIGH = 3, "Within a month"
    URGENT = 4, "Urgent (within two weeks)"


class Priority(models.IntegerChoices):
    LOW = 1, "Low"
    NORMAL = 2, "Normal"
    HIGH = 3, "High"


class Status(models.TextChoices):
    RECEIVED = "received", "Received"
    TRIAGED = "triaged", "Triaged"
    ASSIGNED = "assigned", "Assigned"
    SCHEDULED = "scheduled", "Scheduled"
    DELIVERED = "delivered", "Delivered"
    CLOSED = "closed", "Closed"
    DECLINED = "declined", "Declined"


OPEN_STATUSES = [Status.RECEIVED, Status.TRIAGED, Status.ASSIGNED, Status.SCHEDULED]


class AssistanceRequest(models.Model):
    """A task force asking the program for help, and everything staff do with it."""

    task_force = models.ForeignKey("connect.TaskForce", on_delete=models.PROTECT, related_name="tta_requests")
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="tta_requests"
    )
    kind = models.CharField(max_length=30, choices=Kind.choices)
    topic = models.ForeignKey(
        conf.TOPIC_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="tta_requests"
    )
    audiences = models.JSONField(default=list, blank=True, help_text="Disciplines the help is for.")
    preferred_format = models.CharField(max_length=20, choices=Format.choices, default=Format.EITHER)
    preferred_from = models.DateField(null=True, blank=True)
    preferred_until = models.DateField(null=True, blank=True)
    urgency = models.PositiveSmallIntegerField(choices=Urgency.choices, default=Urgency.NORMAL)
    description = models.TextField(max_length=5000)
    # What the privacy guard found and the requester confirmed; such a
    # description is shown to staff only until one of them has reviewed it.
    privacy_findings = models.JSONField(default=list, blank=True)
    privacy_held = models.BooleanField(default=False)
    submission_token = models.CharField(max_length=64, blank=True)

    status = models.CharField(max_length=20, choices=Status.choices, default=Status.RECEIVED)
    priority = models.PositiveSmallIntegerField(choices=Priority.choices, default=Priority.NORMAL)
    partner = models.ForeignKey(
        PartnerOrganization, null=True, blank=True, on_delete=models.PROTECT, related_name="requests"
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    due_on = models.DateField(null=True, blank=True)
    scheduled_on = models.DateField(null=True, blank=True)
    decline_reason = models.TextField(blank=True)

    delivered_on = models.DateField(null=True, blank=True)
    delivery_format = models.CharField(max_length=20, choices=Format.choices, blank=True)
    attendees = models.JSONField(default=dict, blank=True, help_text="Attendees by discipline.")
    delivered_page = models.ForeignKey(
        "wagtailcore.Page", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    triaged_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "TTA request"
        indexes = [
            models.Index(fields=["status", "created_at"]),
            models.Index(fields=["task_force", "status"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["requester", "submission_token"],
                condition=~models.Q(submission_token=""),
                name="assistance_one_request_per_submission",
            )
        ]

    def __str__(self):
        return f"TTA request #{self.pk}"

    def get_absolute_url(self):
        return reverse("assistance:request_detail", kwargs={"pk": self.pk})

    @property
    def reference(self):
        return f"#{self.pk}"

    @property
    def is_open(self):
        return self.status in OPEN_STATUSES

    @property
    def attendee_total(self):
        return sum(int(n) for n in (self.attendees or {}).values())

    def audience_labels(self):
        labels = dict(Discipline.choices)
        return [labels.get(value, value) for value in self.audiences or []]

    def attendee_rows(self):
        labels = dict(Discipline.choices)
        return [(labels.get(key, key), n) for key, n in (self.attendees or {}).items() if n]


class RequestChange(models.Model):
    """One recorded change to a request: who, when, which field, from what to what."""

    request = models.ForeignKey(AssistanceRequest, on_delete=models.CASCADE, related_name="changes")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    field = models.CharField(max_length=40)
    old = models.CharField(max_length=255, blank=True)
    new = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self):
        return f"{self.field}: {self.old} → {self.new}"


class InternalNote(models.Model):
    """A note between program staff about a request; never shown to the task force."""

    request = models.ForeignKey(AssistanceRequest, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    body = models.TextField(max_length=5000)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self):
        return f"Note on request #{self.request_id}"


class Feedback(models.Model):
    """What the task force thought of a delivery."""

    request = models.OneToOneField(AssistanceRequest, on_delete=models.CASCADE, related_name="feedback")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    useful = models.PositiveSmallIntegerField(help_text="1 (not useful) to 5 (very useful)")
    what_next = models.TextField(max_length=2000, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(useful__gte=1, useful__lte=5), name="assistance_feedback_1_to_5"
            )
        ]

    def __str__(self):
        return f"Feedback on request #{self.request_id}"


class VisitStatus(models.TextChoices):
    PROPOSED = "proposed", "Proposed to the host"
    ACCEPTED = "accepted", "Accepted by the host"
    DECLINED = "declined", "Declined by the host"
    SCHEDULED = "scheduled", "Scheduled"
    CLOSED = "closed", "Completed and closed"


class ExchangeVisit(models.Model):
    """A peer exchange visit: the requesting task force visits a host task force."""

    request = models.ForeignKey(AssistanceRequest, on_delete=models.CASCADE, related_name="visits")
    host = models.ForeignKey("connect.TaskForce", on_delete=models.PROTECT, related_name="hosted_visits")
    status = models.CharField(max_length=20, choices=VisitStatus.choices, default=VisitStatus.PROPOSED)
    focus = models.CharField(
        max_length=300, help_text="What the visitors want to learn from this host, in a line."
    )
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    proposed_at = models.DateTimeField(default=timezone.now)
    responded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    responded_at = models.DateTimeField(null=True, blank=True)
    decline_reason = models.TextField(blank=True)
    starts_on = models.DateField(null=True, blank=True)
    ends_on = models.DateField(null=True, blank=True)
    place = models.CharField(max_length=200, blank=True)
    travellers = models.TextField(blank=True, help_text="Who travels, one per line (roles or names).")
    agenda = models.ForeignKey(
        "wagtaildocs.Document", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    spotlight_page = models.ForeignKey(
        "wagtailcore.Page", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-proposed_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["request", "host"],
                condition=~models.Q(status="declined"),
                name="assistance_one_open_visit_per_host",
            )
        ]

    def __str__(self):
        return f"Peer exchange visit #{self.pk}"

    def get_absolute_url(self):
        return reverse("assistance:visit_detail", kwargs={"pk": self.pk})

    @property
    def visitor(self):
        return self.request.task_force


class VisitReport(models.Model):
    """One side's short report after a visit."""

    class Side(models.TextChoices):
        VISITOR = "visitor", "Visiting task force"
        HOST = "host", "Host task force"

    visit = models.ForeignKey(ExchangeVisit, on_delete=models.CASCADE, related_name="reports")
    side = models.CharField(max_length=10, choices=Side.choices)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    learned = models.TextField("what was learned", max_length=3000)
    will_adopt = models.TextField("what the visitors will adopt", max_length=3000, blank=True)
    follow_up = models.TextField("follow-up needed", max_length=3000, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["side"]
        constraints = [
            models.UniqueConstraint(fields=["visit", "side"], name="assistance_one_report_per_side")
        ]

    def __str__(self):
        return f"{self.get_side_display()} report on visit #{self.visit_id}"
