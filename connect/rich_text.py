"""The rich-text editor of the admin, named by its field's label.

Wagtail's Draftail editor draws a ``contenteditable`` with
``role="textbox"`` that nothing names: the field's ``<label>`` points at the
hidden input holding the editor's JSON, not at the editor itself, so a
screen reader announces an unnamed text box (WCAG 4.1.2, axe's
``aria-input-field-name``). Draftail passes its options on to Draft.js,
which puts ``ariaLabelledBy`` on the editable element; the field panel's
label has the id ``<input id>-label``, so naming the editor is one option.
"""

import json

from wagtail.admin.rich_text import DraftailRichTextArea


class LabelledDraftailRichTextArea(DraftailRichTextArea):
    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        widget_attrs = context["widget"]["attrs"]
        field_id = widget_attrs.get("id")
        if field_id:
            options = json.loads(widget_attrs["data-w-init-detail-value"])
            options["ariaLabelledBy"] = f"{field_id}-label"
            widget_attrs["data-w-init-detail-value"] = json.dumps(options)
        return context
