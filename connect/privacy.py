"""Victim-privacy guard for everything members write.

Task-force members discuss real investigations, and a single careless post can
expose a trafficking victim: a name next to the word "minor", a phone number,
a home address or a report number is enough for a trafficker, a journalist or
a curious colleague in another agency to identify the person. Victims'
identities must never be posted, so before a post is saved its text is run
through :func:`scan`. When anything is found the author is shown what was
detected and has to confirm before posting anyway; a confirmed post is held
for moderator review. That flow lives elsewhere; this module only finds
things.

Design notes:

* The guard is deliberately conservative about *what* it reports (it would
  rather ask about an ambiguous date than miss a date of birth) but tries hard
  not to nag about the ordinary vocabulary of this community: "victim
  services", task-force names, published case captions such as
  "United States v. Kozminski", statute citations, years, money amounts,
  URLs and the national hotline number.
* Every regular expression is bounded (fixed-width repetition, and a negative
  look-behind so a match can only start at the beginning of a run), so the
  scan is linear in the length of the post even for hostile input.
* The module has no Django imports so it can be tested without a database.
"""

from __future__ import annotations

import bisect
import contextvars
import itertools
import re
import re._constants as _re_constants
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from .privacy_words import COMMON_WORDS, first_names

__all__ = ["Finding", "LABELS", "scan", "summarize"]

LABELS: dict[str, str] = {
    "phone": "Phone number",
    "ssn": "Social Security number",
    "date_of_birth": "Date of birth",
    "street_address": "Street address",
    "email": "Email address",
    "case_number": "Case or report number",
    "license_plate": "License plate",
    "named_person": "Name of a possible victim",
    "age_detail": "Age with a school, place or workplace",
    "school": "School or grade of a possible victim",
    "workplace": "Workplace of a possible victim or relative",
    "lodging": "Motel, hotel or room",
    "nickname": "Nickname used in ads",
    "social_handle": "Social-media handle",
    "immigration_number": "Immigration A-number",
    "passport_number": "Passport number",
    "medical_number": "Medicaid or medical record number",
    "ncmec_report": "NCMEC CyberTipline report number",
}

# When two findings overlap, the one whose kind comes first wins: a strict
# format (an email, an SSN) says more about the text than a context-driven
# guess (a capitalised name near "victim").
_PRIORITY = {
    kind: rank
    for rank, kind in enumerate(
        [
            "email",
            "social_handle",
            "ssn",
            "immigration_number",
            "passport_number",
            "medical_number",
            "ncmec_report",
            "phone",
            "date_of_birth",
            "license_plate",
            "case_number",
            "street_address",
            "named_person",
            "nickname",
            "lodging",
            "school",
            "workplace",
            "age_detail",
        ]
    )
}


@dataclass(frozen=True)
class Finding:
    """One likely identifying detail found in a post."""

    kind: str
    label: str
    text: str
    start: int
    end: int


# --------------------------------------------------------------------------
# Regions that are never reported: they are public by nature.
# --------------------------------------------------------------------------

_URL = re.compile(r"(?:\b[Hh][Tt][Tt][Pp][Ss]?://|\bwww\.)[^\s<>\"'`\]\[]{1,2048}")

# Published case captions: "United States v. Kozminski", "People vs. Smith".
_CAPTION_WORD = r"[A-Z][\w.'’&-]{0,40}"
_CAPTION = re.compile(
    rf"(?<![\w.'’&-]){_CAPTION_WORD}(?:[ \t]{{1,3}}{_CAPTION_WORD}){{0,5}}"
    rf"[ \t]{{1,3}}(?:v\.|vs\.?)[ \t]{{1,3}}{_CAPTION_WORD}(?:[ \t]{{1,3}}{_CAPTION_WORD}){{0,5}}"
)

# "18 U.S.C. § 1591", "§§ 1589-1594", "22 U.S.C. 7102(11)".
_STATUTE = re.compile(
    r"\d{1,3}[ \t]{0,5}U\.?[ \t]?S\.?[ \t]?C\.?(?:[ \t]{0,5}§§?)?[ \t]{0,5}\d{1,6}[\w().-]{0,30}"
    r"|§§?[ \t]{0,5}[\w.()-]{1,40}(?:[ \t]{0,5}(?:-|–|through|to|and)[ \t]{0,5}[\w.()-]{1,40})?"
)

# --------------------------------------------------------------------------
# Detectors.
# --------------------------------------------------------------------------

_EMAIL = re.compile(
    r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]{1,64}@"
    r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.){1,8}[A-Za-z]{2,24}\b"
)

# The look-behind stops a match from starting in the middle of a longer
# number (or an account number, an amount, a decimal), and the look-ahead
# stops it from ending in one.
_NUM_BEFORE = r"(?<![\w$#@/.+-])"
_NUM_AFTER = r"(?![\w/-]|[.,]\d)"

_PHONE = re.compile(
    _NUM_BEFORE
    + r"(?:\+?1[ .-]?)?"
    + r"(?:\((?P<area1>[2-9]\d\d)\)[ ]?|(?P<area2>[2-9]\d\d)[ .-]?)"
    + r"[2-9]\d\d[ .-]?\d{4}"
    + _NUM_AFTER
)
# _NUM_BEFORE's look-behind comes after the first digit (where it reads the
# same character before it): a pattern that starts with a set of digits lets
# the engine skip to the next one instead of trying a match at every character.
_PHONE_LOCAL = re.compile(r"[2-9](?<![\w$#@/.+-][2-9])\d\d[-.]\d{4}" + _NUM_AFTER)
_PHONE_CONTEXT = re.compile(r"(?i)\b(?:phone|cell|call|text|tel|mobile|number|ph|contact)\b[^\n]{0,12}$")
# Toll-free numbers belong to organisations (the national hotline is
# 1-888-373-7888), never to a victim.
_TOLL_FREE = frozenset({"800", "833", "844", "855", "866", "877", "888"})

_SSN = re.compile(
    r"(?<![\w$#@/.+-])(?!000|666|9)\d{3}(?P<sep>[- .])(?!00)\d\d(?P=sep)(?!0000)\d{4}" + _NUM_AFTER
)
_SSN_BARE = re.compile(r"(?<![\w$#@/.+-])(?!000|666|9)\d{3}(?!00)\d\d(?!0000)\d{4}" + _NUM_AFTER)
_SSN_CONTEXT = re.compile(r"(?i)\b(?:ssn|ss\s?#|ss\s?no|social(?:\s+security)?)\b[^\n]{0,15}$")

_MONTH = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?"
    r"|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)"
)
_DAY = r"(?:0?[1-9]|[12]\d|3[01])"
_DATE = re.compile(
    r"(?<![\w/.-])(?:0?[1-9]|1[0-2])(?P<sep>[/.-])" + _DAY + r"(?P=sep)(?:(?:19|20)\d\d|\d\d)"
    r"(?![\w/-]|[.,]\d)"
    r"|(?<![\w/.-])(?:19|20)\d\d(?P<sep2>[-/.])(?:0?[1-9]|1[0-2])(?P=sep2)(?:0?[1-9]|[12]\d"
    r"|3[01])(?![\w/-]|[.,]\d)"
    r"|(?i:\b" + _MONTH + r"\.?[ \t]{1,5}" + _DAY + r"(?:st|nd|rd|th)?,?[ \t]{1,5}(?:19|20)\d\d\b)"
    r"|(?i:\b"
    + _DAY
    + r"(?:st|nd|rd|th)?[ \t]{1,5}(?:of[ \t]{1,5})?"
    + _MONTH
    + r"\.?,?[ \t]{1,5}(?:19|20)\d\d\b)"
)
_BIRTH_WORD = (
    r"(?:\bdob\b|\bd\.\s?o\.\s?b\b|\bdate\s+of\s+birth\b|\bbirth\s*(?:date|day)\b"
    r"|\bborn\b|\bage[ds]?\b)"
)
_BIRTH = re.compile(r"(?i)" + _BIRTH_WORD)
_BIRTH_WINDOW_BEFORE = 30
_BIRTH_WINDOW_AFTER = 20

_STREET_SUFFIX = (
    r"(?i:street|st|avenue|ave|av|road|rd|boulevard|blvd|drive|dr|lane|ln|court|ct"
    r"|place|pl|way|terrace|ter|parkway|pkwy|highway|hwy|circle|cir|trail|trl"
    r"|square|sq|loop|pike|alley|plaza|plz|expressway|expy|freeway|fwy)"
)
# The look-behind comes after the first digit (where it reads the same
# character before it): a pattern that starts with a digit lets the engine
# skip to the next digit instead of trying a match at every character.
_ADDRESS = re.compile(
    r"(?P<number>\d(?<![\w$#@/.,:-]\d)\d{0,5}(?:-?[A-Za-z])?)[ \t]{1,5}"
    r"(?:(?:N|S|E|W|NE|NW|SE|SW|North|South|East|West)\.?[ \t]{1,5})?"
    r"(?P<name>(?:(?:[A-Z][A-Za-z'’-]{0,24}|\d{1,3}(?:st|nd|rd|th))[ \t]{1,5}){1,3})"
    r"(?P<suffix>" + _STREET_SUFFIX + r")\b\.?"
    r"(?:,?[ \t]{1,5}(?:(?i:apt|apartment|unit|suite|ste|rm|room|lot|fl|floor|bldg)\.?[ \t]{0,5}#?"
    r"|#)[ \t]{0,5}[A-Za-z0-9-]{1,6}\b)?"
)
_YEAR_PREPOSITION = re.compile(
    r"(?i)\b(?:in|since|during|by|of|from|until|through|year|fy|before|after)[ \t]{1,5}$"
)
# "12 Superior Court judges" is not an address.
_COURT_WORDS = frozenset(
    """superior district circuit supreme county family juvenile municipal federal
    criminal drug treatment appeals tribal bankruptcy magistrate probate youth
    trafficking city state""".split()
)

_CASE_KEYWORD = re.compile(
    r"(?i)\b(?:police[ \t]{1,5}report|case|report|incident|complaint|docket|file|cause"
    r"|cad|arrest|booking|warrant|citation)s?\b"
)
_CASE_ID = re.compile(
    r"[ \t]{0,5}(?P<conn>(?i:no\b\.?|num\b\.?|number\b|#|id\b))?[ \t]{0,5}[:#]?[ \t]{0,5}"
    r"(?P<id>[A-Za-z0-9][A-Za-z0-9/-]{2,24}[A-Za-z0-9])(?![\w/-]|[.,]\d|%)"
)
_CASE_STANDALONE = re.compile(
    r"(?<![\w/-])(?!FY)[A-Z]{1,4}-\d{2,4}-\d{3,8}(?![\w/-])"
    r"|(?<![\w/:-])(?:\d:)?\d{2,4}-(?:[A-Z]{1,4}|cr|cv|mj)-\d{3,8}(?![\w/-])"
)
_YEARISH = re.compile(r"(?:19|20)\d\d(?:[-/](?:19|20)?\d\d)?")

