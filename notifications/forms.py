from django import forms

from .kinds import EmailFrequency


class PreferencesForm(forms.Form):
    """One setting per registered email topic, so the page lists exactly what can be emailed."""

    def __init__(self, *args, topics, current, **kwargs):
        super().__init__(*args, **kwargs)
        self.topics = list(topics)
        for topic in self.topics:
            self.fields[f"{topic.key}_email"] = forms.ChoiceField(
                label=topic.field_label, choices=EmailFrequency.choices, initial=current.get(topic.key)
            )

    def choices(self):
        """``{topic key: frequency}`` as chosen."""
        return {topic.key: self.cleaned_data[f"{topic.key}_email"] for topic in self.topics}
