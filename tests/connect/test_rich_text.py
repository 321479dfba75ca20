"""The admin's rich-text editor is named by its field's label (connect/rich_text.py)."""

import html
import json
import re

from wagtail.admin.rich_text import get_rich_text_editor_widget

from connect.rich_text import LabelledDraftailRichTextArea


def _options(markup):
    value = re.search(r'data-w-init-detail-value="([^"]*)"', markup).group(1)
    return json.loads(html.unescape(value))


def test_every_rich_text_field_uses_the_labelled_editor():
    assert isinstance(get_rich_text_editor_widget(), LabelledDraftailRichTextArea)


def test_the_editor_is_labelled_by_the_field_panels_label():
    widget = get_rich_text_editor_widget(features=["bold", "link"])
    options = _options(widget.render("body", None, attrs={"id": "id_body"}))
    assert options["ariaLabelledBy"] == "id_body-label"
    assert "bold" in json.dumps(options)  # Wagtail's own options are kept


def test_an_editor_without_an_id_is_left_as_wagtail_draws_it():
    widget = get_rich_text_editor_widget()
    assert "ariaLabelledBy" not in _options(widget.render("body", None, attrs={}))