_PLATE_KEYWORD = re.compile(
    r"(?i)\b(?:licen[cs]e[ \t]{1,5}plates?|plates?|tags?|licen[cs]e|vehicle|car|truck"
    r"|van|suv|lp|registration)\b"
)
_PLATE = re.compile(r"(?<![\w-])(?P<plate>[A-Z0-9]{1,4}[- ]?[A-Z0-9]{2,5})(?![\w-])")
_PLATE_WINDOW = 40

# --- Names near victim words ------------------------------------------------

# Words that put the people named around them in a victim's, witness's or
# family's position. A name next to one of them is what identifies a victim.
_VICTIM_WORD = re.compile(
    r"(?i)(?<![\w-])(?:victim|minor|survivor|juvenile|child|girl|boy|complainant|teen(?:ager)?"
    r"|youth|kid|client|witness|daughter|son|mother|mom|mum|father|dad|sister|brother|aunt|uncle"
    r"|cousin|grand(?:mother|father|ma|pa|son|daughter)|niece|nephew|boyfriend|girlfriend|baby"
    r"|infant|toddler|student|runaway|named|nicknamed|initials|stepdaughter|stepson|stepmother"
    r"|\d{1,2}[- ]years?[- ]old|stepfather|parent|guardian|caregiver|sibling|twin|relative"
    r"|fianc[ée]e?|wife|husband)"
    r"(?:s'|s|'s|’s|es|ren)?(?![\w-])"
)
# A victim word followed by one of these is used as an adjective ("victim
# services", "survivor advocate"), so names around it belong to staff or
# organisations, not to a victim.
_ROLE_WORDS = frozenset(
    """advocate advocates advocacy services service specialist specialists
    coordinator coordinators witness assistance liaison liaisons unit units
    program programs center centers centre fund compensation rights navigator
    navigators counselor counselors counsellor support outreach leader leaders
    council care welfare protective protection centered informed led
    identification interview interviews interviewer forensic resources
    resource network networks coalition alliance office offices protocol
    protocols portal list lists file files intake management manager agency
    agencies scout scouts exploitation abuse pornography labor labour
    trafficking sex safety development advocacy-center statement statements
    stand testimony tamper tampering panel day days""".split()
)
# Words a name may hide behind after (or before) a victim word: "the
# victim's name is", "our client,", "the girl, age 15, named".
_CONNECTORS = frozenset(
    """is was named name names called identified as known aka a.k.a the her his
    their real full legal first last who goes go by age aged years year old yo
    female male minor juvenile victim victims young teen teenage girl boy
    child ms mrs mr miss mx and a an our my one another alias nickname
    nicknamed including include includes are were initials listed also
    youngest oldest older younger little big baby adult""".split()
)
# Going backwards ("Maria Lopez, the victim"), fewer words may come between
# a name and the victim word: "Detective Ana Ruiz and the victim" must not
# name the detective.
_BACK_CONNECTORS = frozenset(
    """is was the a an our their his her one another who aged age years year
    old yo female male minor juvenile young teen teenage adult""".split()
)
_NAMING_WORDS = frozenset(
    {"named", "called", "name", "names", "aka", "a.k.a", "alias", "nicknamed", "initials"}
)
_HONORIFICS = frozenset({"ms", "mrs", "mr", "mx", "miss"})
# One token, a named group for each kind. Each match of _TOKEN starts with
# the whitespace before its token, which the engine skips in one step instead
# of trying every alternative at each blank; the token itself is the span of
# the one named group that matched.
_LEXEME = (
    r"(?P<init>(?:[A-Za-z]\.){2,4}|[A-Z]\.(?=[ \t,;)]))"
    r"|(?P<word>[^\W\d_](?:[\w'’-]{0,40}[^\W_])?)"
    r"|(?P<num>\d{1,3}(?:-?years?-?old|yo|y/o)?(?![\w/]))"
    r"|(?P<punct>[,:;()\[\]\"“”'‘’–—-])"
    r"|(?P<other>\S)"
)
_TOKEN = re.compile(r"\s*(?:" + _LEXEME + ")")
# How far past its start a token's match can read: its longest match and the
# one character its look-aheads read after it.
_TOKEN_REACH = re._parser.parse(_LEXEME).getwidth()[1] + 1
_BLANK = re.compile(r"\s")
_MAX_STEPS = 8
_MAX_NAMES = 6
_CONTEXT_WINDOW = 110

# Capitalised words that start sentences or name organisations, places and
# programmes; a "name" containing any of them is not a person's name.
_NOT_NAME_WORDS = frozenset(
    """a an the this that these those our their her his its my your we they she
    he it i and or but if when while after before during since for from with
    without of in on at by to into about as is was are were be been has have
    had do does did not no yes please thanks thank hi hello dear re fwd
    victim victims survivor survivors minor minors child children juvenile
    juveniles girl girls boy boys complainant teen teens youth kid kids
    services service unit office crime crimes advocacy advocate advocates
    program programs project task force county city state states united
    national federal department police sheriff court courts district attorney
    attorneys center centre coalition network alliance foundation
    division bureau agency justice human trafficking labor labour sex
    protective protection welfare family families house home shelter hotline
    initiative council committee board university college school
    hospital clinic church ministries ministry street avenue road
    north south east west new general special agent detective officer
    sergeant lieutenant captain chief deputy judge prosecutor investigator
    monday tuesday wednesday thursday friday saturday sunday january february
    march april may june july august september october november december
    homeland security investigations hsi fbi dhs doj ovc ojp usao ice cbp
    club town village group team administration grant grants training
    scout scouts troop leader leaders conference summit meeting webinar
    report reports act law code section mr mrs ms mx dr""".split()
)


def _overlaps_mask(mask: list[tuple[int, int]], starts: list[int], start: int, end: int) -> bool:
    i = bisect.bisect_right(starts, start) - 1
    for j in (i, i + 1):
        if 0 <= j < len(mask):
            m_start, m_end = mask[j]
            if m_start < end and start < m_end:
                return True
    return False


def _public_regions(text: str) -> list[tuple[int, int]]:
    patterns = []
    if "://" in text or "www." in text.lower():
        patterns.append(_URL)
    if "v." in text or "vs" in text:
        patterns.append(_CAPTION)
    if "§" in text or "U" in text:
        patterns.append(_STATUTE)
    spans = sorted((m.start(), m.end()) for pattern in patterns for m in pattern.finditer(text))
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def _find_emails(text: str, allowed: Callable[[str], bool] | None):
    for m in _EMAIL.finditer(text):
        if allowed is not None and allowed(m.group()):
            continue
        yield "email", m.start(), m.end()


def _find_phones(text: str, low: str, runs: list[int] | None):
    for m in _near(_PHONE, text, runs, _RUN_BEFORE):
        area = m.group("area1") or m.group("area2")
        if area in _TOLL_FREE:
            continue
        yield "phone", m.start(), m.end()
    # A local number counts only after a phone word, and every phone word
    # holds one of the words _PHONE_CONTEXT_LC is tried at: a text with none
    # of them is spared the pass.
    if not _gate(low, _WORDS[_PHONE_CONTEXT_LC]):
        return
    for m in _near(_PHONE_LOCAL, text, runs, _RUN_BEFORE):
        if _keyword_found(_PHONE_CONTEXT_LC, low, max(0, m.start() - 25), m.start()):
            yield "phone", m.start(), m.end()


def _find_ssns(text: str, low: str, runs: list[int] | None):
    for m in _near(_SSN, text, runs, _RUN_BEFORE):
        yield "ssn", m.start(), m.end()
    if not _gate(low, _WORDS[_SSN_CONTEXT_LC]):
        return  # a bare nine-digit number counts only after "SSN" or "social"
    for m in _near(_SSN_BARE, text, runs, _RUN_BEFORE):
        if _keyword_found(_SSN_CONTEXT_LC, low, max(0, m.start() - 30), m.start()):
            yield "ssn", m.start(), m.end()


# Every _DATE match starts at the start of a word, with an ASCII digit or the
# first letter of a month name (U+017F, the long s, matches "s" ignoring
# case). The engine skips straight to those characters.
_DATE_START = re.compile("(?s)[0-9JFMASONDjfmasond\u017f](?<!\\w.)")


def _dates(text: str, lo: int, hi: int):
    """``_DATE.finditer(text, lo, hi)``, tried only where a date can start."""
    end = lo
    match = _DATE.match
    for start in _DATE_START.finditer(text, lo, hi):
        i = start.start()
        if i < end:
            continue
        m = match(text, i, hi)
        if m is not None:
            yield m
            end = m.end()


def _find_birth_dates(text: str, low: str):
    # A date on its own is usually a meeting or a court date; only dates with
    # a birth word close by are treated as dates of birth. Birth words are
    # rare, so dates are looked for only around them.
    # The windows are merged as the birth words are found, so a scan that
    # stops at the cap of findings stops looking for birth words too.
    around = (
        (max(0, b.start() - _BIRTH_WINDOW_AFTER - 40), min(len(text), b.end() + _BIRTH_WINDOW_BEFORE + 40))
        for b in _keyword_matches(_BIRTH_LC, low)
    )
    for lo, hi in _merged(around):
        for m in _dates(text, lo, hi):
            if _keyword_found(_BIRTH_LC, low, max(0, m.start() - _BIRTH_WINDOW_BEFORE), m.start()) or (
                _keyword_found(_BIRTH_LC, low, m.end(), m.end() + _BIRTH_WINDOW_AFTER)
            ):
                yield "date_of_birth", m.start(), m.end()


def _merged(spans):
    """Overlapping or touching ``(lo, hi)`` spans, in order of ``lo``, merged as they come."""
    lo = hi = -1
    for start, end in spans:
        if start <= hi:
            hi = end if end > hi else hi
            continue
        if hi != -1:
            yield lo, hi
        lo, hi = start, end
    if hi != -1:
        yield lo, hi


# An address right after one of these is an organisation's, published anyway.
_ORG_ADDRESS = re.compile(
    r"(?i)\b(?:office|offices|headquarters|hq|courthouse|meeting|meetings|training|trainings|conference"
    r"|venue|building|mail|agency|department|center|centre|clinic)\b"
)


def _is_org_address(low: str, start: int) -> bool:
    return bool(_keyword_found(_ORG_ADDRESS_LC, low, max(0, start - 30), start))


def _find_addresses(text: str, low: str, streets: list[int] | None):
    for m in _near(_ADDRESS, text, streets, _STREET_BEFORE):
        if _is_org_address(low, m.start()):
            continue
        number = m.group("number")
        name_words = m.group("name").split()
        if re.fullmatch(r"(?:19|20)\d\d", number) and _YEAR_PREPOSITION_LC.search(
            low, max(0, m.start() - 12), m.start()
        ):
            continue
        if m.group("suffix").lower() in {"court", "ct"} and any(
            w.lower() in _COURT_WORDS for w in name_words
        ):
            continue
        yield "street_address", m.start(), m.end()


