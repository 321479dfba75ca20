"""The guard finds in a long text what it finds in a short one.

Past a few hundred characters the costly patterns run only near cheap
anchors, and each kind stops after a fixed number of candidates; neither
shortcut may let an identifying detail through unseen. Pure Python.
"""

import pytest

from connect.privacy import scan

from .privacy_corpus import IDENTIFYING, WRITER

PADDING = (
    "The task force met on Tuesday to review the quarterly training plan and the budget for the "
    "regional conference. Coordinators shared notes on the outreach schedule for the spring. "
) * 3


def _kinds(text, **kwargs):
    return {finding.kind for finding in scan(text, allowed_names=[WRITER], **kwargs)}


@pytest.mark.parametrize("sentence", IDENTIFYING)
def test_an_identifying_sentence_inside_a_long_text_is_found_as_it_is_alone(sentence):
    alone = _kinds(sentence)
    assert alone, sentence
    within = {
        finding.kind
        for finding in scan(f"{PADDING}\n\n{sentence}\n\n{PADDING}", allowed_names=[WRITER])
        if sentence.find(finding.text) != -1
    }
    assert alone <= within, (sentence, alone, within)


def test_a_motel_in_the_middle_of_a_long_post_is_found():
    text = f"{PADDING} The victim is staying at Motel 6 on Route 9. {PADDING}"
    assert "lodging" in _kinds(text)


def test_two_hundred_mentions_of_the_writer_do_not_hide_a_victim_named_after_them():
    text = "Survivor Dana Whitfield called. " * 250 + "The victim Maria Lopez is 15."
    found = scan(text, allowed_names=[WRITER])
    assert any("Maria Lopez" in finding.text for finding in found)


def test_two_hundred_public_links_do_not_hide_a_phone_number_after_them():
    links = " ".join(f"https://www.ojp.gov/resource?tel=(312)555-1{n:03d}" for n in range(250))
    found = scan(f"{links}\n\nHer cell is (312) 555-0199.")
    assert any(finding.kind == "phone" and "555-0199" in finding.text for finding in found)
