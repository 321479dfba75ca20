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
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

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
}

# When two findings overlap, the one whose kind comes first wins: a strict
# format (an email, an SSN) says more about the text than a context-driven
# guess (a capitalised name near "victim").
_PRIORITY = {
    kind: rank
    for rank, kind in enumerate(
        [
            "email",
            "ssn",
            "phone",
            "date_of_birth",
            "license_plate",
            "case_number",
            "street_address",
            "named_person",
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
_PHONE_LOCAL = re.compile(_NUM_BEFORE + r"[2-9]\d\d[-.]\d{4}" + _NUM_AFTER)
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
    r"|(?<![\w/.-])(?:19|20)\d\d-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])(?![\w/-]|[.,]\d)"
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
_ADDRESS = re.compile(
    r"(?<![\w$#@/.,:-])(?P<number>\d{1,6}(?:-?[A-Za-z])?)[ \t]{1,5}"
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

_VICTIM_WORD = re.compile(
    r"(?i)\b(?:victim|minor|survivor|juvenile|child|girl|boy|complainant|teen(?:ager)?"
    r"|youth|kid)(?:s'|s|'s|’s)?(?![\w-])"
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
    resource network networks coalition alliance office offices""".split()
)
_CONNECTORS = frozenset(
    """is was named name names called identified as known aka the her his their
    real full legal first last who goes by age aged years year old yo female
    male minor juvenile victim victims young teen teenage girl boy child ms mrs
    mr miss mx and""".split()
)
_HONORIFICS = frozenset({"ms", "mrs", "mr", "mx"})
_NAME_WORD = r"[A-ZÀ-ÖØ-Þ][A-Za-zÀ-ÖØ-öø-ÿ'’-]{0,30}[a-zß-öø-ÿ]"
_NAME = re.compile(
    rf"(?P<name>{_NAME_WORD}(?:[ \t]{{1,3}}(?:[A-Z]\.[ \t]{{1,3}})?{_NAME_WORD}){{1,2}})(?![\w'’-])"
)
_NAME_BEFORE = re.compile(
    rf"(?<![\w'’-])(?P<name>{_NAME_WORD}(?:[ \t]{{1,3}}(?:[A-Z]\.[ \t]{{1,3}})?{_NAME_WORD}){{1,2}})"
    r"[ \t]{0,5}(?:,[ \t]{0,5}(?:(?i:age)[ \t]{0,5})?\d{1,2}[ \t]{0,5})?[ \t]{0,5}[,(][ \t]{0,5}"
    r"(?:(?i:the|a|an|our|one|another)[ \t]{1,5})?(?:\d{1,2}-year-old[ \t]{1,5})?"
    r"(?:(?i:female|male|minor|juvenile|adult|teen|young)[ \t]{1,5})?$"
)
_TOKEN = re.compile(r"[ \t]{0,20}(?:(?P<word>[^\W_][\w'’-]{0,40})|(?P<punct>[,:;(\[\"“”'‘’-]))")
_BLANKS = re.compile(r"[ \t]{0,20}")
_AGE = re.compile(r"\d{1,2}(?:-years?-old)?")
_NAME_WINDOW_BEFORE = 90
_MAX_NAME_STEPS = 8
_MAX_NAMES_AFTER = 3

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
    spans = sorted(
        (m.start(), m.end()) for pattern in (_URL, _CAPTION, _STATUTE) for m in pattern.finditer(text)
    )
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


def _find_phones(text: str):
    for m in _PHONE.finditer(text):
        area = m.group("area1") or m.group("area2")
        if area in _TOLL_FREE:
            continue
        yield "phone", m.start(), m.end()
    for m in _PHONE_LOCAL.finditer(text):
        if _PHONE_CONTEXT.search(text, max(0, m.start() - 25), m.start()):
            yield "phone", m.start(), m.end()


def _find_ssns(text: str):
    for m in _SSN.finditer(text):
        yield "ssn", m.start(), m.end()
    for m in _SSN_BARE.finditer(text):
        if _SSN_CONTEXT.search(text, max(0, m.start() - 30), m.start()):
            yield "ssn", m.start(), m.end()


def _find_birth_dates(text: str):
    # A date on its own is usually a meeting or a court date; only dates with
    # a birth word close by are treated as dates of birth.
    for m in _DATE.finditer(text):
        if _BIRTH.search(text, max(0, m.start() - _BIRTH_WINDOW_BEFORE), m.start()) or (
            _BIRTH.search(text, m.end(), m.end() + _BIRTH_WINDOW_AFTER)
        ):
            yield "date_of_birth", m.start(), m.end()


def _find_addresses(text: str):
    for m in _ADDRESS.finditer(text):
        number = m.group("number")
        name_words = m.group("name").split()
        if re.fullmatch(r"(?:19|20)\d\d", number) and _YEAR_PREPOSITION.search(
            text, max(0, m.start() - 12), m.start()
        ):
            continue
        if m.group("suffix").lower() in {"court", "ct"} and any(
            w.lower() in _COURT_WORDS for w in name_words
        ):
            continue
        yield "street_address", m.start(), m.end()


def _find_case_numbers(text: str):
    for m in _CASE_STANDALONE.finditer(text):
        yield "case_number", m.start(), m.end()
    for kw in _CASE_KEYWORD.finditer(text):
        m = _CASE_ID.match(text, kw.end())
        if not m:
            continue
        ident = m.group("id")
        digits = sum(c.isdigit() for c in ident)
        if digits < 3 or (digits < 5 and not m.group("conn")):
            continue
        if _YEARISH.fullmatch(ident) or ident[:2].upper() == "FY" or _DATE.fullmatch(ident):
            continue
        yield "case_number", m.start("id"), m.end("id")


def _find_plates(text: str):
    for kw in _PLATE_KEYWORD.finditer(text):
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


def _trim_name(text: str, start: int, end: int) -> tuple[int, int] | None:
    """Drop leading titles ("Detective", "The") from a capitalised run.

    Returns the span of what is left if it still looks like a full name of two
    or three words, else None.
    """
    words = [(m.start(), m.end()) for m in re.finditer(r"\S+", text[start:end])]
    while words and text[start + words[0][0] : start + words[0][1]].lower().strip("'’.") in _NOT_NAME_WORDS:
        words.pop(0)
    real = [w for w in words if not re.fullmatch(r"[A-Z]\.", text[start + w[0] : start + w[1]])]
    if len(real) < 2:
        return None
    if any(text[start + w[0] : start + w[1]].lower().strip("'’") in _NOT_NAME_WORDS for w in real):
        return None
    return start + words[0][0], start + words[-1][1]


def _names_after(text: str, pos: int):
    """Walk forward over connector words ("'s name is", ", age 16,") to names."""
    found = 0
    for _ in range(_MAX_NAME_STEPS):
        pos = _BLANKS.match(text, pos).end()
        name = _NAME.match(text, pos)
        if name:
            span = _trim_name(text, name.start("name"), name.end("name"))
            if span:
                yield ("named_person", *span)
                found += 1
                if found >= _MAX_NAMES_AFTER:
                    return
                pos = name.end()
                continue
        token = _TOKEN.match(text, pos)
        if not token:
            return
        word = token.group("word")
        pos = token.end()
        if word is None:
            continue
        lowered = word.lower()
        if lowered not in _CONNECTORS and not _AGE.fullmatch(lowered):
            return
        if lowered in _HONORIFICS and text.startswith(".", pos):
            pos += 1


def _find_named_people(text: str):
    for kw in _VICTIM_WORD.finditer(text):
        following = _TOKEN.match(text, kw.end())
        if following and (following.group("word") or "").lower() in _ROLE_WORDS:
            continue
        yield from _names_after(text, kw.end())
        window_start = max(0, kw.start() - _NAME_WINDOW_BEFORE)
        before = _NAME_BEFORE.search(text, window_start, kw.start())
        if before:
            span = _trim_name(text, before.start("name"), before.end("name"))
            if span:
                yield ("named_person", *span)


def _normalise_name(name: str) -> str:
    # Middle initials are optional when people write names, so "Maria E.
    # Lopez" and "Maria Lopez" compare equal.
    words = name.replace("’", "'").casefold().split()
    return " ".join(w for w in words if not re.fullmatch(r"\w\.?", w))


def scan(
    text: str,
    *,
    allowed_emails: Callable[[str], bool] | None = None,
    allowed_names: Iterable[str] = (),
) -> list[Finding]:
    """Return likely identifying details of a victim found in ``text``.

    ``allowed_emails`` is called with each email address found; return True
    for addresses that may be posted (typically members' own addresses).
    Without it every email address is reported. ``allowed_names`` lists
    people who may be named (members of the forum); they are compared
    case-insensitively against detected names.

    Findings are sorted by ``start``; overlapping candidates are reduced to
    the most specific one (for example an email address wins over the phone
    number that forms its local part).
    """
    if not text:
        return []
    allowed = {_normalise_name(n) for n in allowed_names if n and n.strip()}
    candidates = [
        *_find_emails(text, allowed_emails),
        *_find_ssns(text),
        *_find_phones(text),
        *_find_birth_dates(text),
        *_find_plates(text),
        *_find_case_numbers(text),
        *_find_addresses(text),
        *_find_named_people(text),
    ]
    if not candidates:
        return []

    mask = _public_regions(text)
    mask_starts = [start for start, _ in mask]
    candidates.sort(key=lambda c: (_PRIORITY[c[0]], -(c[2] - c[1]), c[1]))

    kept: list[tuple[int, int, str]] = []
    kept_starts: list[int] = []
    for kind, start, end in candidates:
        if _overlaps_mask(mask, mask_starts, start, end):
            continue
        if kind == "named_person" and _normalise_name(text[start:end]) in allowed:
            continue
        i = bisect.bisect_left(kept_starts, start)
        if i > 0 and kept[i - 1][1] > start:
            continue
        if i < len(kept) and kept[i][0] < end:
            continue
        kept.insert(i, (start, end, kind))
        kept_starts.insert(i, start)

    return [
        Finding(kind=kind, label=LABELS[kind], text=text[start:end], start=start, end=end)
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
