"""The privacy guard on plain language and text structure. Pure Python: no database."""

import pytest

from connect.privacy import LABELS, render_for_scan, scan


def _found(text, **kwargs):
    return [(f.kind, f.text) for f in scan(text, **kwargs)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "a 15-year-old girl named Ana from Belle Glade whose mother works at the packing house",
            [
                ("age_detail", "15-year-old"),
                ("named_person", "Ana"),
                ("workplace", "works at the packing house"),
            ],
        ),
        ("our client Luz Marina Ochoa", [("named_person", "Luz Marina Ochoa")]),
        ("the boy, Dmitri, told the interviewer", [("named_person", "Dmitri")]),
        ("the 16-year-old from Lincoln High", [("age_detail", "16-year-old"), ("school", "Lincoln High")]),
        (
            "Maria Lopez is the victim. She was born 2008/01/02 and lives at 123 main street",
            [
                ("named_person", "Maria Lopez"),
                ("date_of_birth", "2008/01/02"),
                ("street_address", "123 main street"),
            ],
        ),
        ("maria lopez is the victim", [("named_person", "maria lopez")]),
        ("The victim, M.L., is 16.", [("named_person", "M.L.")]),
        ("Her Instagram is @lily_xo09.", [("social_handle", "@lily_xo09")]),
        ("Her A-number is A123-456-789.", [("immigration_number", "A123-456-789")]),
        ("Passport number G12345678 was taken.", [("passport_number", "G12345678")]),
        ("Medicaid number 1234567890 is on the referral.", [("medical_number", "1234567890")]),
        ("CyberTipline report 123456789 was forwarded.", [("ncmec_report", "123456789")]),
        (
            "They kept her in room 214 at the Sunset Motel.",
            [("lodging", "room 214"), ("lodging", "Sunset Motel")],
        ),
        ("She goes by Candy in the ads.", [("nickname", "Candy")]),
        ("His Honduran cell is +504 9876-5432.", [("phone", "+504 9876-5432")]),
    ],
)
def test_scan_finds_plain_language_details(text, expected):
    assert _found(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "**Victim:** Brianna Hayes",
        "- victim: **maria lopez**",
        "| Name | Role |\n|---|---|\n| Keisha Brown | victim |",
        "The victim,\nMaria\nLopez, was moved.",
        "Survivor:\n\n* Ana Cruz\n* Lucia Flores",
        "1. minor: ana perez\n2. minor: lucia gomez",
        "The victim is **Ma**ria <b>Lopez</b>.",
    ],
)
def test_scan_is_not_defeated_by_markdown_structure(text):
    findings = scan(text)

    assert any(f.kind == "named_person" for f in findings)
    for finding in findings:
        assert text[finding.start : finding.end] == finding.text


def test_render_for_scan_keeps_offsets():
    text = "**Victim:**\n- Ana | 15"

    rendered = render_for_scan(text)

    assert len(rendered) == len(text)
    assert "\n" not in rendered and "*" not in rendered


@pytest.mark.parametrize(
    "text",
    [
        "Detective Ana Ruiz and the victim met at the CAC.",
        "The survivor leader Ana Cruz spoke at the summit.",
        "The training is at the Hilton Garden Inn, Room 204, on March 12.",
        "Call the National Human Trafficking Hotline at 1-888-373-7888.",
        "See United States v. Kozminski, 487 U.S. 931 (1988).",
        "Our office moved to 1 Federal Plaza.",
        "Follow the task force on Facebook for event updates.",
        "A 16-year-old was recovered during the operation.",
    ],
)
def test_scan_stays_quiet_about_practice_talk(text):
    assert scan(text) == []


def test_scan_allows_members_forum_handles():
    assert _found("thanks @dana_w for the slides", allowed_handles=["Dana_W"]) == []
    assert _found("thanks @dana_w for the slides") == [("social_handle", "@dana_w")]


def test_every_kind_has_a_label():
    assert {"social_handle", "immigration_number", "lodging", "age_detail", "nickname"} <= set(LABELS)


@pytest.mark.parametrize("text", ['aka "\t"', "She goes by '\t' online", 'known as "\n\n"'])
def test_a_nickname_of_blanks_alone_is_no_finding_and_no_error(text):
    assert [f for f in scan(text) if f.kind == "nickname"] == []
