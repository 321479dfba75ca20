"""Benchmark: the privacy guard on 100 KB texts, hostile and ordinary, against a bare regex pass, same run.

For each input it prints the median of ``--repeat`` scans and, as the floor
measured in the same run, one pass of a single simple regular expression
(``\\w+``) over the same text: the cheapest thing any scan of every
character costs. Inputs are 100,000 characters: repeated fragments built to
make a detector work hard (digits, victim words, names, addresses, ages,
rooms, handles, bullets, tables) and ordinary practice talk.

    .venv/bin/python bench/privacy.py --repeat 5
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from connect.privacy import scan  # noqa: E402

SIZE = 100_000
ORDINARY = (
    "The Cook County Human Trafficking Task Force meets on Tuesday with victim services. "
    "Charged under 18 U.S.C. § 1591; see United States v. Kozminski. Call 1-888-373-7888. "
)
INPUTS = {
    "ordinary practice talk": ORDINARY,
    "identifying prose": (
        "Our client Luz Ochoa, 15, from Belle Glade works at the packing house; DOB 01/02/2009. "
    ),
    "digits": "1",
    "capital letters": "A ",
    "victim words": "victim ",
    "victim + connectors": "victim the ",
    "victim + names": "victim Maria Lopez ",
    "spaced digits": "12 ",
    "plus-digit runs": "+1 2 ",
    "lower-case addresses": "12 main st ",
    "ages + places": "15-year-old from Houston ",
    "motel rooms": "motel room 12 ",
    "handles": "ig a_1 ",
    "markdown bullets": "- x\n",
    "markdown tables": "| a |",
}
FLOOR = re.compile(r"\w+")


def _median_ms(fn, repeat):
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    scan("warm up: the victim, Maria, 555-0147")  # loads the first-name list once
    print(f"{'input (100 KB)':26s} {'scan ms':>9s} {'floor ms':>9s} {'ratio':>7s} {'findings':>9s}")
    worst = 0.0
    for name, fragment in INPUTS.items():
        text = (fragment * (SIZE // len(fragment) + 1))[:SIZE]
        scan_ms = _median_ms(lambda t=text: scan(t), args.repeat)
        floor_ms = _median_ms(lambda t=text: sum(1 for _ in FLOOR.finditer(t)), args.repeat)
        findings = len(scan(text))
        worst = max(worst, scan_ms)
        print(f"{name:26s} {scan_ms:9.1f} {floor_ms:9.1f} {scan_ms / floor_ms:7.1f} {findings:9d}")
    print(f"worst: {worst:.1f} ms for 100 KB")


if __name__ == "__main__":
    main()
