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
    .venv/bin/python bench/privacy.py --against 8c621f2   # CPU now vs. at that commit

With ``--against`` it loads ``connect/privacy.py`` (and its word list) as
they were at a git revision and prints, for each input, the best of
``--repeat`` CPU times of the old scan and the new one, alternated run by
run in one process so the load of the machine weighs on both alike.
``bench/privacy_same.py REV`` checks that both find the same findings.
"""

from __future__ import annotations

import argparse
import importlib
import os
import re
import statistics
import subprocess
import sys
import tempfile
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


def load_revision(revision: str):
    """``connect.privacy`` as it was at ``revision``, imported from a scratch package."""
    package = Path(tempfile.mkdtemp(prefix="privacy-bench-")) / "privacy_then"
    package.mkdir()
    (package / "__init__.py").write_text("")
    for name in ("privacy.py", "privacy_words.py"):
        source = subprocess.run(
            ["git", "show", f"{revision}:connect/{name}"],
            cwd=ROOT,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        (package / name).write_text(source)
    sys.path.insert(0, str(package.parent))
    return importlib.import_module("privacy_then.privacy")


def cpu_ms(fn, text):
    started = time.process_time()
    fn(text)
    return (time.process_time() - started) * 1000


def compare(revision: str, size: int, repeat: int):
    then = load_revision(revision)
    then.scan("warm up: the victim, Maria, 555-0147, 12 main st")
    scan("warm up: the victim, Maria, 555-0147, 12 main st")
    print("load average: " + " ".join(f"{x:.2f}" for x in os.getloadavg()))
    print(
        f"{'input':28s} {revision[:10] + ' CPU ms':>16s} {'now CPU ms':>10s} "
        f"{'speed-up':>8s} {'findings':>13s}"
    )
    for name, fragment in INPUTS.items():
        text = build(fragment, size)
        # Alternated, so a burst of load from other processes weighs on both.
        old_runs, new_runs = [], []
        for _ in range(repeat):
            old_runs.append(cpu_ms(then.scan, text))
            new_runs.append(cpu_ms(scan, text))
        old_ms, new_ms = min(old_runs), min(new_runs)
        findings = f"{len(then.scan(text))}/{len(scan(text))}"
        print(f"{name:28s} {old_ms:16.1f} {new_ms:10.1f} {old_ms / new_ms:8.1f} {findings:>13s}")
    print("load average: " + " ".join(f"{x:.2f}" for x in os.getloadavg()))


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--short", action="store_true", help="10 KB inputs, one repeat (for the test suite)")
    parser.add_argument("--against", metavar="REV", help="compare CPU time with the guard at a git revision")
    args, _unknown = parser.parse_known_args()
    size, repeat = (SIZE // 10, 1) if args.short else (SIZE, args.repeat)
    if args.against:
        compare(args.against, size, repeat)
        return
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
