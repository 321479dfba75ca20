"""Notifications and the email preferences of each member.

A notification points at what it is about generically (a content type, an
object id and the path to open), so any app can notify without this floor
knowing its models; whether the member may still see it is asked of the kind
that app registered (see :mod:`notifications.permissions`).
"""

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone

from .kinds import EmailFrequency, kind_for

__all__ = ["DigestLog", "EmailFrequency", "Notification", "NotificationPreference"]


class NotificationPreference(models.Model):
    """How often a member wants emails about one topic. A row exists only once
    the member changed the setting; until then the topic's default applies."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    topic = models.CharField(max_length=40)
    email = models.CharField(max_length=10, choices=EmailFrequency.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "topic"], name="notifications_one_preference_per_topic")
        ]

    def __str__(self):
        return f"{self.topic}: {self.email}"


class Notification(models.Model):
    """Something a member should know about. Emails carry only who, where and a link."""

    class EmailState(models.TextChoices):
        NONE = "", "Not emailed"
        DAILY = "daily", "Waiting for the daily digest"
        WEEKLY = "weekly", "Waiting for the weekly digest"
        SENT = "sent", "Sent"
        SKIPPED = "skipped", "Skipped"

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=40)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    target_type = models.ForeignKey(
        ContentType, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    target_id = models.PositiveBigIntegerField(null=True, blank=True)
    target = GenericForeignKey("target_type", "target_id")
    url = models.CharField(max_length=500, blank=True)
    message = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    email_state = models.CharField(max_length=10, choices=EmailState.choices, default="", blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)
    # Set for notifications that must exist at most once (a member mentioned
    # in a post is told once, however often the fan-out task runs): the
    # database refuses the second row, so a worker killed and restarted
    # mid-task cannot notify twice.
    once_key = models.CharField(max_length=200, null=True, blank=True, unique=True, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["recipient", "read_at"]),
            models.Index(fields=["email_state", "recipient"]),
            models.Index(fields=["target_type", "target_id"]),
        ]

    def __str__(self):
        return f"{self.kind} → {self.recipient_id}"

    @property
    def kind_label(self):
        kind = kind_for(self.kind)
        return kind.label if kind else "sent you a notification"

    @property
    def headline(self):
        """What the notice says: the kind's fixed sentence, or who did what."""
        kind = kind_for(self.kind)
        if kind is not None and kind.headline:
            return kind.headline
        actor = self.actor.display_name if self.actor else "A moderator"
        return f"{actor} {self.kind_label}"


class DigestLog(models.Model):
    """One row per digest email sent: a member gets at most one digest per
    topic and period, however often the command runs."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    topic = models.CharField(max_length=40)
    frequency = models.CharField(max_length=10)
    period = models.DateField()
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "topic", "frequency", "period"], name="notifications_one_digest_per_period"
            )
        ]

    def __str__(self):
        return f"{self.frequency} digest of {self.period} → {self.user_id}"
