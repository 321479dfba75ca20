"""Private conversations: who takes part, what they wrote, who blocked whom, what was reported.

A conversation is seen only by its current participants (see
``permissions.py``). Every message carries a per-conversation sequence number
taken under a row lock on the conversation, so pages and sockets can ask for
"everything after n" and never miss or repeat one.
"""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from wagtail.contrib.settings.models import BaseGenericSetting, register_setting
from wagtail.search import index
from wagtail.search.queryset import SearchableQuerySetMixin

MAX_PARTICIPANTS = 20
MAX_SUBJECT_CHARS = 150
# What a message written by an account that no longer exists reads as.
DELETED_PLACEHOLDER = "This message was removed when its author's account was deleted."
RETAINED_PLACEHOLDER = "This message was removed under the community's retention policy."


class SearchableQuerySet(SearchableQuerySetMixin, models.QuerySet):
    pass


class Conversation(models.Model):
    """A private exchange between up to :data:`MAX_PARTICIPANTS` members."""

    subject = models.CharField(max_length=MAX_SUBJECT_CHARS)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    last_message_at = models.DateTimeField(default=timezone.now, db_index=True)
    # The sequence of the newest message; the next one takes message_seq + 1 under a row lock.
    message_seq = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-last_message_at", "-id"]

    def __str__(self):
        return f"Conversation {self.pk}"

    def get_absolute_url(self):
        return reverse("conversations:detail", kwargs={"pk": self.pk})

    @property
    def group_name(self):
        return f"conversation.{self.pk}"


class Participant(models.Model):
    """One member's place in a conversation and their own view of it.

    ``joined_seq`` is the sequence of the last message before they were added:
    they see the messages after it, never the history before they arrived.
    A participant who left (or was removed) keeps the row, with ``left_at``
    set, so adding them back starts a new stretch of history."""

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="participants")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    joined_at = models.DateTimeField(default=timezone.now)
    joined_seq = models.PositiveIntegerField(default=0)
    left_at = models.DateTimeField(null=True, blank=True)
    muted = models.BooleanField(default=False)
    archived = models.BooleanField(default=False)
    last_read_seq = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["conversation", "user"], name="conversations_one_place_each")
        ]
        indexes = [models.Index(fields=["user", "left_at", "archived"])]

    def __str__(self):
        return f"{self.user_id} in {self.conversation_id}"

    @property
    def is_current(self):
        return self.left_at is None


class Message(index.Indexed, models.Model):
    """One message. ``body`` is the sender's Markdown, ``body_html`` its sanitised rendering.

    System messages (``kind=system``) record who was added or left, so every
    participant reads the same account of who could see what."""

    class Kind(models.TextChoices):
        TEXT = "text", "Message"
        SYSTEM = "system", "Notice"

    class Status(models.TextChoices):
        VISIBLE = "visible", "Sent"
        HELD = "held", "Held for review"
        REMOVED = "removed", "Removed"

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="messages")
    seq = models.PositiveIntegerField()
    sender = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.TEXT)
    body = models.TextField()
    body_html = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.VISIBLE)
    privacy_findings = models.JSONField(default=list, blank=True)
    submission_token = models.CharField(max_length=64, blank=True)

    objects = SearchableQuerySet.as_manager()

    search_auto_update = False
    search_fields = [
        index.SearchField("body"),
        index.FilterField("conversation_id"),
        index.FilterField("status"),
        index.FilterField("kind"),
        index.FilterField("seq"),
        index.FilterField("sender_id"),
        index.FilterField("created_at"),
    ]
    search_kind = ("messages", "Your private messages")
    search_filters = {"author": "sender_id", "date": "created_at"}
    search_select_related = ("conversation", "sender__profile")

    class Meta:
        ordering = ["conversation", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["conversation", "seq"], name="conversations_one_message_per_seq"),
            models.UniqueConstraint(
                fields=["sender", "submission_token"],
                condition=~models.Q(submission_token=""),
                name="conversations_unique_submission",
            ),
        ]

    def __str__(self):
        return f"Message {self.seq} in {self.conversation_id}"

    def get_absolute_url(self):
        return f"{self.conversation.get_absolute_url()}#message-{self.seq}"

    @classmethod
    def searchable_for(cls, user):
        """Only the messages of the member's own conversations that they may read."""
        from . import permissions

        return permissions.searchable_messages(user, cls.objects.all())

    def search_hit(self):
        """A hit names the conversation's subject; only participants ever get one."""
        return {
            "title": self.conversation.subject,
            "byline": self.sender.display_name if self.sender else "Former member",
            "where": "Your private messages",
            "where_url": reverse("conversations:inbox"),
            "date": self.created_at,
            "text": self.body,
            "group": f"conversation-{self.conversation_id}",
            "is_reply": self.seq > 1,
        }

    @classmethod
    def search_facet_labels(cls, name, values, user):
        return {}

    @property
    def title(self):
        return f"Message in “{self.conversation.subject}”"

    @property
    def search_description(self):
        return f"From {self.sender.display_name}" if self.sender else ""


def attachment_path(instance, filename):
    # Random names (connect.files.CheckedFile.storage_name): nothing of the sender's file name
    # reaches the disk.
    return f"conversations/{filename}"


class Attachment(models.Model):
    """A file sent with a message, served only to participants who may read the message."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to=attachment_path, max_length=200)
    original_name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=120)
    size = models.PositiveBigIntegerField()

    def __str__(self):
        return self.original_name

    def get_absolute_url(self):
        return reverse("conversations:attachment", kwargs={"pk": self.pk})


class Block(models.Model):
    """``blocker`` does not want to hear from ``blocked``: no new conversation either way."""

    blocker = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    blocked = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["blocker", "blocked"], name="conversations_one_block")]

    def __str__(self):
        return f"{self.blocker_id} blocks {self.blocked_id}"


class MessagingPreference(models.Model):
    """Whom a member accepts new conversations from. A row exists only once changed."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    task_force_only = models.BooleanField(
        default=False, help_text="Only members of my own task force may start a conversation with me."
    )

    def __str__(self):
        return f"Messaging preference of {self.user_id}"


class MessageReport(models.Model):
    """A participant's report of one message, for moderators.

    Moderators see the reported message and a few around it (``CONTEXT``),
    never the rest of the conversation; every look is in the audit log."""

    CONTEXT = 2  # messages either side of the reported one

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        DISMISSED = "dismissed", "Dismissed"
        REMOVED = "removed", "Message removed"

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="reports")
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.CharField(max_length=1000)
    created_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["message", "reporter"], name="conversations_one_report_each")
        ]

    def __str__(self):
        return f"Report {self.pk} of message {self.message_id}"


@register_setting(icon="mail")
class ConversationSettings(BaseGenericSetting):
    """What administrators decide about private messages for the whole site."""

    retention_days = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text=(
            "Delete the text of messages older than this many days. Leave empty to keep "
            "conversations indefinitely."
        ),
    )

    class Meta:
        verbose_name = "Private messages"

    def __str__(self):
        return "Private messages"
