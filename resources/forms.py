import secrets

from django import forms
from django.core.exceptions import ValidationError

from connect.files import ALLOWED_LABEL
from connect.text import validate_readable_text

from .models import ResourceType, Topic
from .uploads import check_upload, max_upload_size


class ShareResourceForm(forms.Form):
    """A member shares a resource: a link or a file, reviewed by moderators."""

    title = forms.CharField(max_length=200, validators=[validate_readable_text])
    summary = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=1000,
        validators=[validate_readable_text],
        help_text="What it is, who it is for and why it helped you. Do not include victim information.",
    )
    resource_type = forms.ChoiceField(label="Type", choices=ResourceType.choices)
    topics = forms.ModelMultipleChoiceField(
        queryset=Topic.objects.all(), required=False, widget=forms.CheckboxSelectMultiple
    )
    external_url = forms.URLField(
        label="Link",
        required=False,
        max_length=500,
        assume_scheme="https",
        help_text="A web address, or upload a file below.",
    )
    file = forms.FileField(
        required=False,
        error_messages={"empty": "The file is empty (0 bytes). Choose the file again."},
        help_text=f"{ALLOWED_LABEL}; at most {max_upload_size() // (1024 * 1024)} MB.",
    )

    confirm_privacy = forms.BooleanField(
        required=False,
        label="I have checked: nothing here identifies a victim. Send it for review.",
    )

    submission = forms.RegexField(regex=r"^[0-9a-f]{32}$", required=False, widget=forms.HiddenInput)

    def __init__(self, *args, upload_too_large=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.upload_too_large = upload_too_large
        self.checked_upload = None
        if not self.is_bound:
            self.initial.setdefault("submission", secrets.token_hex(16))

    @property
    def file_needs_reattaching(self):
        """A browser never sends a file back: after a failed submission whose
        file was fine, the member must choose it again."""
        return (
            self.is_bound and bool(self.errors) and "file" not in self.errors and bool(self.files.get("file"))
        )

    def clean_file(self):
        upload = self.cleaned_data.get("file")
        if self.upload_too_large:
            raise ValidationError(
                f"The file is larger than {max_upload_size() // (1024 * 1024)} MB. "
                "Share a link to it instead, or a smaller file."
            )
        if upload:
            self.checked_upload = check_upload(upload)
        return upload

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        has_link = bool(cleaned.get("external_url"))
        has_file = bool(cleaned.get("file"))
        if has_link == has_file:
            raise ValidationError(
                "Give a link or upload a file — one of the two."
                if not has_link
                else "Give a link or a file, not both."
            )
        return cleaned
