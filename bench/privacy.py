"""Benchmark: the privacy guard on 100 KB texts, hostile and ordinary, against a bare regex pass, same run.

For each input it prints the median of ``--repeat`` scans, as wall-clock
and as CPU time (``time.process_time``, which a busy machine inflates less),
the number of findings, and two references measured in the same run: one
pass of a single simple regular expression (``\\w+``) over the same text,
the cheapest thing any scan of every character costs, and the CPU time of
the same input cut to 10 KB (a scan linear in the text costs about ten
times as much for ten times the text). Inputs are 100,000 characters of
repeated fragments built to make a detector work hard (digits, victim words,
names, addresses, ages, rooms, handles, keywords, bullets, tables, unicode)
and ordinary practice talk. The load average is printed with the figures.

    .venv/bin/python bench/privacy.py --repeat 5
    .venv/bin/python bench/privacy.py --short     # 10 KB inputs, one repeat
"""

from __future__ import annotations

import argparse
import os
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
IDENTIFYING = "Our client Luz Ochoa, 15, from Belle Glade works at the packing house; DOB 01/02/2009. "
INPUTS = {
    "ordinary practice talk": ORDINARY,
    "identifying prose": IDENTIFYING,
    "digits": "1",
    "capital letters": "A ",
    "victim words": "victim ",
    "victim + connectors": "victim the ",
    "victim + names": "victim Maria Lopez ",
    "victim + lower-case names": "victim maria lopez ",
    "victim + initials": "the girl J. R. ",
    "victim + capitalised words": "victim Alpha Beta Gamma ",
    "spaced digits": "12 ",
    "plus-digit runs": "+1 2 ",
    "phone numbers": "cell 555-0147 ",
    "birth words + dates": "born 01/02/2009 ",
    "lower-case addresses": "12 main st ",
    "ages + places": "15-year-old from Houston ",
    "motel rooms": "motel room 12 ",
    "handles": "ig a_1 ",
    "at signs": "@a ",
    "email addresses": "a.b@x.org ",
    "case keywords": "case no 12345 ",
    "id keywords": "passport 123456789 ",
    "nicknames": "aka Candy ",
    "schools": "girl at Lincoln High ",
    "urls": "https://example.org/a ",
    "captions + statutes": "United States v. Smith, 18 U.S.C. § 1591 ",
    "markdown bullets": "- x\n",
    "markdown tables": "| a |",
    "markdown emphasis": "**Ana** _x_ ",
    "unicode": "Ñandú 中文 Ωmega é ",
    "mixed fragments": (
        "victim Maria Lopez 12 main st +1 2 ig a_1 motel room 12 15-year-old from Houston "
        "case no 12345 aka Candy born 01/02/2009 | a | "
    ),
}
FLOOR = re.compile(r"\w+")


def build(fragment: str, size: int = SIZE) -> str:
    """``fragment`` repeated to exactly ``size`` characters."""
    return (fragment * (size // len(fragment) + 1))[:size]


def measure(fn, repeat: int) -> tuple[float, float]:
    """Median wall-clock and CPU milliseconds of ``repeat`` calls of ``fn``."""
    walls, cpus = [], []
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        fn()
        cpus.append((time.process_time() - cpu) * 1000)
        walls.append((time.perf_counter() - wall) * 1000)
    return statistics.median(walls), statistics.median(cpus)


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--short", action="store_true", help="10 KB inputs, one repeat (for the test suite)")
    args, _unknown = parser.parse_known_args()
    size, repeat = (SIZE // 10, 1) if args.short else (SIZE, args.repeat)
    scan("warm up: the victim, Maria, 555-0147, 12 main st")  # loads the name list and libraries once
    print("load average: " + " ".join(f"{x:.2f}" for x in os.getloadavg()))
    print(
        f"{'input':28s} {'chars':>7s} {'wall ms':>8s} {'CPU ms':>7s} {'floor ms':>8s} "
        f"{'findings':>8s} {'10 KB CPU':>9s} {'x10 KB':>6s}"
    )
    worst_wall = worst_cpu = worst_ratio = 0.0
    for name, fragment in INPUTS.items():
        text = build(fragment, size)
        wall_ms, cpu_ms = measure(lambda t=text: scan(t), repeat)
        floor_ms, _ = measure(lambda t=text: sum(1 for _ in FLOOR.finditer(t)), repeat)
        small = text[: size // 10]
        _, small_cpu = measure(lambda t=small: scan(t), max(repeat, 3))
        ratio = cpu_ms / max(small_cpu, 0.05)
        findings = len(scan(text))
        worst_wall, worst_cpu = max(worst_wall, wall_ms), max(worst_cpu, cpu_ms)
        worst_ratio = max(worst_ratio, ratio)
        print(
            f"{name:28s} {len(text):7d} {wall_ms:8.1f} {cpu_ms:7.1f} {floor_ms:8.1f} "
            f"{findings:8d} {small_cpu:9.1f} {ratio:6.1f}"
        )
    print(
        f"worst for {size // 1000} KB: {worst_wall:.1f} ms wall, {worst_cpu:.1f} ms CPU; "
        f"worst ratio to a tenth of the text: {worst_ratio:.1f}"
    )
    print("load average: " + " ".join(f"{x:.2f}" for x in os.getloadavg()))


if __name__ == "__main__":
    main()