# Every standalone case number ("AB-12-345", "2:24-cr-00123") ends with a
# hyphen and three digits, with its first hyphen two to five characters before.
_CASE_TAIL = re.compile(r"-\d{3}")
_CASE_TAIL_BEFORE = 11
# Every A-number starts so ("A123456789", "A-123-456-789").
_A_NUMBER_START = re.compile(r"A[- ]?\d{3}")


def _case_tails(text: str) -> list[int]:
    return [
        m.start()
        for m in _CASE_TAIL.finditer(text)
        if text.find("-", max(0, m.start() - 5), m.start() - 1) != -1
    ]


def _find_case_numbers(text: str, low: str):
    for m in _near(_CASE_STANDALONE, text, _case_tails(text), _CASE_TAIL_BEFORE):
        yield "case_number", m.start(), m.end()
    for kw in _keyword_matches(_CASE_KEYWORD_LC, low):
        m = _CASE_ID.match(text, kw.end())
        if not m:
            continue
        ident = m.group("id")
        digits = sum(map(str.isdigit, ident))
        if digits < 3 or (digits < 5 and not m.group("conn")):
            continue
        if _YEARISH.fullmatch(ident) or ident[:2].upper() == "FY" or _DATE.fullmatch(ident):
            continue
        yield "case_number", m.start("id"), m.end("id")


def _find_plates(text: str, low: str):
    for kw in _keyword_matches(_PLATE_KEYWORD_LC, low):
        window_end = min(len(text), kw.end() + _PLATE_WINDOW)
        newline = text.find("\n", kw.end(), window_end)
        if newline != -1:
            window_end = newline
        for m in _PLATE.finditer(text, kw.end(), window_end):
            plate = m.group("plate")
            alnum = re.sub(r"[- ]", "", plate)
            if not 5 <= len(alnum) <= 8:
                continue
            if not (any(c.isdigit() for c in alnum) and any(c.isalpha() for c in alnum)):
                continue
            if alnum.startswith("FY"):
                continue
            yield "license_plate", m.start(), m.end()
            break


# The first digit comes first for the same reason as in _ADDRESS.
_ADDRESS_LOWER = re.compile(
    r"(?i)(?P<number>\d(?<![\w$#@/.,:-]\d)\d{0,5})[ \t]{1,5}(?:(?:n|s|e|w|ne|nw|se|sw|north|south|east"
    r"|west)\.?[ \t]{1,5})?"
    r"(?P<name>(?:(?:[a-z][a-z'’-]{0,24}|\d{1,3}(?:st|nd|rd|th))[ \t]{1,5}){1,3})"
    r"(?P<suffix>" + _STREET_SUFFIX + r")\b\.?"
)
_LIVES_AT = re.compile(
    r"(?i)\b(?:lives|lived|living|stays|stayed|staying|resides|resided|address(?:[ \t]{1,3}is)?|house|home)"
    r"[ \t]{1,3}(?:at|on"
    r"|is)[ \t]{1,3}(?P<addr>\d{1,6}[ \t]{1,3}[A-Za-z][\w'’-]{1,30}(?:[ \t]{1,3}[A-Za-z][\w'’-]{1,30})?)"
)


def _find_lower_addresses(text: str, low: str, streets: list[int] | None):
    """Addresses written in lower case ("123 main street"), confirmed by ``usaddress``.

    ``usaddress`` (a trained parser of US addresses) tells an address from
    "12 people in court"; it is only asked about the few candidates a cheap
    pattern finds, and past a budget every candidate is reported.
    """
    calls = 0
    asked: dict[str, bool] = {}
    for m in _near(_ADDRESS_LOWER_LC, low, streets, _STREET_BEFORE):
        if text[m.start("name")].isupper():
            continue  # the strict pattern has it
        name_words = m.group("name").split()
        if any(w in _COMMON_NOT_STREET for w in name_words):
            continue
        if _is_org_address(low, m.start()):
            continue
        calls += 1
        if calls > _MAX_LIBRARY_CALLS:
            yield "street_address", m.start(), m.end()
            continue
        # The parser answers the same for the same words: a pasted list of one
        # address asks it once (answers are kept for this scan only).
        candidate = m.group()
        says = asked.get(candidate)
        if says is None:
            says = asked[candidate] = _usaddress_says_street(candidate)
        if says:
            yield "street_address", m.start(), m.end()
    for m in _keyword_matches(_LIVES_AT_LC, low):
        yield "street_address", m.start("addr"), m.end("addr")


# "5 cases in court", "3 girls on the street": words that make a number and
# a street suffix ordinary prose.
_COMMON_NOT_STREET = frozenset(
    """a an the in on at of to and or for from with by cases case people girls boys
    victims kids children minors months years days weeks hours times more
    less per each our their his her its new old federal state county""".split()
)


def _usaddress_says_street(candidate: str) -> bool:
    import usaddress

    try:
        tagged, kind = usaddress.tag(candidate)
    except usaddress.RepeatedLabelError:
        return False
    return kind == "Street Address" and "AddressNumber" in tagged and "StreetNamePostType" in tagged


def _context_windows(text: str, low: str) -> tuple[list[tuple[int, int]], list[int]]:
    """Merged spans around victim words, and the victim words' starts.

    Only these spans are tokenised, and each is tokenised once however many
    victim words it holds, so the name search stays linear in the text.
    Victim words used as adjectives ("victim services") are left out by the
    pattern itself, so a text dense with victim words costs one pass.
    """
    windows: list[tuple[int, int]] = []
    spans = [m.span() for m in _keyword_matches(_VICTIM_CONTEXT_LC, low)]
    size = len(text)
    for start, end in spans:
        lo, hi = start - _CONTEXT_WINDOW, end + _CONTEXT_WINDOW
        if windows and lo <= windows[-1][1]:
            windows[-1] = (windows[-1][0], hi if hi < size else size)
        else:
            windows.append((lo if lo > 0 else 0, hi if hi < size else size))
    return windows, [start for start, _ in spans]


def _bare(word: str) -> str:
    # A possessive ending ("'s", "’s", "'", "’") is not part of the name.
    if word.endswith(("'s", "’s")):
        return word[:-2]
    if word.endswith(("'", "’")):
        return word[:-1]
    return word


def _name_part(tokens, i, original: str, *, lower_ok: bool) -> str | None:
    """What token ``i`` can be in a name: "first", "cap", "init", "ext" or None."""
    kind, low, start, end = tokens[i]
    if kind == "init":
        return "init"
    if kind != "word":
        return None
    low = _bare(low)
    if low in _NOT_NAME_WORDS or low in _CONNECTORS or start in _victims.get():
        return None
    if low in first_names():
        return "first"
    if original[start].isupper():
        # "Brown", "Rose", "Will": names only next to a real first name.
        return "cap" if low not in COMMON_WORDS else "capc"
    if lower_ok and len(low) > 1 and low not in COMMON_WORDS and low.isalpha():
        return "ext"
    return None


def _accept_run(parts: list[str], naming: bool) -> bool:
    if not parts:
        return False
    if "first" in parts[:2]:
        return True
    if parts.count("cap") >= 2 or (parts.count("cap") and parts.count("capc")):
        return True
    if "cap" in parts and "init" in parts:
        return True
    if parts == ["init"] or (naming and parts[0] in {"cap", "ext", "init"}):
        return True
    return False


def _run_forward(tokens, i, text, naming):
    parts = []
    j = i
    while j < len(tokens) and len(parts) < 4:
        # Lower-case words continue a name only when the name is written in lower case.
        part = _name_part(
            tokens, j, text, lower_ok=bool(parts) and parts[0] == "first" and text[tokens[i][2]].islower()
        )
        if part is None:
            break
        # An initial alone is only a name part when it is one of several letters.
        if part == "init" and tokens[j][1].count(".") == 1 and not parts and not naming:
            nxt = _name_part(tokens, j + 1, text, lower_ok=False) if j + 1 < len(tokens) else None
            if nxt not in {"cap", "first"}:
                break
        parts.append(part)
        j += 1
    if _accept_run(parts, naming):
        return j
    return None


def _run_backward(tokens, i, text):
    parts = []
    j = i
    while j >= 0 and len(parts) < 4:
        part = _name_part(tokens, j, text, lower_ok=True)
        if part is None:
            break
        parts.append(part)
        j -= 1
    parts.reverse()
    # Lower-case words only continue a lower-case name that starts with a first name.
    while parts and parts[0] == "ext":
        parts.pop(0)
        j += 1
    if parts and "ext" in parts and (parts[0] != "first" or text[tokens[j + 1][2]].isupper()):
        return None
    if _accept_run(parts, False):
        return j + 1
    return None


# How many tokens before and after a victim word its two walks can read
# (eight steps, names of up to four tokens, one token of look-ahead).
_MEMO_BEFORE = 13
_MEMO_AFTER = 36
# The characters around a victim word that key the walks' memo: enough to
# hold those tokens where they average up to nine characters with the blank
# before each (prose, and the lists a hostile text repeats). Where they do
# not hold them, the walks are not remembered: 240 characters after the
# victim word left every walk unremembered in a repeated "victim maria lopez".
_KEY_BEFORE = 140
_KEY_AFTER = 400


def _find_named_people(text: str, windows, victim_starts, low: str | None = None):
    """Names next to victim words, found by walking the tokens on either side of each.

    What the walks find depends only on the text around the victim word, so
    a text that repeats itself is walked once per shape: the walks are
    remembered by the characters around the victim word (see ``_walk_at``
    for when those settle them), looked up before any token is built. In a
    long span of repeated text the tokens cost more than everything else:
    they are read only around the victim words whose walks are not
    remembered, starting from a blank shortly before each (no token holds a
    blank, so the tokens after one are the span's tokens).
    """
    _victims.set(frozenset(victim_starts))
    memo: dict[tuple, list[tuple[str, int, int]] | None] = {}
    # One byte per character, 1 where a victim word starts: a slice of it
    # says where the victim words around one of them are, as a key can hold.
    mask = bytearray(len(text))
    for v in victim_starts:
        mask[v] = 1
    marks = bytes(mask)
    # In ASCII text the lower-cased copy holds each token's lower case already.
    ascii_low = low if low is not None and text.isascii() else None
    bisect_left = bisect.bisect_left
    for lo, hi in windows:
        if not _may_hold_name(text[lo:hi]):
            continue  # nothing in this span can be part of a name
        # Tokens from a blank near the last victim word walked, and (when
        # too few tokens lie between such a blank and a victim word) from the
        # span's start, each read as far as the walks so far needed.
        near = whole = None
        for v in victim_starts[bisect_left(victim_starts, lo) : bisect_left(victim_starts, hi)]:
            first = v - _KEY_BEFORE if v - _KEY_BEFORE > lo else lo
            stop = v + _KEY_AFTER if v + _KEY_AFTER < hi else hi
            key = (text[first:stop], v - first, first == lo, stop == hi, marks[first:stop])
            found = memo.get(key, False)
            if found is False or found is None:
                if near is None or near.behind(v - _KEY_BEFORE - _KEY_AFTER):
                    blank = None if first == lo else _BLANK.search(text, first, v)
                    origin = lo if first == lo else blank.start() if blank is not None else None
                    near = None if origin is None else _LazyTokens(text, origin, hi, ascii_low)
                walked = _walk_at(near, v, text, lo, hi, first, stop) if near is not None else None
                if walked is None:
                    if whole is None:
                        whole = _LazyTokens(text, lo, hi, ascii_low)
                    walked = _walk_at(whole, v, text, lo, hi, first, stop)
                if found is False:
                    memo[key] = walked[0] if walked[1] else None
                found = walked[0]
            for kind, start, end in found:
                yield kind, start + v, end + v


