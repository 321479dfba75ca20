"""Tests for the victim-privacy guard. Pure Python: no database, no Django."""

import dataclasses
import json
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from connect.privacy import LABELS, Finding, scan, summarize

# (text, kind, exact matched text)
TRUE_POSITIVES = [
    # Phone numbers
    ("Call her at (312) 555-0147 after five.", "phone", "(312) 555-0147"),
    ("Her cell is 312.555.0147", "phone", "312.555.0147"),
    ("reach the mother at +1 312 555 0147", "phone", "+1 312 555 0147"),
    ("number on the card: 1-312-555-0147", "phone", "1-312-555-0147"),
    ("+1 (713) 555-0199 is the aunt's phone", "phone", "+1 (713) 555-0199"),
    ("texted from 7135550199 twice", "phone", "7135550199"),
    ("cell: 555-0147", "phone", "555-0147"),
    # Social Security numbers
    ("SSN 123-45-6789 on file", "ssn", "123-45-6789"),
    ("ss number 123 45 6789", "ssn", "123 45 6789"),
    ("SSN: 123456789", "ssn", "123456789"),
    # Dates of birth
    ("DOB: 04/12/2009", "date_of_birth", "04/12/2009"),
    ("she was born April 12, 2009 in Honduras", "date_of_birth", "April 12, 2009"),
    ("date of birth 2009-04-12", "date_of_birth", "2009-04-12"),
    ("d.o.b. 4/12/09", "date_of_birth", "4/12/09"),
    ("age 15 (12 April 2009)", "date_of_birth", "12 April 2009"),
    ("Birthdate: Sept. 3, 2008", "date_of_birth", "Sept. 3, 2008"),
    # Street addresses
    ("she stayed at 1234 N Main St near the park", "street_address", "1234 N Main St"),
    ("found at 55 Elm Street Apt 4", "street_address", "55 Elm Street Apt 4"),
    ("motel at 900 W 5th Ave, Unit 12", "street_address", "900 W 5th Ave, Unit 12"),
    ("the house on 17 Oak Ridge Road", "street_address", "17 Oak Ridge Road"),
    # Email addresses
    ("email her at maria.lopez@example.com", "email", "maria.lopez@example.com"),
    ("Contact: j_doe+tips@mail.example.org.", "email", "j_doe+tips@mail.example.org"),
    # Case and report numbers
    ("see case #2024-00123 for details", "case_number", "2024-00123"),
    ("report no. 24-118823", "case_number", "24-118823"),
    ("CR-2023-004512 was filed Monday", "case_number", "CR-2023-004512"),
    ("incident 23-45678", "case_number", "23-45678"),
    ("case number: 2024-123", "case_number", "2024-123"),
    ("police report 24CR018823 mentions it", "case_number", "24CR018823"),
    # License plates
    ("plate ABC-1234", "license_plate", "ABC-1234"),
    ("Texas tag 7XYZ123", "license_plate", "7XYZ123"),
    ("a white van, license plate number KLM 4821", "license_plate", "KLM 4821"),
    # Names near victim words
    ("the victim, Maria Lopez, 16, was recovered", "named_person", "Maria Lopez"),
    ("minor Jane Doe was recovered", "named_person", "Jane Doe"),
    ("survivor Ana Cruz said she was afraid", "named_person", "Ana Cruz"),
    ("the victim's name is Maria Lopez", "named_person", "Maria Lopez"),
    ("Maria Lopez, 16, a minor from Houston", "named_person", "Maria Lopez"),
    ("Sofia Reyes (victim) testified", "named_person", "Sofia Reyes"),
    ("juvenile female Jane Doe", "named_person", "Jane Doe"),
    ("victim Ms. Maria E. Lopez", "named_person", "Maria E. Lopez"),
    ("the complainant, José Pérez, said", "named_person", "José Pérez"),
    ("the girl, named Lucia Flores, ran", "named_person", "Lucia Flores"),
]

