"""Dependency audit for CI: pip-audit over the pinned requirements and
`npm audit --omit=dev` over the vendored front-end packages.

A known vulnerability fails the run. Vulnerability data that cannot be
reached does not: the run says plainly that the audit could not run and for
which packages, and never reports "no known vulnerabilities" for packages it
could not check.

Usage: python .ci/audit.py   (from the repository root, after `make install-dev assets`)
"""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PIP_AUDIT = [
    str(ROOT / ".venv" / "bin" / "pip-audit"),
    "-r",
    "requirements.txt",
    "-r",
    "requirements-dev.txt",
    # Every requirement is pinned with ==, so the audit looks the pins up
    # instead of building a throwaway environment (minutes) to resolve them.
    "--no-deps",
    "--disable-pip",
    "--progress-spinner",
    "off",
    "--timeout",
    "10",
    "--format",
    "json",
]
NPM_AUDIT = ["npm", "audit", "--omit=dev", "--json"]
COMMAND_TIMEOUT = 180


def pip_report(stdout, returncode, stderr=""):
    """(lines to print, whether a known vulnerability was found)."""
    try:
        data = json.loads(stdout)
        dependencies = data["dependencies"]
    except (ValueError, KeyError, TypeError):
        reason = (stderr.strip().splitlines() or [f"pip-audit exited with {returncode}"])[-1]
        return [f"Python audit COULD NOT RUN ({reason}): no Python package was checked."], False
    vulnerable, skipped, clean = [], [], []
    for dependency in dependencies:
        name = f"{dependency.get('name')} {dependency.get('version', '')}".strip()
        if dependency.get("skip_reason"):
            skipped.append(name)
        elif dependency.get("vulns"):
            ids = ", ".join(
                f"{v.get('id')} (fixed in {', '.join(v.get('fix_versions') or []) or 'no release yet'})"
                for v in dependency["vulns"]
            )
            vulnerable.append(f"{name}: {ids}")
        else:
            clean.append(name)
    lines = [f"Python audit: KNOWN VULNERABILITY in {line}" for line in vulnerable]
    if clean:
        lines.append(f"Python audit: no known vulnerabilities in {len(clean)} checked package(s).")
    if skipped:
        lines.append(
            f"Python audit COULD NOT CHECK {len(skipped)} package(s) (vulnerability data not reachable): "
            + ", ".join(sorted(skipped))
        )
    if not dependencies:
        lines.append("Python audit: no packages were listed.")
    return lines, bool(vulnerable)


def npm_report(stdout, returncode, stderr=""):
    """(lines to print, whether a known vulnerability was found)."""
    try:
        data = json.loads(stdout)
    except ValueError:
        data = None
    if not isinstance(data, dict) or "error" in data or "metadata" not in data:
        message = (data or {}).get("message") if isinstance(data, dict) else None
        reason = message or (stderr.strip().splitlines() or [f"npm audit exited with {returncode}"])[-1]
        return [f"npm audit COULD NOT RUN ({reason}): no npm package was checked."], False
    counts = data["metadata"].get("vulnerabilities", {})
    total = counts.get("total", sum(v for k, v in counts.items() if k != "total"))
    checked = data["metadata"].get("dependencies", {}).get("prod", data["metadata"].get("dependencies"))
    if total:
        names = ", ".join(sorted(data.get("vulnerabilities", {}))) or "see `npm audit`"
        summary = ", ".join(
            f"{count} {level}" for level, count in counts.items() if level != "total" and count
        )
        return [f"npm audit: KNOWN VULNERABILITY ({summary}) in {names}"], True
    return [f"npm audit: no known vulnerabilities in {checked} production package(s)."], False


def _run(command):
    try:
        done = subprocess.run(  # noqa: S603 - fixed commands, no user input
            command, cwd=ROOT, capture_output=True, text=True, timeout=COMMAND_TIMEOUT
        )
    except FileNotFoundError as error:
        return "", 127, str(error)
    except subprocess.TimeoutExpired:
        return "", 124, f"no answer within {COMMAND_TIMEOUT} s"
    return done.stdout, done.returncode, done.stderr


def main():
    failed = False
    for report, command in ((pip_report, PIP_AUDIT), (npm_report, NPM_AUDIT)):
        lines, found = report(*_run(command))
        print("\n".join(lines))
        failed = failed or found
    if failed:
        print("Dependency audit FAILED: upgrade the packages above.")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