class _LazyTokens:
    """(kind, lower-case text, start, end) of the tokens of ``text[lo:hi]``, read on demand."""

    def __init__(self, text: str, lo: int, hi: int, ascii_low: str | None = None):
        self.source = _TOKEN.finditer(text, lo, hi)
        self.lo = lo
        self.ascii_low = ascii_low
        self.tokens: list[tuple[str, str, int, int]] = []
        self.starts: list[int] = []
        self.exhausted = False

    def more(self, count: int) -> None:
        source = itertools.islice(self.source, count)
        low = self.ascii_low
        if low is None:
            batch = [(m.lastgroup, m.group(i).lower(), *m.span(i)) for m in source for i in (m.lastindex,)]
        else:
            batch = [
                (m.lastgroup, low[start:end], start, end)
                for m in source
                for start, end in (m.span(m.lastindex),)
            ]
        self.tokens += batch
        self.starts += [token[2] for token in batch]
        if len(batch) < count:
            self.exhausted = True

    def behind(self, offset: int) -> bool:
        """Whether the tokens read so far end before ``offset`` with more to read."""
        return not self.exhausted and (self.starts[-1] if self.starts else self.lo) < offset


def _walk_at(lazy: _LazyTokens, v: int, text: str, lo: int, hi: int, first: int, stop: int):
    """The walks from the victim word at ``v`` in the span ``text[lo:hi]``
    (offsets relative to ``v``), and whether ``text[first:stop]`` settles them.

    The walks read the tokens from ``_MEMO_BEFORE`` before the victim word
    to ``_MEMO_AFTER`` after it. Tokens read from a blank inside the span
    are the span's own after it, but only tokens read from the span's start
    say how many come before the victim word: None when ``lazy`` started at a
    blank and holds too few tokens before it.

    The characters settle the walks when they hold these tokens as the span
    tokenises them (they start at the span's start, or a blank comes before
    the first token), and everything the last one's match and look-ahead
    read (or they end where the span ends).
    """
    tokens, starts = lazy.tokens, lazy.starts
    k = bisect.bisect_left(starts, v)
    while not lazy.exhausted and len(tokens) <= k + _MEMO_AFTER:
        lazy.more(k + _MEMO_AFTER + 1 - len(tokens) + 32)
        k = bisect.bisect_left(starts, v)
    if lazy.lo != lo and k <= _MEMO_BEFORE:
        return None
    if k >= len(tokens) or tokens[k][2] != v:
        return [], False  # a victim word inside a token ("o'girl") is rare: not worth settling
    last = len(tokens) - 1
    a = k - _MEMO_BEFORE if k > _MEMO_BEFORE else 0
    b = k + _MEMO_AFTER if k + _MEMO_AFTER < last else last
    settled = (first == lo or (a > 0 and _BLANK.search(text, first, tokens[a][2]) is not None)) and (
        stop == hi or (not (lazy.exhausted and b == last) and tokens[b][2] + _TOKEN_REACH <= stop)
    )
    # Both walks look at most _MAX_STEPS tokens away and a name at most four
    # tokens long, and every name holds an initial, a first name or a
    # capitalised word: without one nearby, there is none.
    reach_hi = tokens[k + _MAX_STEPS + 4 if k + _MAX_STEPS + 4 < last else last][3]
    chunk = text[tokens[k - _MAX_STEPS - 4 if k > _MAX_STEPS + 4 else 0][2] : reach_hi]
    if chunk.islower() and "." not in chunk and not _may_hold_name(chunk):
        return [], settled
    walks = itertools.chain(_walk_forward(tokens, k, text), _walk_backward(tokens, k, text))
    return [(kind, start - v, end - v) for kind, start, end in walks], settled


_LOWER_WORD = re.compile(r"[^\W\d_](?:[\w'’-]{0,40}[^\W_])?")


def _may_hold_name(chunk: str) -> bool:
    """Whether ``chunk`` holds a capital, an initial or a first name.

    A cheap superset of what a name walk accepts: with none of them a
    span is not walked at all.
    """
    if not chunk.islower() or "." in chunk:
        return True
    names = first_names()
    return any(_bare(word) in names for word in set(_LOWER_WORD.findall(chunk)))


# Where the victim words of the text being scanned start (a context variable,
# so concurrent scans in threads or tasks do not see each other's).
_victims: contextvars.ContextVar[frozenset[int]] = contextvars.ContextVar("victims", default=frozenset())


def _walk_forward(tokens, k, text):
    naming = _bare(tokens[k][1]) in _NAMING_WORDS
    found = 0
    j = k + 1
    for _ in range(_MAX_STEPS):
        if j >= len(tokens) or found >= _MAX_NAMES:
            return
        kind, low, start, end = tokens[j]
        end_of_name = _run_forward(tokens, j, text, naming)
        if end_of_name is not None:
            yield "named_person", tokens[j][2], tokens[end_of_name - 1][3]
            found += 1
            j = end_of_name
            naming = False
            continue
        if kind == "punct" or kind == "num":
            j += 1
            continue
        if start in _victims.get():
            return  # that victim word's own walk covers what follows it
        if kind == "word" and (low in _CONNECTORS or low in _HONORIFICS):
            naming = naming or low in _NAMING_WORDS
            j += 1
            continue
        if kind == "other" and low == "." and j > 0 and tokens[j - 1][1] in _HONORIFICS:
            j += 1
            continue
        return


def _walk_backward(tokens, k, text):
    j = k - 1
    for _ in range(_MAX_STEPS):
        if j < 0:
            return
        kind, low, start, end = tokens[j]
        if kind == "punct" and low in ",(-–—:" or kind == "num":
            j -= 1
            continue
        if kind == "word" and low in _BACK_CONNECTORS:
            j -= 1
            continue
        first = _run_backward(tokens, j, text)
        if first is not None and first <= j:
            yield "named_person", tokens[first][2], tokens[j][3]
        return


# --- Details that pin a person down ------------------------------------------

_AGE_WORDS = (
    r"(?:\d{1,2}|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen"
    r"|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen)"
)
_AGE = re.compile(
    r"(?i)(?<![\w-])(?:" + _AGE_WORDS + r"[ \t-]{0,2}(?:years?|yrs?)[ \t-]{0,2}old"
    r"|" + _AGE_WORDS + r"[ \t-]?(?:yo|y/o|y\.o\.)"
    r"|(?:age|aged)[ \t]{1,3}\d{1,2})(?![\w])"
)
_SCHOOL = re.compile(
    r"(?<![\w-])(?:(?:[A-Z][\w.'’-]{1,30}[ \t]{1,3}){1,3}(?:High|Middle|Elementary|Junior"
    r"|Intermediate|Charter|Prep|Academy)"
    r"(?:[ \t]{1,3}(?i:school))?"
    r"|(?i:\d{1,2}(?:st|nd|rd|th)[ \t]{1,3}grade(?:r)?|(?:freshman|sophomore|junior"
    r"|senior)[ \t]{1,3}at[ \t]{1,3}[\w'’-]{2,30}"
    r"|(?:high|middle|elementary)[ \t]{1,3}school(?:er)?|grade[ \t]{1,3}\d{1,2}))(?![\w])"
)
_WORKPLACE = re.compile(
    r"(?i)(?<![\w-])(?:works|worked|working|employed|job|jobs|shifts?|clean(?:s|ed|ing)?|dances|danced)"
    r"[ \t]{1,3}(?:at|for|in)[ \t]{1,3}(?:the[ \t]{1,3}"
    r"|a[ \t]{1,3})?(?P<place>[\w'’&-]{2,30}(?:[ \t]{1,3}[\w'’&-]{2,30}){0,2})"
)
_GENERIC_PLACES = frozenset(
    """home night nights day days restaurant restaurants farm farms bar bars
    hotel hotels motel motels club clubs factory factories a an
    the job it all least first last once home-based""".split()
)
_PLACE_FROM = re.compile(
    r"(?<![\w-])(?:from|in|at|of)[ \t]{1,3}(?P<place>[A-Z][\w'’-]{1,30}(?:[ \t]{1,3}[A-Z][\w'’-]{1,30}){0,2})"
)
_LODGING_ROOM = (
    r"(?<![\w-])(?i:room|rm\.?|rooms|suite|unit)[ \t]{0,3}#?[ \t]{0,2}(?P<room>\d{1,4}[A-Za-z]?)(?![\w])"
)
_LODGING_NAMED_WORDS = ("Motel", "Inn", "Hotel", "Lodge", "Suites")
_LODGING_NAMED = (
    r"(?<![\w-])(?:[A-Z][\w'’&-]{1,20}[ \t]{1,3}){1,3}"
    r"(?:Motel|Inn|Hotel|Lodge|Suites|Motor Lodge)(?![\w])"
)
_LODGING_MOTEL = r"(?i:motel[ \t]{1,3}(?:6|8|\d{1,2}))(?![\w])"
_LODGING = re.compile(_LODGING_ROOM + "|" + _LODGING_NAMED + "|" + _LODGING_MOTEL)
# _LODGING without the alternatives that cannot match a text, keyed by
# (whether it holds a lodging's name word, whether it holds "motel"): an
# alternative that matches nowhere changes no match of the others, and each
# one left out is a pass over every character saved.
_LODGING_WITHOUT = {
    (True, True): _LODGING,
    (True, False): re.compile(_LODGING_ROOM + "|" + _LODGING_NAMED),
    (False, True): re.compile(_LODGING_ROOM + "|" + _LODGING_MOTEL),
    (False, False): re.compile(_LODGING_ROOM),
}
_LODGING_WORD = re.compile(
    r"(?i)\b(?:motel|hotel|inn|lodge|suites|extended[ \t]stay|stayed|staying|stays|kept|held|rented"
    r"|booked|living|lives|lived|sleeping|slept|brought|taken|recovered|found)\b"
)
_MEETING_WORD = re.compile(
    r"(?i)\b(?:training|trainings|meeting|meetings|meet|conference|session|sessions|webinar|workshop|summit"
    r"|breakout|presentation|register|registration|class|course|lunch|agenda|panel|keynote|booth"
    r"|board\s?room|court\s?room)\b"
)
_NICKNAME = re.compile(
    r"(?i)(?<![\w-])(?:ads?|advert\w{0,10}|listings?|posted|posts|escort|goes[ \t]by|went[ \t]by"
    r"|known[ \t]as|aka"
    r"|a\.k\.a\.?|nickname[sd]?|street[ \t]name|working[ \t]name|ad[ \t]name|called[ \t]herself"
    r"|calls[ \t]herself"
    r"|called[ \t]himself|under[ \t]the[ \t]name|profile[ \t]name|screen[ \t]name|stage[ \t]name)"
    r"(?:[ \t]{1,3}(?:as|is|was|under|name|for|of|her|him|his|call|calls|called|them|me))"
    r"{0,3}[ \t]{0,3}[:,]?[ \t]{0,3}"
    r"(?P<nick>[\"“'‘][^\"”'’\n]{1,30}[\"”'’]|(?-i:[A-Z][a-z]{1,20}(?:[ \t][A-Z][a-z]{1,20})?))"
)
_NICK_STOP = frozenset(
    """the a an this that our their her his in on at for of to and or but if it
    backpage craigslist skipthegames megapersonals listcrawler tryst eros
    monday tuesday wednesday thursday friday saturday sunday january february
    march april may june july august september october november december
    task force police fbi hsi""".split()
)

