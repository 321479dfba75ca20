"""Forms of private conversations. Rules that need the database live in services."""

import uuid

from django import forms

from .attachments import ALLOWED, MAX_ATTACHMENTS
from .models import MAX_SUBJECT_CHARS
from .rendering import MAX_SOURCE_CHARS

BODY_HELP = (
    "Markdown: **bold**, _italic_, lists, > quotes, `code` and links. "
    "Never include details that could identify a victim."
)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ",".join(sorted(ALLOWED))}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if isinstance(data, (list, tuple)):
            return [super(MultipleFileField, self).clean(d, initial) for d in data if d]
        return [super().clean(data, initial)] if data else []


class MessageForm(forms.Form):
    body = forms.CharField(
        label="Message",
        help_text=BODY_HELP,
        max_length=MAX_SOURCE_CHARS + 1,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    attachments = MultipleFileField(
        required=False,
        label="Attach files (optional)",
        help_text=f"Up to {MAX_ATTACHMENTS} files: PDF, Word, Excel, PowerPoint, plain text or images.",
    )
    submission_token = forms.CharField(widget=forms.HiddenInput, max_length=64, required=False)
    confirm_privacy = forms.BooleanField(
        required=False,
        label="I have checked: nothing here identifies a victim. Send it for moderator review.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("submission_token", uuid.uuid4().hex)


class StartForm(MessageForm):
    recipients = forms.CharField(
        label="To",
        help_text="Members are listed by name; choose up to 19. Use the member directory to find someone.",
        widget=forms.HiddenInput,
        required=False,
    )
    subject = forms.CharField(label="Subject", max_length=MAX_SUBJECT_CHARS + 1)
    field_order = ["recipients", "subject", "body", "attachments", "submission_token", "confirm_privacy"]

    def recipient_ids(self):
        raw = self.data.getlist("to") if hasattr(self.data, "getlist") else []
        ids = []
        for value in raw:
            value = str(value).strip()
            if value.isdigit() and len(value) < 12 and int(value) not in ids:
                ids.append(int(value))
        return ids[:50]


class AddParticipantForm(forms.Form):
    member = forms.IntegerField(label="Member", min_value=1)


class ReportForm(forms.Form):
    reason = forms.CharField(
        label="What is wrong with this message?",
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Moderators see this message and the two before and after it, nothing else.",
    )


class PreferenceForm(forms.Form):
    task_force_only = forms.BooleanField(
        required=False, label="Only members of my own task force may start conversations with me"
    )
