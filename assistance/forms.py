"""Forms of the TTA pages. Rules that need the database live in services."""

import uuid

from django import forms
from django.contrib.auth import get_user_model
from wagtail.models import Page

from connect.models import Discipline, TaskForce

from . import conf
from .models import Format, Kind, PartnerOrganization, Priority, ProgramRole, Urgency

DATE = forms.DateInput(attrs={"type": "date"})


def new_token():
    return uuid.uuid4().hex


class RequestForm(forms.Form):
    kind = forms.ChoiceField(label="What kind of help", choices=Kind.choices, widget=forms.RadioSelect)
    topic = forms.ModelChoiceField(
        label="Topic", queryset=None, required=False, empty_label="Choose a topic (optional)"
    )
    audiences = forms.MultipleChoiceField(
        label="Who is it for", choices=Discipline.choices, widget=forms.CheckboxSelectMultiple, required=False
    )
    preferred_format = forms.ChoiceField(
        label="Preferred format", choices=Format.choices, initial=Format.EITHER, widget=forms.RadioSelect
    )
    preferred_from = forms.DateField(label="Preferred dates: from", required=False, widget=DATE)
    preferred_until = forms.DateField(label="Preferred dates: until", required=False, widget=DATE)
    urgency = forms.TypedChoiceField(
        label="How soon", choices=Urgency.choices, coerce=int, initial=Urgency.NORMAL
    )
    description = forms.CharField(
        label="What do you need?",
        help_text="What your task force wants to achieve, for whom and any constraints. For a peer "
        "exchange visit, what you want to learn (co-located operations, regional navigators…). "
        "Never include details that could identify a victim.",
        max_length=5001,
        widget=forms.Textarea(attrs={"rows": 8}),
    )
    submission_token = forms.CharField(widget=forms.HiddenInput, max_length=64, required=False)
    confirm_privacy = forms.BooleanField(
        required=False,
        label="I have checked: nothing here identifies a victim. Send it for staff review.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        topic_model = conf.topic_model()
        self.fields["topic"].queryset = topic_model.objects.all() if topic_model else Page.objects.none()
        if not self.is_bound:
            self.initial.setdefault("submission_token", new_token())
        self.fields["description"].error_messages["required"] = (
            "Describe what you need: the description is empty."
        )
        self.fields["description"].error_messages["max_length"] = (
            "The description is too long: the limit is 5,000 characters."
        )


class TriageForm(forms.Form):
    priority = forms.TypedChoiceField(choices=Priority.choices, coerce=int, initial=Priority.NORMAL)
    due_on = forms.DateField(label="Due date", required=False, widget=DATE)


class AssignForm(forms.Form):
    partner = forms.ModelChoiceField(label="Partner organization", queryset=PartnerOrganization.objects.all())
    assignee = forms.ModelChoiceField(label="Staff member", queryset=None)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        staff_ids = ProgramRole.objects.filter(kind=ProgramRole.Kind.STAFF).values("user_id")
        self.fields["assignee"].queryset = (
            get_user_model().objects.filter(pk__in=staff_ids).select_related("profile")
        )
        self.fields["assignee"].label_from_instance = lambda user: user.display_name


class ScheduleForm(forms.Form):
    scheduled_on = forms.DateField(label="Delivery date", widget=DATE)


class DeliverForm(forms.Form):
    delivered_on = forms.DateField(label="Delivered on", widget=DATE)
    delivery_format = forms.ChoiceField(label="Format", choices=Format.choices[:2], widget=forms.RadioSelect)
    page = forms.ModelChoiceField(
        label="The event or resource it produced", queryset=Page.objects.none(), required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        models = conf.delivery_page_models()
        if models:
            self.fields["page"].queryset = Page.objects.type(*models).order_by("title")
        for value, label in Discipline.choices:
            self.fields[f"attendees_{value}"] = forms.IntegerField(
                label=f"Attendees: {label}", min_value=0, max_value=100000, required=False
            )

    def attendees(self):
        return {
            value: self.cleaned_data.get(f"attendees_{value}") or 0 for value, _label in Discipline.choices
        }

    def attendee_fields(self):
        return [self[f"attendees_{value}"] for value, _label in Discipline.choices]


class DeclineForm(forms.Form):
    reason = forms.CharField(
        label="Why the request is declined (the task force reads this)",
        max_length=2001,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class NoteForm(forms.Form):
    body = forms.CharField(
        label="Internal note (staff only)", max_length=5001, widget=forms.Textarea(attrs={"rows": 3})
    )


class FeedbackForm(forms.Form):
    useful = forms.TypedChoiceField(
        label="How useful was it? (1 not at all, 5 very)",
        choices=[(n, str(n)) for n in range(1, 6)],
        coerce=int,
        widget=forms.RadioSelect,
    )
    what_next = forms.CharField(
        label="What would help next?",
        required=False,
        max_length=2001,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class ProposeHostForm(forms.Form):
    host = forms.ModelChoiceField(label="Host task force", queryset=TaskForce.objects.filter(is_active=True))
    focus = forms.CharField(label="What the visitors will learn there, in a line", max_length=301)


class RespondForm(forms.Form):
    decision = forms.ChoiceField(
        label="Will your task force host this visit?",
        choices=[("accept", "Yes, we will host it"), ("decline", "No, we cannot")],
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        label="If not, why (staff read this)",
        required=False,
        max_length=2001,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class VisitScheduleForm(forms.Form):
    starts_on = forms.DateField(label="First day", widget=DATE)
    ends_on = forms.DateField(label="Last day", widget=DATE)
    place = forms.CharField(label="Place", max_length=200)
    travellers = forms.CharField(
        label="Who travels (roles or names, one per line)",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    agenda = forms.FileField(label="Agenda document (PDF, Word or text)", required=False)


class ReportForm(forms.Form):
    learned = forms.CharField(
        label="What was learned", max_length=3001, widget=forms.Textarea(attrs={"rows": 4})
    )
    will_adopt = forms.CharField(
        label="What the visitors will adopt",
        required=False,
        max_length=3001,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    follow_up = forms.CharField(
        label="Follow-up needed", required=False, max_length=3001, widget=forms.Textarea(attrs={"rows": 3})
    )