_SOCIAL_URL = re.compile(
    r"(?i)(?:https?://)?(?:www\.|m\.)?(?:facebook|fb|instagram|tiktok|snapchat|twitter|x|onlyfans|kik|"
    r"threads|telegram|t|wa|youtube|reddit|linktr|cash\.app|venmo)\.(?:com|me|ee|net)/[@\w.\-/]{2,60}"
)
# Starts with its literal "@" so the engine can skip to it; what may come
# before it (not an email's local part) is checked in _find_handles.
_HANDLE = re.compile(r"@(?P<handle>[A-Za-z0-9_](?:[A-Za-z0-9_.]{0,28}[A-Za-z0-9_])?)(?![\w@-]|\.[A-Za-z])")
_SOCIAL_WORD = re.compile(
    r"(?i)\b(?:instagram|insta|ig|snap(?:chat)?|sc|tiktok|tik[ \t]tok|twitter|kik|facebook|fb"
    r"|whatsapp|telegram"
    r"|onlyfans|discord|handle|username|user[ \t]name|account|profile|gamertag|cashapp|cash[ \t]app|venmo)\b"
    r"(?:[ \t]{1,3}(?:handle|name|account|username|is|was|as|under))*[ \t]{0,3}[:=-]?[ \t]{0,3}"
    r"(?P<handle>@?[A-Za-z0-9_$](?:[A-Za-z0-9_.]{1,28}[A-Za-z0-9_])?)(?![\w@-])"
)
_HANDLE_STOP = frozenset(
    """the a an and or for of to in on at is was her his their our my your this
    that account accounts profile profiles page pages handle name username
    with from by it as are were be been has have had who which what when
    where how all any some every deleted private public live story stories
    messages message dms dm chat group groups post posts ads ad video videos
    photos photo""".split()
)

_ID_KEYWORDS = (
    (
        "immigration_number",
        r"(?:a[- ]?number|a[- ]?no\.?|a[- ]?#|alien[ \t]{1,3}(?:registration[ \t]{1,3})?(?:number"
        r"|no\.?|#)|uscis[ \t]{1,3}(?:number|no\.?|#)|a-file)",
    ),
    ("passport_number", r"(?:passport|pasaporte)(?:[ \t]{1,3}(?:number|no\.?|num|#|id))?"),
    (
        "medical_number",
        r"(?:medicaid|medicare|medi-cal|chip|mrn|medical[ \t]{1,3}record(?:[ \t]{1,3}number)?|chart"
        r"|patient[ \t]{1,3}(?:id|number|no\.?)"
        r"|health[ \t]{1,3}(?:plan|insurance)[ \t]{1,3}(?:id|number)|member[ \t]{1,3}id"
        r"|insurance[ \t]{1,3}(?:id|number))"
        r"(?:[ \t]{1,3}(?:number|no\.?|num|#|id))?",
    ),
    (
        "ncmec_report",
        r"(?:ncmec|cyber[ \t]?tip(?:line)?|ct)(?:[ \t]{1,3}(?:report|tip))?(?:[ \t]{1,3}(?:number"
        r"|no\.?|num|#|id))?",
    ),
)
_ID_KEYWORD = re.compile(
    "(?i)(?<![\\w-])(?:" + "|".join(f"(?P<{kind}>{pattern})" for kind, pattern in _ID_KEYWORDS) + ")(?![\\w])"
)
_ID_VALUE = re.compile(
    r"[ \t]{0,3}(?:is|was"
    r"|of)?[ \t]{0,3}[:#]?[ \t]{0,3}(?P<id>[A-Za-z]{0,3}[- ]?\d[\d -]{2,16}[0-9A-Za-z])(?![\w-])"
)
_A_NUMBER = re.compile(r"(?<![\w-])A[- ]?(?:\d{3}[- ]?\d{3}[- ]?\d{3}|\d{8})(?![\w-])")

# Starts with its literal "+" (the look-behind after it reads the character
# before it) so the engine skips to the next "+".
_INTL_PHONE = re.compile(
    r"\+(?<![\w+]\+)\d{1,3}[ .-]?(?:\(\d{1,4}\)[ .-]?)?\d{1,5}(?:[ .-]?\d{2,5}){1,4}(?![\w-])"
)
_PHONE_WORD_DIGITS = re.compile(
    r"(?i)\b(?:phone|cell|celular|tel[eé]fono|tel|mobile|whats[ \t]?app|wa|signal|text(?:ed)?"
    r"|call(?:ed)?|number)"
    r"[ \t]{0,3}(?:is|was|number|no\.?"
    r"|#)?[ \t]{0,3}[:#]?[ \t]{0,3}(?P<num>\d{2,4}(?:[ .-]?\d{2,4}){1,4})(?![\w/-])"
)
_MAX_LIBRARY_CALLS = 50


def _find_ages(text: str, low: str):
    """An age next to a school, a grade, a workplace, lodging or a named place."""
    for m in _near(_AGE_LC, low, _anchors(_AGE_FINDER, low, _AGE_LC, before=_AGE_BEFORE), _AGE_BEFORE):
        lo, hi = max(0, m.start() - 60), min(len(text), m.end() + 80)
        if (
            (_holds_any(low, lo, hi, _SCHOOL_WORDS) and _SCHOOL.search(text, lo, hi))
            or _keyword_found(_WORKPLACE_LC, low, lo, hi)
            or _keyword_found(_LODGING_NEAR_LC, low, lo, hi)
        ):
            yield "age_detail", m.start(), m.end()
            continue
        place = _keyword_search(_PLACE_FROM, text, m.end(), hi)
        if place and not _place_is_public(place.group("place")):
            yield "age_detail", m.start(), m.end()


_LODGING_NEAR = re.compile(r"(?i)\b(?:motel|hotel|inn|room[ \t]{1,3}#?\d|shelter|apartment|trailer)\b")
_PUBLIC_PLACE_WORDS = frozenset(
    """task force police department county office court fbi hsi ice dhs doj
    ovc ojp usao cbp the state federal national united""".split()
)


def _place_is_public(place: str) -> bool:
    return any(w.lower() in _PUBLIC_PLACE_WORDS or w.lower() in _NOT_NAME_WORDS for w in place.split()[:1])


def _near_victim(victim_starts: list[int], start: int, end: int, before: int = 120, after: int = 80) -> bool:
    i = bisect.bisect_left(victim_starts, start - before)
    return i < len(victim_starts) and victim_starts[i] <= end + after


_CLASS_AT = re.compile(
    r"(?i)(?<![\w-])(?:freshman|sophomore|junior|senior|\d{1,2}(?:st|nd|rd"
    r"|th)[ \t]{1,3}grader?)[ \t]{1,3}(?:at|in)"
    r"[ \t]{1,3}(?-i:[A-Z][\w'’-]{1,30}(?:[ \t]{1,3}[A-Z][\w'’-]{1,30}){0,2})"
)


def _find_schools_and_work(text: str, low: str, victim_starts: list[int]):
    # "a sophomore at Riverside" pins a child down whoever the sentence is about.
    school_anchors = _anchors(_SCHOOL_FINDER, low, _CLASS_AT, _SCHOOL, before=_SCHOOL_BEFORE)
    for m in _near(_CLASS_AT, text, school_anchors, _SCHOOL_BEFORE):
        yield "school", m.start(), m.end()
    for m in _near(_SCHOOL, text, school_anchors, _SCHOOL_BEFORE):
        if _near_victim(victim_starts, m.start(), m.end()):
            yield "school", m.start(), m.end()
    for m in _near(_WORKPLACE_LC, low, _anchors(_WORKPLACE_FINDER, low, _WORKPLACE_LC), 0):
        words = m.group("place").lower().split()
        if words[0] in _GENERIC_PLACES:
            continue
        if _near_victim(victim_starts, m.start(), m.end()):
            yield "workplace", m.start(), m.end()


def _find_lodging(text: str, low: str, victim_starts: list[int]):
    lodging = _anchors(_LODGING_FINDER, low, _LODGING, before=_LODGING_BEFORE)
    pattern = _LODGING_WITHOUT[any(word in text for word in _LODGING_NAMED_WORDS), "motel" in low]
    for m in _near(pattern, text, lodging, _LODGING_BEFORE):
        lo, hi = max(0, m.start() - 80), min(len(text), m.end() + 60)
        if _keyword_found(_MEETING_WORD_LC, low, lo, hi):
            continue
        if (
            m.group("room") is not None
            and not _keyword_found(_LODGING_WORD_LC, low, lo, hi)
            and not _near_victim(victim_starts, m.start(), m.end())
        ):
            continue
        if (
            m.group("room") is None
            and not _near_victim(victim_starts, m.start(), m.end())
            and not (_keyword_found(_LODGING_WORD_LC, low, lo, m.start()))
        ):
            continue
        yield "lodging", m.start(), m.end()


def _find_nicknames(text: str, low: str):
    for m in _keyword_matches(_NICKNAME, low, text=text):
        # Split, not only stripped: a "nickname" of tabs or line breaks is none.
        words = m.group("nick").strip("\"“”'‘’ ").split()
        if not words or words[0].lower() in _NICK_STOP:
            continue
        yield "nickname", m.start("nick"), m.end("nick")


def _find_handles(text: str, low: str, allowed_handles: frozenset[str], *, mentions: bool = False):
    """Social-media profile links, ``@handles`` and handles after a platform's name.

    With ``mentions`` the text is a discussion post, where ``@word`` is how
    members mention each other: a bare ``@handle`` is then reported only
    after a platform's name ("IG @lily_xo09"), like a handle without an @.
    """
    for m in _near(_SOCIAL_URL_LC, low, _literal_anchors(low, _SOCIAL_URL_ENDS), _SOCIAL_URL_BEFORE):
        yield "social_handle", m.start(), m.end()
    if not mentions:
        for m in _HANDLE.finditer(text):
            if m.start() > 0 and _HANDLE_BEFORE.match(text, m.start() - 1):
                continue
            if m.group("handle").lower() in allowed_handles:
                continue
            yield "social_handle", m.start(), m.end()
    for m in _keyword_matches(_SOCIAL_WORD_LC, low):
        start, end = m.span("handle")
        handle = text[start:end]
        bare = handle.lstrip("@").lower()
        if bare in allowed_handles or bare in _HANDLE_STOP or not re.search(r"[a-z]", bare):
            continue
        # A handle is a made-up word: digits, underscores, dots or mixed case.
        if not handle.startswith("@") and not re.search(r"[\d_.$]|[a-z][A-Z]", handle):
            continue
        yield "social_handle", start, end


