"""Check: the privacy guard finds exactly what it found at a git revision.

Loads ``connect/privacy.py`` (and its word list) as they were at ``REV`` next
to the module as it is now, and compares the findings (kind, text, start and
end) of both on the labelled corpus, on every string literal in the test
files that exercise the guard, on random mixtures of those strings (joined
by spaces, line breaks, Markdown bullets, table bars and emphasis, in upper,
lower and mixed case), and on the benchmark's inputs at 10 KB and 100 KB.
Each text is scanned with no options, with the corpus writer's name allowed,
as a discussion post (``mentions``), and with a handle and an email allowed.
Exits 1 and prints the first differences when any text differs.

    .venv/bin/python bench/privacy_same.py fb6bb4d
    .venv/bin/python bench/privacy_same.py fb6bb4d --mixtures 2000
"""

from __future__ import annotations

import argparse
import ast
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.privacy import INPUTS, build, load_revision  # noqa: E402
from connect import privacy as now  # noqa: E402
from tests.connect import privacy_corpus as corpus  # noqa: E402

TEST_FILES = sorted(
    {
        *ROOT.glob("tests/connect/test_privacy*.py"),
        *ROOT.glob("tests/forum/test_privacy*.py"),
        *ROOT.glob("tests/forum/test_redaction.py"),
        *ROOT.glob("tests/resources/test_share_privacy.py"),
        ROOT / "tests/connect/test_profile_privacy.py",
    }
)
JOINERS = [" ", "\n", "\n- ", " | ", "**", " _", "\n\n", ", ", ". ", "\t", "\n> ", "\n1. "]
OPTIONS = [
    {},
    {"allowed_names": [corpus.WRITER]},
    {"mentions": True},
    {
        "allowed_names": ["Maria Lopez"],
        "allowed_handles": ["lily_xo09", "@dana"],
        "allowed_emails": lambda address: address.startswith("a."),
    },
]


def _literals(path: Path) -> list[str]:
    tree = ast.parse(path.read_text())
    return [
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and len(node.value) > 3
    ]


def texts(mixtures: int, seed: int = 12) -> list[str]:
    pieces = [
        *corpus.IDENTIFYING,
        *corpus.ORDINARY,
        *corpus.HELD_OUT_IDENTIFYING,
        *corpus.HELD_OUT_ORDINARY,
        *(literal for path in TEST_FILES if path.exists() for literal in _literals(path)),
        *INPUTS.values(),
    ]
    rng = random.Random(seed)
    mixed = []
    for _ in range(mixtures):
        chosen = rng.sample(pieces, rng.randint(2, 8))
        text = "".join(piece + rng.choice(JOINERS) for piece in chosen)
        case = rng.random()
        if case < 0.15:
            text = text.lower()
        elif case < 0.25:
            text = text.upper()
        elif case < 0.35:
            # Cut at random places, as a detector's window would.
            cut = rng.randrange(len(text))
            text = text[cut:] + text[:cut]
        mixed.append(text)
    large = [build(fragment, size) for fragment in INPUTS.values() for size in (10_000, 100_000)]
    return pieces + mixed + large


def _findings(module, text, options):
    try:
        return [(f.kind, f.text, f.start, f.end) for f in module.scan(text, **options)]
    except Exception as exc:  # noqa: BLE001 - a crash is a result to compare too
        return ("raised", type(exc).__name__)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("revision")
    parser.add_argument("--mixtures", type=int, default=600)
    args = parser.parse_args()
    then = load_revision(args.revision)
    all_texts = texts(args.mixtures)
    differences = compared = found = fixed = 0
    for text in all_texts:
        for options in OPTIONS:
            old, new = _findings(then, text, options), _findings(now, text, options)
            compared += 1
            if isinstance(old, tuple) and isinstance(new, list):
                fixed += 1  # the older guard raised on this text; this one answers
                continue
            found += len(old) if isinstance(old, list) else 0
            if old != new:
                differences += 1
                if differences <= 5:
                    print(f"differs on {text[:120]!r} with {sorted(options)}:")
                    print(f"  then: {sorted(set(old) - set(new))[:6]}")
                    print(f"  now:  {sorted(set(new) - set(old))[:6]}")
    print(
        f"{len(all_texts)} texts, {compared} scans, {found} findings at {args.revision}: "
        f"{differences} scans differ" + (f"; {fixed} scans raised then and answer now" if fixed else "")
    )
    return 1 if differences else 0


if __name__ == "__main__":
    sys.exit(main())