TRUE_NEGATIVES = [
    "Contact victim services for help.",
    "The Victim Services Unit meets Tuesday.",
    "Office for Victims of Crime released new guidance.",
    "Survivor Advocacy Program grants are open.",
    "Our victim advocate will join the call.",
    "Cook County Human Trafficking Task Force meets monthly.",
    "See United States v. Kozminski, 487 U.S. 931 (1988).",
    "People v. Smith is on point for the victim's testimony.",
    "State vs. Jane Doe addressed the victim issue.",
    "Charged under 18 U.S.C. § 1591.",
    "18 U.S.C. §§ 1589-1594 covers forced labor.",
    "In 2023 we saw an increase in referrals.",
    "FY2023-24 funding and FY 2024 allocations.",
    "Referrals rose by 12.5% this year.",
    "The grant awarded $1,250,000 over three years.",
    "About 3,500 cases were reviewed.",
    "Read https://www.ovc.ojp.gov/library/publications/2125551234-report first.",
    "Slides: https://ovc.ojp.gov/program/212-555-1234?page=2",
    "Meet at 3:30 pm in room 204.",
    "Reminder: the training on March 3, 2026 is mandatory.",
    "National Human Trafficking Hotline: 1-888-373-7888.",
    "In 2023 Cook County Court ruled on the motion.",
    "Jane Smith, the victim advocate, presented the findings.",
    "Detective John Smith interviewed the victim yesterday.",
    "The victim told Detective Ana Cruz about the threats.",
    "The annual report 2023-2024 is out.",
    "Incident reports rose 15-20% after the campaign.",
    "Child Protective Services joined the interview.",
    "Our 24-hour hotline is staffed by volunteers.",
    "She filed Form I-914 Supplement B.",
    "Award 15POVC-21-GG-00123-HT covers two positions.",
    "Vehicle grants in FY2023 were cut.",
    "Boys & Girls Club hosts the prevention workshop.",
    "We use a victim-centered, trauma-informed approach.",
    "Upgrade to version 2.1.3 before the webinar.",
    "Minor edits to the protocol, thanks Maria Lopez!",
    "The survivor leader Ana Cruz spoke at the summit.",
]


@pytest.mark.parametrize(("text", "kind", "expected"), TRUE_POSITIVES)
def test_scan_detects_identifying_detail(text, kind, expected):
    findings = scan(text)

    assert [(f.kind, f.text) for f in findings] == [(kind, expected)]
    finding = findings[0]
    assert text[finding.start : finding.end] == expected
    assert finding.label == LABELS[kind]


@pytest.mark.parametrize("text", TRUE_NEGATIVES)
def test_scan_ignores_ordinary_discussion(text):
    assert scan(text) == []


def test_scan_returns_empty_list_for_empty_text():
    assert scan("") == []


def test_scan_sorts_findings_by_start():
    text = "DOB 04/12/2009, cell (312) 555-0147, email maria@example.com, SSN 123-45-6789"

    findings = scan(text)

    assert [f.kind for f in findings] == ["date_of_birth", "phone", "email", "ssn"]
    assert [f.start for f in findings] == sorted(f.start for f in findings)


def test_scan_keeps_most_specific_of_overlapping_findings():
    # The local part looks like a phone number; the email is what matters.
    findings = scan("write to 3125550147@sms.example.net")

    assert [(f.kind, f.text) for f in findings] == [("email", "3125550147@sms.example.net")]


def test_scan_reports_every_email_without_allowlist():
    findings = scan("cc: alice@taskforce.example.gov and bob@example.com")

    assert [f.text for f in findings] == ["alice@taskforce.example.gov", "bob@example.com"]


def test_scan_skips_emails_accepted_by_allowed_emails():
    members = {"alice@taskforce.example.gov"}

    findings = scan(
        "cc: alice@taskforce.example.gov and bob@example.com",
        allowed_emails=lambda email: email.lower() in members,
    )

    assert [f.text for f in findings] == ["bob@example.com"]


def test_scan_skips_allowed_names_case_insensitively():
    text = "the victim, Maria Lopez, met survivor Ana Cruz"

    findings = scan(text, allowed_names=["maria  LOPEZ"])

    assert [f.text for f in findings] == ["Ana Cruz"]