_HANDLE_BEFORE = re.compile(r"[\w@.+-]")


def _find_id_numbers(text: str, low: str):
    for m in _near(_A_NUMBER, text, _anchors(_A_NUMBER_START, text, _A_NUMBER), 0):
        yield "immigration_number", m.start(), m.end()
    for kw in _keyword_matches(_ID_KEYWORD_LC, low):
        value = _ID_VALUE.match(text, kw.end())
        if not value:
            continue
        ident = value.group("id").strip()
        digits = sum(map(str.isdigit, ident))
        if digits < 5 or _YEARISH.fullmatch(ident):
            continue
        yield kw.lastgroup, value.start("id"), value.end("id")


def _find_intl_phones(text: str):
    import phonenumbers

    calls = 0
    asked: dict[str, bool] = {}
    for m in _INTL_PHONE.finditer(text):
        calls += 1
        if calls > _MAX_LIBRARY_CALLS:
            # Past the budget, a number written like a phone number is reported as one.
            yield "phone", m.start(), m.end()
            continue
        candidate = m.group()
        possible = asked.get(candidate)
        if possible is None:
            try:
                possible = phonenumbers.is_possible_number(phonenumbers.parse(candidate, None))
            except phonenumbers.NumberParseException:
                possible = False
            asked[candidate] = possible
        if possible:
            yield "phone", m.start(), m.end()


def _find_worded_phones(text: str, low: str):
    """Numbers written after "cell", "WhatsApp", "phone": foreign numbers rarely look like ours."""
    for start, end in _judged(_PHONE_WORD_DIGITS_LC, low, _worded_phone, before=21):
        yield "phone", start, end


def _worded_phone(m: re.Match, low: str) -> tuple[int, int] | None:
    number = m.group("num")
    if not 8 <= sum(map(str.isdigit, number)) <= 15 or _YEARISH.fullmatch(number):
        return None
    if _keyword_found(_CASE_KEYWORD_LC, low, max(0, m.start() - 20), m.start() + 1):
        return None  # "case number 1234 5678"
    return m.span("num")


def _normalise_name(name: str) -> str:
    # Middle initials are optional when people write names, so "Maria E.
    # Lopez" and "Maria Lopez" compare equal.
    words = name.replace("’", "'").casefold().split()
    return " ".join(w for w in words if not re.fullmatch(r"\w\.?", w))


# --- Text as it is read ------------------------------------------------------

# Markdown structure a reader never sees. Each is replaced by as many spaces
# (or a comma, where it separates items) so offsets in the rendered text are
# offsets in what the member wrote.
_MARKUP = bytes.maketrans(b"*`~\\[]|\n\r", b"      ,  ")
_LINE_START = re.compile(
    r"(?m)^[ \t]{0,12}(?:>[ \t]{0,3}){0,5}(?:#{1,6}[ \t]+|(?:[-*+]|\d{1,3}[.)])[ \t]+(?:\[[ xX]\][ \t]+)?)"
)
# "_" first in both branches so the engine skips straight to underscores:
# the same matches as (?<![A-Za-z0-9])_+|_+(?![A-Za-z0-9]).
_UNDERSCORE = re.compile(r"_(?<![A-Za-z0-9]_)_*|_+(?![A-Za-z0-9])")
_HTML_TAG = re.compile(r"</?[A-Za-z][^<>\n]{0,40}>")


def _blank(m: re.Match) -> str:
    return " " * len(m.group())


def _item(m: re.Match) -> str:
    return "," + " " * (len(m.group()) - 1)


_DIGIT = re.compile(r"\d")
_VICTIM_GATE = (
    "victim minor surviv juvenil child girl boy complain teen youth kid client witness daughter "
    "son mother mom mum father dad sister brother aunt uncle cousin grand niece nephew friend baby "
    "infant toddler student runaway named initials step parent guardian caregiver sibling twin "
    "relative fianc wife husband year"
).split()
_SOCIAL_GATE = (
    "insta snap tiktok tik twitter kik facebook whatsapp telegram onlyfans discord handle "
    "user account profile gamertag cash venmo .com/ .me/ .ee/"
).split()
_SHORT_SOCIAL = re.compile(r"\b(?:ig|fb|sc)\b")
_NICK_GATE = (
    "ad advert listing post escort goes went known aka a.k.a nick street working called under name".split()
)
_LODGING_GATE = "motel inn hotel lodge suite room rm unit".split()
_SCHOOL_GATE = (
    "high middle elementary junior intermediate charter prep academy grade freshman sophomore "
    "senior work job shift clean danc"
).split()
_AGE_GATE = "year yr yo y/o y.o age".split()
# Words one of which every match of a keyword pattern holds (over the
# lower-cased text), so a text without any skips that pattern's pass.
_CASE_GATE = "report case incident complaint docket file cause cad arrest booking warrant citation".split()
_PLATE_GATE = "licen plate tag vehicle car truck van suv lp registration".split()
_LIVES_GATE = "liv stay resid address house home".split()


# Past this many candidates of one kind the text is held for review anyway
# (the writer sees the first ones, enough to know what to remove); stopping
# there bounds the work a hostile text can cause. Email addresses cost almost
# nothing each and a directory pasted into a post lists them all.
_MAX_PER_DETECTOR = 200
_MAX_EMAILS = 500


def _capped(found, limit=_MAX_PER_DETECTOR):
    return itertools.islice(found, limit)


# Keyword patterns run over an ASCII-lowered copy of the text (same length, so
# the same offsets): Python's engine matches a case-sensitive alternation
# several times faster than a case-insensitive one.


def _ascii_lower(text: str) -> str:
    # bytes.lower() changes only ASCII letters, and in UTF-8 every byte of a
    # non-ASCII character is above 127, so the result has the same
    # characters at the same offsets; str.translate is many times slower on
    # text that holds any non-ASCII character.
    low = text.encode("utf-8", "surrogatepass").lower().decode("utf-8", "surrogatepass")
    if not low.isascii():
        for char, folded in _FOLDS:
            if char in low:
                low = low.replace(char, folded)
    return low


# Non-ASCII characters a case-insensitive pattern matches as an ASCII letter.
# Folded into the lower-cased copy, patterns over it read the text like
# (?i) patterns over the original.
_FOLDS = (("\u0130", "i"), ("\u0131", "i"), ("\u212a", "k"), ("\u017f", "s"))


def _near(pattern: re.Pattern, text: str, anchors: list[int] | None, before: int):
    """``pattern.finditer(text)``, run only near ``anchors`` (sorted offsets).

    Every match of ``pattern`` must hold an anchor starting at most
    ``before`` characters after the match starts. Each stretch that can hold
    a match start is scanned with room for the longest match past its end,
    and matches starting past it are dropped, so what is found, and in what
    order, is what a scan of the whole text finds, while a long text with
    few anchors costs little more than finding them. ``anchors`` is None
    when they were too many to be worth collecting (see ``_anchors``).
    """
    reach = _REACH[pattern]
    if anchors is None or len(anchors) * (before + reach) >= len(text):
        yield from pattern.finditer(text)  # anchors everywhere: one pass is cheaper
        return
    # Stretches are merged as they are scanned, so a detector that stops at
    # the cap of findings stops here too.
    windows = _merged((anchor - before if anchor > before else 0, anchor + 1 + reach) for anchor in anchors)
    # What a window holds depends only on its text and the few characters
    # before it that look-behinds read, so in a text that repeats itself each
    # kind of window is scanned once; later ones only re-match what it found.
    behind = _BEHIND[pattern]
    seen: dict[tuple[str, int, int], list[int]] = {}
    for lo, hi in windows:
        hi -= reach
        around = lo - behind if lo > behind else 0
        key = (text[around : hi + reach], lo - around, hi - lo)
        starts = seen.get(key)
        if starts is not None:
            for start in starts:
                yield pattern.match(text, lo + start, hi + reach)
            continue
        found = []
        for m in pattern.finditer(text, lo, hi + reach):
            if m.start() >= hi:
                break
            found.append(m.start() - lo)
            yield m
        seen[key] = found


def _behind(pattern: re.Pattern) -> int:
    """How many characters before a position the pattern's look-behinds and \\b may read."""

    def walk(items) -> int:
        most = 0
        for op, av in items:
            if op in (_re_constants.ASSERT, _re_constants.ASSERT_NOT) and av[0] < 0:
                most = max(most, av[1].getwidth()[1] + walk(av[1]))
            elif op is _re_constants.AT:
                most = max(most, 1)
            for part in av if isinstance(av, (list, tuple)) else (av,):
                for sub in part if isinstance(part, (list, tuple)) else (part,):
                    if isinstance(sub, re._parser.SubPattern):
                        most = max(most, walk(sub))
        return most

    return walk(re._parser.parse(pattern.pattern, pattern.flags))


def _anchors(finder: re.Pattern, low: str, *near: re.Pattern, before: int = 0) -> list[int] | None:
    """Where ``finder`` matches, or None when there are so many that each of
    the ``near`` patterns would scan the whole text anyway (see ``_near``)."""
    if near:
        limit = len(low) // (before + min(_REACH[pattern] for pattern in near))
        matches = _keyword_matches(finder, low) if finder in _WORDS else finder.finditer(low)
        anchors = [m.start() for m in itertools.islice(matches, limit + 1)]
        return None if len(anchors) > limit else anchors
    matches = _keyword_matches(finder, low) if finder in _WORDS else finder.finditer(low)
    return [m.start() for m in matches]


def _literal_anchors(low: str, literals) -> list[int]:
    found = []
    for literal in literals:
        i = low.find(literal)
        while i != -1:
            found.append(i)
            i = low.find(literal, i + 1)
    found.sort()
    return found


# The longest run of non-space characters of each keyword word: every
# occurrence of the word holds it inside one piece of ``str.split()``.
_PIECE: dict[str, str] = {}
_pieces_cache: tuple[str, str | None] = ("", None)


def _distinct_pieces(low: str) -> str | None:
    """The distinct pieces of ``low.split()`` joined by NULs, for texts long enough to be worth it.

    Remembered for the last text asked about: the detectors of one scan
    all ask about the same lower-cased copy.
    """
    global _pieces_cache
    cached_low, cached = _pieces_cache
    if cached_low is low:
        return cached
    if len(low) < 4096:
        return None
    pieces = "\x00".join(set(low.split()))
    # Many distinct pieces (text that hardly repeats itself) save nothing.
    joined = pieces if len(pieces) < len(low) // 4 else None
    _pieces_cache = (low, joined)
    return joined


def _forget_pieces() -> None:
    """Drop the remembered text once a scan is over: a member's words are
    not kept in the process's memory after the guard has read them."""
    global _pieces_cache
    _pieces_cache = ("", None)


