"""Forms of the membership domain."""

from allauth.account.forms import SignupForm
from allauth.account.internal.flows.login import record_authentication
from allauth.core import context
from allauth.mfa.totp.forms import ActivateTOTPForm
from allauth.mfa.totp.internal import auth as totp_auth
from django import forms
from django.core.exceptions import ValidationError

from .actors import Actor
from .adapters import INVITATION_SESSION_KEY, invitation_from_session
from .models import Discipline, MemberProfile, MembershipRequest, Region, TaskForce
from .services import InvitationError, member_join
from .text import validate_readable_text

# Autocomplete tokens for fields about the person filling in the form, so
# browsers and assistive technology can fill them in (WCAG 1.3.5).
AUTOCOMPLETE = {
    "first_name": "given-name",
    "last_name": "family-name",
    "email": "email",
    "agency": "organization",
    "title": "organization-title",
    "phone": "tel",
}


def _identify_input_purpose(form):
    for name, token in AUTOCOMPLETE.items():
        if name in form.fields:
            form.fields[name].widget.attrs.setdefault("autocomplete", token)


class MembershipRequestForm(forms.ModelForm):
    task_force = forms.ModelChoiceField(
        queryset=TaskForce.objects.filter(is_active=True),
        empty_label="Choose your task force",
        error_messages={"invalid_choice": "Choose a task force from the list."},
    )
    discipline = forms.ChoiceField(choices=[("", "Choose your discipline")] + Discipline.choices)
    # A field people never see (hidden by CSS and from screen readers); bots
    # that fill in every input give themselves away.
    website = forms.CharField(required=False, label="Leave this field empty")

    class Meta:
        model = MembershipRequest
        fields = [
            "first_name",
            "last_name",
            "email",
            "agency",
            "task_force",
            "discipline",
            "title",
            "voucher_name",
            "voucher_email",
            "statement",
        ]
        help_texts = {
            "email": "Use your agency email address; we send the invitation there.",
            "voucher_email": "We may contact them to confirm your role.",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _identify_input_purpose(self)

    def clean_email(self):
        return self.cleaned_data["email"].strip().lower()

    @property
    def is_bot(self):
        return bool(self.data.get("website"))

    def clean(self):
        cleaned = super().clean()
        cleaned.pop("website", None)
        email, voucher = cleaned.get("email"), cleaned.get("voucher_email")
        if email and voucher and email == voucher.strip().lower():
            self.add_error("voucher_email", "The person who vouches for you must be someone else.")
        return cleaned


class InvitationSignupForm(SignupForm):
    """allauth's signup form with the email fixed to the invited address."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.invitation = invitation_from_session(context.request)
        if self.invitation is not None:
            self.fields["email"].initial = self.invitation.email
            self.initial["email"] = self.invitation.email
        self.fields["email"].disabled = True
        self.fields["email"].help_text = "Your account uses the email address you were invited with."

    def clean(self):
        cleaned = super().clean()
        if self.invitation is None:
            raise ValidationError("You need a valid invitation link to create an account.")
        return cleaned

    def custom_signup(self, request, user):
        try:
            member_join(user=user, invitation=self.invitation, origin=Actor.from_request(request))
        except InvitationError as exc:
            raise ValidationError(exc.message) from exc
        request.session.pop(INVITATION_SESSION_KEY, None)
        # Opening the invitation emailed to this address proves it: allauth's
        # adapter treats the address as verified (no second "confirm your
        # email" round trip), and the password chosen a moment ago counts as
        # a recent authentication, so setting up the authenticator right
        # after does not ask for it again.
        request.session["account_verified_email"] = self.invitation.email
        record_authentication(request, user, method="password", reauthenticated=True, signup=True)


class ProfileForm(forms.ModelForm):
    class Meta:
        model = MemberProfile
        fields = [
            "display_name",
            "title",
            "agency",
            "bio",
            "expertise",
            "languages",
            "phone",
            "email_visibility",
            "phone_visibility",
        ]
        widgets = {"bio": forms.Textarea(attrs={"rows": 5})}
        help_texts = {
            "expertise": "Separate areas with commas, e.g. labor trafficking, financial investigations.",
            "email_visibility": "Who can see your work email on your profile.",
            "phone_visibility": "Who can see your work phone on your profile.",
        }

    confirm_privacy = forms.BooleanField(
        required=False,
        label="I have checked: nothing here identifies a victim. Save it for moderator review.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _identify_input_purpose(self)
        # Every field other members read, under the one rule for member-written text.
        for field in self.fields.values():
            if isinstance(field, forms.CharField):
                field.validators.append(validate_readable_text)

    def clean_display_name(self):
        name = self.cleaned_data["display_name"].strip()
        if not name:
            raise ValidationError("Enter the name other members will see.")
        return name


class DirectoryFilterForm(forms.Form):
    q = forms.CharField(label="Name", required=False, max_length=100)
    task_force = forms.ModelChoiceField(
        queryset=TaskForce.objects.filter(is_active=True), required=False, empty_label="Any task force"
    )
    discipline = forms.ChoiceField(choices=[("", "Any discipline")] + Discipline.choices, required=False)
    state = forms.ChoiceField(required=False)
    expertise = forms.CharField(label="Area of expertise", required=False, max_length=100)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from .models import US_STATES

        states = sorted(set(TaskForce.objects.values_list("state", flat=True)))
        names = dict(US_STATES)
        self.fields["state"].choices = [("", "Any state")] + [(s, names.get(s, s)) for s in states]


class TaskForceFilterForm(forms.Form):
    state = forms.ChoiceField(required=False)
    region = forms.ChoiceField(choices=[("", "Any region")] + Region.choices, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from .models import US_STATES

        states = sorted(set(TaskForce.objects.filter(is_active=True).values_list("state", flat=True)))
        names = dict(US_STATES)
        self.fields["state"].choices = [("", "Any state")] + [(s, names.get(s, s)) for s in states]


class StableTOTPActivateForm(ActivateTOTPForm):
    """allauth's authenticator setup, keeping the secret across reloads until
    it is confirmed: a member who scanned the QR code and then reloaded the
    page (or came back from the authenticator app) would otherwise be shown a
    new secret that the code in their app no longer matches."""

    def __init__(self, *args, **kwargs):
        # allauth's own __init__ makes a new secret on every GET; this is it
        # without that (the session's secret, or a new one when there is none).
        self.user = kwargs.pop("user")
        forms.Form.__init__(self, *args, **kwargs)
        self.secret = totp_auth.get_totp_secret(regenerate=False)
