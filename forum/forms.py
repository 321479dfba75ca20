"""Forms for discussions. Validation that needs the database lives in services."""

import uuid

from django import forms
from wagtail.admin.forms import WagtailAdminModelForm

from connect import permissions as connect_permissions
from connect.models import Discipline, Role

from . import permissions
from .models import Category, Flag
from .rendering import MAX_SOURCE_CHARS
from .services import MAX_TITLE_CHARS

BODY_HELP = (
    "Markdown: **bold**, _italic_, lists, > quotes, `code`, tables and links. "
    "Mention a member with @ and their handle. Never include details that could identify a victim."
)


def new_token():
    return uuid.uuid4().hex


class PostForm(forms.Form):
    body = forms.CharField(
        label="Your reply",
        help_text=BODY_HELP,
        # One more than the limit so the service can say how long it is.
        max_length=MAX_SOURCE_CHARS + 1,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 8, "data-mentions": "true"}),
    )
    submission_token = forms.CharField(widget=forms.HiddenInput, max_length=64, required=False)
    confirm_privacy = forms.BooleanField(
        required=False,
        label="I have checked: nothing here identifies a victim. Post it for moderator review.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("submission_token", new_token())
        self.fields["body"].error_messages["required"] = "Write something before posting: the post is empty."
        self.fields["body"].error_messages["max_length"] = (
            f"The post is too long: the limit is {MAX_SOURCE_CHARS:,} characters."
        )


class ThreadForm(PostForm):
    title = forms.CharField(label="Title", max_length=MAX_TITLE_CHARS + 50)
    tags = forms.CharField(
        label="Tags", required=False, max_length=300, help_text="Up to 5, separated by commas."
    )
    is_question = forms.BooleanField(
        required=False, label="This is a question (you can mark the reply that answers it)"
    )

    field_order = ["title", "body", "tags", "is_question", "submission_token", "confirm_privacy"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["body"].label = "First post"
        self.fields["title"].error_messages["required"] = "Give the thread a title."
        self.fields["title"].error_messages["max_length"] = (
            f"The title is too long: the limit is {MAX_TITLE_CHARS}."
        )

    def tag_list(self):
        return [t for t in (self.cleaned_data.get("tags") or "").split(",") if t.strip()]


class EditForm(PostForm):
    title = forms.CharField(label="Title", max_length=MAX_TITLE_CHARS + 50, required=False)
    reason = forms.CharField(
        label="Reason for the edit (the author will see it)",
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    field_order = ["title", "body", "reason", "submission_token", "confirm_privacy"]

    def __init__(self, *args, with_title=False, with_reason=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["body"].label = "Post"
        if not with_title:
            del self.fields["title"]
        else:
            self.fields["title"].required = True
        if not with_reason:
            del self.fields["reason"]
        else:
            self.fields["reason"].error_messages["required"] = (
                "Tell the author why you are editing their post."
            )


class FlagForm(forms.Form):
    reason = forms.ChoiceField(
        label="Why should moderators look at this post?",
        choices=Flag.Reason.choices,
        widget=forms.RadioSelect,
    )
    details = forms.CharField(
        label="Anything moderators should know (optional)",
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    confirm_privacy = forms.BooleanField(
        required=False,
        label="I have checked: nothing here identifies a victim. Send it to the moderators.",
    )


class RedactForm(forms.Form):
    """A moderator redacts a passage of a post, or one of its stored revisions."""

    passage = forms.CharField(
        label="Passage to redact",
        help_text="Paste it exactly as it appears. It is replaced in the post, its history, "
        "notifications and search.",
        required=False,
        max_length=2001,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    revision = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    def clean(self):
        cleaned = super().clean()
        if not (cleaned.get("passage") or "").strip() and not cleaned.get("revision"):
            raise forms.ValidationError("Paste the passage to redact, or choose a revision.")
        return cleaned


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label="Reason (the author will see it)", max_length=500, widget=forms.Textarea(attrs={"rows": 3})
    )


class SuspendForm(ReasonForm):
    days = forms.IntegerField(
        label="Days",
        required=False,
        min_value=1,
        max_value=3650,
        help_text="Leave empty to suspend for good.",
    )


WIDER_LABEL = "Yes, show this thread's posts to the wider audience of the other category"


class MoveForm(forms.Form):
    category = forms.ModelChoiceField(label="Move to category", queryset=None)
    reason = forms.CharField(label="Reason (optional)", required=False, max_length=300)
    confirm_wider = forms.BooleanField(label=WIDER_LABEL, required=False)

    def __init__(self, *args, user, **kwargs):
        from . import permissions

        super().__init__(*args, **kwargs)
        # Only categories the moderator is in the audience of: a move is no way into a room.
        self.fields["category"].queryset = permissions.visible_categories(user)
        self.fields["category"].label_from_instance = lambda c: (
            f"{c.name} ({c.audience_label})" if c.is_restricted else f"{c.name} (all members)"
        )


class MergeForm(forms.Form):
    target = forms.IntegerField(label="Merge into thread number", min_value=1, max_value=2**62)
    reason = forms.CharField(label="Reason (optional)", required=False, max_length=300)
    confirm_wider = forms.BooleanField(label=WIDER_LABEL, required=False)


class TagsForm(forms.Form):
    tags = forms.CharField(
        label="Tags", required=False, max_length=300, help_text="Up to 5, separated by commas."
    )


AUDIENCE_FIELDS = ("allowed_disciplines", "allowed_roles")

AUDIENCE_HELP = (
    "Leave both empty to open the category to every member. Otherwise only members of these "
    "disciplines or holders of these roles see it — moderators and administrators included: "
    "a moderator outside its audience can neither read nor moderate it. "
    "Only administrators change the audience, and every change is recorded in the audit log."
)


class CategoryForm(WagtailAdminModelForm):
    """The category editor in the Wagtail admin. Moderators see the audience but
    cannot change it: who may read a room is an administrator's decision."""

    allowed_disciplines = forms.MultipleChoiceField(
        label="Allowed disciplines",
        choices=Discipline.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=AUDIENCE_HELP,
    )
    allowed_roles = forms.MultipleChoiceField(
        label="Allowed roles",
        choices=Role.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=AUDIENCE_HELP,
    )

    class Meta:
        model = Category
        fields = [
            "name",
            "slug",
            "description",
            "position",
            "allowed_disciplines",
            "allowed_roles",
            "is_suggestions",
            "is_archived",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not connect_permissions.is_administrator(self.for_user):
            for name in AUDIENCE_FIELDS:
                # A disabled field keeps the saved value whatever is posted.
                self.fields[name].disabled = True
                self.fields[name].help_text = (
                    "Only administrators change who sees a category. Members outside its audience, "
                    "moderators included, cannot read or moderate it."
                )

    @property
    def audience_changed(self):
        return any(name in self.changed_data for name in AUDIENCE_FIELDS)


class AdminThreadFilterForm(forms.Form):
    """The admin thread list's search and filters (GET)."""

    q = forms.CharField(label="Search titles or thread number", required=False, max_length=200)
    category = forms.ModelChoiceField(label="Category", queryset=Category.objects.none(), required=False)
    state = forms.ChoiceField(label="State", required=False)

    def __init__(self, *args, user, **kwargs):
        from .admin_selectors import THREAD_STATES

        super().__init__(*args, **kwargs)
        # Only the categories the moderator moderates are offered.
        self.fields["category"].queryset = permissions.visible_categories(user).order_by("position", "name")
        self.fields["category"].empty_label = "All categories"
        self.fields["state"].choices = [("", "Any state"), *THREAD_STATES]