def _word_starts(low: str, words, limit: int) -> list[int] | None:
    """Sorted offsets where a match of a pattern whose words are ``words`` may start.

    Each entry of ``words`` is a string every match holding it starts with,
    or a tuple of such a string and how many characters before it a match
    may start ("a number" starts two before "number"). ``str.find`` reads
    100 KB in a few hundredths of a millisecond, a regular expression tried
    at every offset in a few milliseconds. None past ``limit`` offsets.
    """
    entries = [(entry, (0,)) if isinstance(entry, str) else (entry[0], entry[1:]) for entry in words]
    # Counting (in C) first spares collecting offsets that would be thrown away.
    # A word absent from the distinct whitespace-separated pieces of the text is
    # absent from the text, and those pieces are far shorter than the text.
    pieces = _distinct_pieces(low)
    counts = [
        low.count(literal) if pieces is None or _PIECE[literal] in pieces else 0 for literal, _ in entries
    ]
    if sum(count * len(before) for count, (_, before) in zip(counts, entries, strict=True)) > limit:
        return None
    found: list[int] = []
    for count, (literal, before) in zip(counts, entries, strict=True):
        if not count:
            continue
        i = low.find(literal)
        while i != -1:
            if before == (0,):
                found.append(i)
            else:
                found.extend(i - back for back in before if back <= i)
            i = low.find(literal, i + 1)
    found.sort()
    return found


def _keyword_search(pattern: re.Pattern, s: str, lo: int, hi: int):
    """``pattern.search(s, lo, hi)``, tried only where one of its words starts (see ``_WORDS``).

    For the short windows around a candidate, where a search tries every
    offset of the window and ``str.find`` a few words.
    """
    starts = []
    for literal, before in _ENTRIES[pattern]:
        i = s.find(literal, lo, hi)
        while i != -1:
            starts.extend(i - back for back in before if i - back >= lo)
            i = s.find(literal, i + 1, hi)
    for i in sorted(starts):
        m = pattern.match(s, i, hi)
        if m is not None:
            return m
    return None


# Answers of _keyword_found in the scan under way (see scan): a text that
# repeats itself asks about the same window text many times.
_window_answers: contextvars.ContextVar[dict | None] = contextvars.ContextVar("window_answers", default=None)


def _keyword_found(pattern: re.Pattern, s: str, lo: int, hi: int) -> bool:
    """Whether ``pattern.search(s, lo, hi)`` finds anything, asked once per window text in a scan.

    What the search finds depends only on the window and the one character
    before it (its look-behinds look one character back).
    """
    answers = _window_answers.get()
    if answers is None:
        return _keyword_search(pattern, s, lo, hi) is not None
    key = (pattern, lo == 0, s[lo - 1 if lo else 0 : hi])
    found = answers.get(key)
    if found is None:
        found = answers[key] = _keyword_search(pattern, s, lo, hi) is not None
    return found


def _holds_any(low: str, lo: int, hi: int, words) -> bool:
    return any(low.find(word, lo, hi) != -1 for word in words)