def test_scan_matches_allowed_names_with_or_without_middle_initial():
    findings = scan("the victim, Maria E. Lopez, met minor Ana Cruz", allowed_names=["Maria Lopez"])

    assert [f.text for f in findings] == ["Ana Cruz"]


def test_scan_finds_several_names_after_one_victim_word():
    findings = scan("victims Maria Lopez and Ana Cruz were moved")

    assert [f.text for f in findings] == ["Maria Lopez", "Ana Cruz"]


def test_scan_ignores_invalid_ssn_areas():
    assert scan("SSN 000-12-3456, 666-12-3456 and 912-34-5678") == []


def test_scan_ignores_phone_numbers_inside_urls():
    assert scan("https://example.org/calls/312-555-0147/notes") == []


def test_finding_is_frozen():
    finding = scan("cell (312) 555-0147")[0]

    with pytest.raises(dataclasses.FrozenInstanceError):
        finding.text = "x"  # type: ignore[misc]


def test_summarize_returns_json_ready_dicts():
    findings = scan("cell (312) 555-0147; DOB 04/12/2009")

    summary = summarize(findings)

    assert summary == [
        {"kind": "phone", "label": "Phone number", "text": "(312) 555-0147"},
        {"kind": "date_of_birth", "label": "Date of birth", "text": "04/12/2009"},
    ]
    json.dumps(summary)


def test_summarize_lists_repeated_text_once():
    findings = scan("call 312-555-0147, I repeat, call 312-555-0147")

    assert len(findings) == 2
    assert summarize(findings) == [{"kind": "phone", "label": "Phone number", "text": "312-555-0147"}]


def test_summarize_handles_empty_list():
    assert summarize([]) == []


ADVERSARIAL_INPUTS = {
    "digits": "1" * 50_000,
    "capital letters": "A " * 25_000,
    "victim words": "victim " * 7_000,
    "victim names": "victim Maria Lopez " * 2_600,
    "names before victim": "Maria Lopez, " * 3_800 + "the victim",
    "at signs": "a@" * 25_000,
    "dotted domain": "x@" + "a." * 24_999,
    "spaced digits": "12 " * 16_600,
    "dashed digits": "1-" * 25_000,
    "case keywords": "case #" * 8_300,
    "plate keywords": "plate " + "A1" * 24_990,
    "captions": "Aa Bb Cc v. " * 4_100,
    "whitespace after victim": "victim" + " \t" * 24_990 + "Maria Lopez",
    "many phones": "312-555-0147 " * 3_800,
    "many addresses": "12 Main St " * 4_500,
}


@pytest.mark.parametrize("text", ADVERSARIAL_INPUTS.values(), ids=ADVERSARIAL_INPUTS.keys())
def test_scan_is_fast_on_adversarial_input(text):
    assert len(text) <= 50_100

    started = time.perf_counter()
    scan(text)
    elapsed = time.perf_counter() - started

    assert elapsed < 1.0, f"scan took {elapsed:.2f}s"


_TEXT_PIECES = st.sampled_from(
    [
        "victim ",
        "minor ",
        "Maria ",
        "Lopez",
        ", ",
        "DOB ",
        "04/12/2009",
        "(312) 555-0147",
        "123-45-6789",
        "case #",
        "2024-00123",
        "plate ",
        "ABC-1234",
        "12 Main St",
        "a@b.org",
        "https://x.org/",
        " v. ",
        "§ ",
        "\n",
    ]
)


@settings(max_examples=200, deadline=None, database=None)
@given(st.lists(st.one_of(_TEXT_PIECES, st.text(alphabet="aZ09 .,-#@/()$", max_size=6)), max_size=30))
def test_scan_findings_are_consistent_for_any_text(pieces):
    text = "".join(pieces)

    findings = scan(text)

    for finding in findings:
        assert isinstance(finding, Finding)
        assert text[finding.start : finding.end] == finding.text
        assert finding.label == LABELS[finding.kind]
    for earlier, later in zip(findings, findings[1:], strict=False):
        assert earlier.end <= later.start