def _keyword_matches(pattern: re.Pattern, low: str, limit: int | None = None, text: str | None = None):
    """``pattern.finditer(low)``, tried only where one of its words starts (see ``_WORDS``).

    Every match starts at one of those offsets, and they are tried in
    order from the end of the last match, so what is found is what a scan
    of every offset finds. A text dense with the words gets that scan.
    With ``text``, the words are looked for in ``low`` and the pattern is
    matched against ``text`` (for case-insensitive patterns over the text).
    """
    s = low if text is None else text
    # Past one offset in twelve, trying each from Python costs more than the scan.
    starts = _word_starts(low, _WORDS[pattern], len(low) // 12 if limit is None else limit)
    if starts is None:
        yield from pattern.finditer(s)
        return
    yield from _matches_at(pattern, s, starts)


def _matches_at(pattern: re.Pattern, low: str, starts: list[int]):
    end = 0
    for i in starts:
        if i < end:
            continue
        m = pattern.match(low, i)
        if m is not None:
            yield m
            end = m.end()


def _judged(pattern: re.Pattern, low: str, judge, *, before: int):
    """The spans ``judge(m, low)`` reports for the matches of ``_keyword_matches(pattern, low)``.

    ``judge`` returns a span or None, and reads at most ``before``
    characters before a match and nothing after what the match read. What
    a match and its judgement are then depends only on the characters from
    there to the pattern's reach, so in a text that repeats itself each
    kind of match is matched and judged once, and later ones are looked up.
    """
    starts = _word_starts(low, _WORDS[pattern], len(low) // 12)
    if starts is None:
        for m in pattern.finditer(low):
            span = judge(m, low)
            if span is not None:
                yield span
        return
    reach = _REACH[pattern]
    verdicts: dict[tuple[str, int], tuple[int | None, tuple[int, int] | None]] = {}
    end = 0
    for i in starts:
        if i < end:
            continue
        lo = i - before if i > before else 0
        key = (low[lo : i + reach], i - lo)
        verdict = verdicts.get(key)
        if verdict is None:
            m = pattern.match(low, i)
            span = None if m is None else judge(m, low)
            verdict = verdicts[key] = (
                None if m is None else m.end() - i,
                None if span is None else (span[0] - i, span[1] - i),
            )
        length, span = verdict
        if length is None:
            continue
        end = i + length
        if span is not None:
            yield span[0] + i, span[1] + i


def _reach(pattern: re.Pattern) -> int:
    # The longest text one attempt of the pattern reads: its longest match
    # plus room for the look-aheads after it.
    longest = re._parser.parse(pattern.pattern, pattern.flags).getwidth()[1]
    assert longest < 10_000, pattern.pattern
    return longest + 16


def _lower_case(pattern: re.Pattern) -> re.Pattern:
    source = pattern.pattern
    assert source.startswith("(?i)")
    return re.compile(source[len("(?i)") :])


_CASE_KEYWORD_LC = _lower_case(_CASE_KEYWORD)
_BIRTH_LC = _lower_case(_BIRTH)
_PLATE_KEYWORD_LC = _lower_case(_PLATE_KEYWORD)
_LIVES_AT_LC = _lower_case(_LIVES_AT)
_VICTIM_WORD_LC = _lower_case(_VICTIM_WORD)


# A victim word not followed by a role word (after spaces and a dash, the word
# that follows, up to 31 characters, is not one of ``_ROLE_WORDS``).
def _trie(words) -> str:
    """An alternation matching exactly ``words``, written as a trie.

    At each character only the branches that share it go on, where a plain
    alternation tries every word in turn. Only for a look-ahead, which asks
    whether any word matches, not which one matches first.
    """
    tree: dict = {}
    for word in words:
        node = tree
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}

    def emit(node: dict) -> str:
        branches = [re.escape(char) + emit(child) for char, child in sorted(node.items()) if char]
        if not branches:
            return ""
        body = "(?:" + "|".join(branches) + ")"
        return body + "?" if "" in node else body

    return emit(tree)


_VICTIM_CONTEXT_LC = re.compile(
    _VICTIM_WORD_LC.pattern + r"(?![ \t]{0,5}(?:[-–][ \t]{0,3})?" + _trie(_ROLE_WORDS) + r"(?![\w-]))"
)
_AGE_LC = _lower_case(_AGE)
_WORKPLACE_LC = _lower_case(_WORKPLACE)
_SOCIAL_URL_LC = _lower_case(_SOCIAL_URL)
_ID_KEYWORD_LC = _lower_case(_ID_KEYWORD)
_PHONE_WORD_DIGITS_LC = _lower_case(_PHONE_WORD_DIGITS)
_SOCIAL_WORD_LC = _lower_case(_SOCIAL_WORD)
_ADDRESS_LOWER_LC = _lower_case(_ADDRESS_LOWER)
_PHONE_CONTEXT_LC = _lower_case(_PHONE_CONTEXT)
_SSN_CONTEXT_LC = _lower_case(_SSN_CONTEXT)
_ORG_ADDRESS_LC = _lower_case(_ORG_ADDRESS)
_YEAR_PREPOSITION_LC = _lower_case(_YEAR_PREPOSITION)
_LODGING_NEAR_LC = _lower_case(_LODGING_NEAR)
_MEETING_WORD_LC = _lower_case(_MEETING_WORD)
_LODGING_WORD_LC = _lower_case(_LODGING_WORD)

# Anchors over the lower-cased text, each a word every match of a pattern
# holds (see _near); the number is how far into a match the anchor may start.
_STREET_FINDER = re.compile(
    r"[ \t](?:street|st|avenue|ave|av|road|rd|boulevard|blvd|drive|dr|lane|ln|court|ct"
    r"|place|pl|way|terrace|ter|parkway|pkwy|highway|hwy|circle|cir|trail|trl"
    r"|square|sq|loop|pike|alley|plaza|plz|expressway|expy|freeway|fwy)\b"
)
_STREET_BEFORE = 130
_LODGING_FINDER = re.compile(
    r"(?<![\w-])(?:room|rm\.?|rooms|suite|unit)[ \t]{0,3}#?[ \t]{0,2}\d"
    r"|(?<=[ \t])(?:motel|inn|hotel|lodge|suites)(?![\w])|motel[ \t]{1,3}\d"
)
_LODGING_BEFORE = 80
_NICKNAME_FINDER = re.compile(
    r"(?<![\w-])(?:ad|advert|listing|post|escort|goes|went|known|aka|a\.k\.a|nickname|street"
    r"|working|called|calls|under|profile|screen|stage)"
)
_SCHOOL_FINDER = re.compile(
    r"high|middle|elementary|junior|intermediate|charter|prep|academy|grade|freshman|sophomore|senior"
)
_SCHOOL_BEFORE = 110
_WORKPLACE_FINDER = re.compile(r"(?<![\w-])(?:work|employed|job|shift|clean|danc)")
_AGE_FINDER = re.compile(r"year|yr|yo|y/o|y\.o|(?<![\w-])age")
_AGE_BEFORE = 16
_DIGIT_RUN = re.compile(r"\d{3,}")
# A match starts at most this far before its first run of three digits: "+1 (555", "AB-12-345".
_RUN_BEFORE = 12
# The words every match of a keyword pattern starts with (see _word_starts):
# a prefix of each alternative of the pattern's leading alternation.
_WORDS: dict[re.Pattern, tuple] = {
    _VICTIM_CONTEXT_LC: (
        *"""victim minor survivor juvenile child girl boy complainant teen youth kid client
        witness daughter son mother mom mum father dad sister brother aunt uncle cousin grand
        niece nephew baby infant toddler student runaway named nicknamed initials step parent
        guardian caregiver sibling twin relative fianc wife husband""".split(),
        ("year", 2, 3),  # "5-year-old", "15 years old"
    ),
    _CASE_KEYWORD_LC: tuple(
        "police ca report incident complaint docket file arrest booking warrant citation".split()
    ),
    _PLATE_KEYWORD_LC: tuple("licen plate tag vehicle car truck van suv lp registration".split()),
    _BIRTH_LC: ("dob", "d.", "date", "birth", "born", "age"),
    _LIVES_AT_LC: ("liv", "stay", "resid", "address", "house", "home"),
    _ID_KEYWORD_LC: (
        ("number", 1, 2),  # "a number", "a-number", "anumber"
        ("no", 1, 2),
        ("#", 1, 2),
        *"""alien uscis a-file pas medi chip mrn chart patient health member insurance ncmec
        cyber ct""".split(),
    ),
    _SOCIAL_WORD_LC: tuple(
        """insta ig snap sc tik twitter kik facebook fb whatsapp telegram onlyfans discord
        handle user account profile gamertag cash venmo""".split()
    ),
    _PHONE_WORD_DIGITS_LC: tuple("phone cel tel mobile whats wa signal text call number".split()),
    _SHORT_SOCIAL: ("ig", "fb", "sc"),
    _LODGING_FINDER: ("room", "rm", "suite", "unit", "motel", "inn", "hotel", "lodge"),
    _NICKNAME_FINDER: tuple(
        """ad listing post escort goes went known aka a.k.a nickname street working call under
        profile screen stage""".split()
    ),
    _SCHOOL_FINDER: tuple(
        """high middle elementary junior intermediate charter prep academy grade freshman
        sophomore senior""".split()
    ),
    _WORKPLACE_FINDER: ("work", "employed", "job", "shift", "clean", "danc"),
    _AGE_FINDER: ("year", "yr", "yo", "y/o", "y.o", "age"),
}
# Patterns searched in short windows (_keyword_search).
_WORDS.update(
    {
        # Over the text (the pattern is case-insensitive there), words found in the lower-cased copy.
        _NICKNAME: _WORDS[_NICKNAME_FINDER],
        _WORKPLACE_LC: _WORDS[_WORKPLACE_FINDER],
        _LODGING_NEAR_LC: ("motel", "hotel", "inn", "room", "shelter", "apartment", "trailer"),
        _PLACE_FROM: ("from", "in", "at", "of"),  # over the text itself: the words are lower case there too
        _MEETING_WORD_LC: tuple(
            """train meet conference session webinar workshop summit breakout presentation regist
            class course lunch agenda panel keynote booth board court""".split()
        ),
        _LODGING_WORD_LC: tuple(
            """motel hotel inn lodge suites extended stay kept held rented booked liv sleeping slept
            brought taken recovered found""".split()
        ),
        _PHONE_CONTEXT_LC: ("ph", "cell", "call", "text", "tel", "mobile", "number", "contact"),
        _SSN_CONTEXT_LC: ("ss", "social"),
        _ORG_ADDRESS_LC: tuple(
            """office headquarters hq courthouse meeting training conference venue building mail
            agency department center centre clinic""".split()
        ),
    }
)
_ENTRIES = {
    pattern: tuple((entry, (0,)) if isinstance(entry, str) else (entry[0], entry[1:]) for entry in words)
    for pattern, words in _WORDS.items()
}
_PIECE.update(
    (literal, max(literal.split(), key=len, default=""))
    for entries in _ENTRIES.values()
    for literal, _ in entries
)
assert not any("\x00" in piece for piece in _PIECE.values())
# Every _SCHOOL match holds one of these (in the lower-cased text).
_SCHOOL_WORDS = _WORDS[_SCHOOL_FINDER]
# Every social-media link holds one of these, at most this far from its start
# ("https://www.instagram.com/").
_SOCIAL_URL_ENDS = (".com/", ".me/", ".ee/", ".net/")
_SOCIAL_URL_BEFORE = 21
_REACH = {
    pattern: _reach(pattern)
    for pattern in (
        _PHONE,
        _PHONE_LOCAL,
        _SSN,
        _SSN_BARE,
        _CASE_STANDALONE,
        _A_NUMBER,
        _ADDRESS,
        _ADDRESS_LOWER_LC,
        *_LODGING_WITHOUT.values(),
        _NICKNAME,
        _SCHOOL,
        _CLASS_AT,
        _WORKPLACE_LC,
        _AGE_LC,
        _SOCIAL_URL_LC,
        _PHONE_WORD_DIGITS_LC,
    )
}
_BEHIND = {pattern: _behind(pattern) for pattern in _REACH}


def _gate(low: str, words) -> bool:
    # Gate words hold no space, so each occurrence lies inside one piece.
    pieces = _distinct_pieces(low)
    return any(word in (low if pieces is None else pieces) for word in words)


def render_for_scan(text: str) -> str:
    """``text`` as a reader sees it: Markdown emphasis, list bullets, table bars,
    quote marks, headings and line breaks become spaces or commas.

    The result has the same length as ``text``, so a finding's offsets point
    into what the member wrote. Bold names, names in a list or a table, and a
    name broken over two lines are then scanned like a name in a sentence.
    """
    text = _LINE_START.sub(_item, text)
    if "<" in text:
        text = _HTML_TAG.sub(_blank, text)
    if "_" in text:
        text = _UNDERSCORE.sub(_blank, text)
    # Every character the table changes is ASCII and becomes one ASCII
    # character, so translating the UTF-8 bytes keeps offsets (and is fast).
    return text.encode("utf-8", "surrogatepass").translate(_MARKUP).decode("utf-8", "surrogatepass")


def scan(
    text: str,
    *,
    allowed_emails: Callable[[str], bool] | None = None,
    allowed_names: Iterable[str] = (),
    allowed_handles: Iterable[str] = (),
    mentions: bool = False,
) -> list[Finding]:
    """Return likely identifying details of a victim found in ``text``.

    ``allowed_emails`` is called with each email address found; return True
    for addresses that may be posted (the writer's own address). Without it
    every email address is reported. ``allowed_names`` lists people who may
    be named (the writer); they are compared case-insensitively against
    detected names. ``allowed_handles`` lists @handles that are members'
    forum handles rather than social-media accounts. With ``mentions`` the
    text is a discussion post, where ``@word`` mentions a member: a bare
    ``@handle`` is then reported only after a platform's name.

    The text is scanned as it is read (see :func:`render_for_scan`), and
    findings carry offsets and text from ``text`` itself.

    Findings are sorted by ``start``; overlapping candidates are reduced to
    the most specific one (for example an email address wins over the phone
    number that forms its local part).
    """
    if not text:
        return []
    answers = _window_answers.set({})
    try:
        return _scan(
            text,
            allowed_emails=allowed_emails,
            allowed_names=allowed_names,
            allowed_handles=allowed_handles,
            mentions=mentions,
        )
    finally:
        _window_answers.reset(answers)
        _forget_pieces()


def _scan(
    text: str,
    *,
    allowed_emails: Callable[[str], bool] | None,
    allowed_names: Iterable[str],
    allowed_handles: Iterable[str],
    mentions: bool,
) -> list[Finding]:
    original = text
    text = render_for_scan(text)
    allowed = {_normalise_name(n) for n in allowed_names if n and n.strip()}
    handles = frozenset(h.lower().lstrip("@") for h in allowed_handles if h)
    # Each family of detectors runs only when the text holds what it needs
    # (a digit, an @, a keyword): a cheap test in C that spares most posts
    # most of the regular expressions.
    low = _ascii_lower(text)
    has_digit = _DIGIT.search(text) is not None
    public: list = []

    def reported(candidate) -> bool:
        # A public page's address, a case caption or a statute is no one's
        # detail, and the writer may name themselves; a link to a social-media
        # profile is a handle all the same.
        kind, start, end = candidate
        if kind == "named_person" and _normalise_name(text[start:end]) in allowed:
            return False
        if kind == "social_handle":
            return True
        if not public:
            regions = _public_regions(text)
            public.extend((regions, [start for start, _ in regions]))
        return not _overlaps_mask(public[0], public[1], start, end)

    def admitted(found, limit=_MAX_PER_DETECTOR):
        # The cap counts only what would be reported: 200 copies of the
        # writer's own name or of a public link must not push a victim's
        # name past it unseen.
        return _capped(filter(reported, found), limit)

    windows, victim_starts = _context_windows(text, low) if _gate(low, _VICTIM_GATE) else ([], [])
    candidates = [*admitted(_find_named_people(text, windows, victim_starts, low))]
    if "@" in text:
        candidates += admitted(_find_emails(text, allowed_emails), _MAX_EMAILS)
    if "@" in text or _gate(low, _SOCIAL_GATE) or next(_keyword_matches(_SHORT_SOCIAL, low), None):
        candidates += admitted(_find_handles(text, low, handles, mentions=mentions))
    if has_digit:
        # Where runs of three or more digits start: every phone number and SSN holds one.
        runs = _anchors(_DIGIT_RUN, text, _PHONE, _PHONE_LOCAL, _SSN, _SSN_BARE, before=_RUN_BEFORE)
        # Where street suffixes start: every address holds one.
        streets = _anchors(_STREET_FINDER, low, _ADDRESS, _ADDRESS_LOWER_LC, before=_STREET_BEFORE)
        candidates += [
            *admitted(_find_ssns(text, low, runs)),
            *admitted(_find_id_numbers(text, low)),
            *admitted(_find_phones(text, low, runs)),
            *admitted(_find_worded_phones(text, low)),
            *admitted(_find_birth_dates(text, low)),
            *admitted(_find_plates(text, low)),
            *admitted(_find_case_numbers(text, low)),
            *admitted(_find_addresses(text, low, streets)),
            *admitted(_find_lower_addresses(text, low, streets)),
        ]
        if "+" in text:
            candidates += admitted(_find_intl_phones(text))
    if _gate(low, _NICK_GATE):
        candidates += admitted(_find_nicknames(text, low))
    if _gate(low, _LODGING_GATE):
        candidates += admitted(_find_lodging(text, low, victim_starts))
    if _gate(low, _SCHOOL_GATE):
        candidates += admitted(_find_schools_and_work(text, low, victim_starts))
    if _gate(low, _AGE_GATE):
        candidates += admitted(_find_ages(text, low))
    if not candidates:
        return []

    candidates.sort(key=lambda c: (_PRIORITY[c[0]], -(c[2] - c[1]), c[1]))

    kept: list[tuple[int, int, str]] = []
    kept_starts: list[int] = []
    for kind, start, end in candidates:
        i = bisect.bisect_left(kept_starts, start)
        if i > 0 and kept[i - 1][1] > start:
            continue
        if i < len(kept) and kept[i][0] < end:
            continue
        kept.insert(i, (start, end, kind))
        kept_starts.insert(i, start)

    return [
        Finding(kind=kind, label=LABELS[kind], text=original[start:end], start=start, end=end)
        for start, end, kind in kept
    ]


def summarize(findings: Iterable[Finding]) -> list[dict[str, str]]:
    """Return JSON-serialisable ``{"kind", "label", "text"}`` dicts for templates.

    Repeats of the same text of the same kind are listed once, in the order
    they first appear, so the warning shown to the author stays short.
    """
    seen: set[tuple[str, str]] = set()
    summary: list[dict[str, str]] = []
    for finding in findings:
        key = (finding.kind, finding.text)
        if key in seen:
            continue
        seen.add(key)
        summary.append({"kind": finding.kind, "label": finding.label, "text": finding.text})
    return summary
