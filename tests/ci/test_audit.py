"""The CI dependency audit fails on a known vulnerability and never calls
packages it could not check free of them."""

import importlib.util
import json
from pathlib import Path

SPEC = importlib.util.spec_from_file_location(
    "ci_audit", Path(__file__).resolve().parents[2] / ".ci" / "audit.py"
)
audit = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(audit)


def test_pip_report_names_skipped_packages_instead_of_claiming_none_vulnerable():
    stdout = json.dumps(
        {
            "dependencies": [
                {"name": "django", "skip_reason": "Dependency not found on PyPI and could not be audited"},
                {"name": "wagtail", "skip_reason": "Dependency not found on PyPI and could not be audited"},
            ],
            "fixes": [],
        }
    )
    lines, failed = audit.pip_report(stdout, 0)
    text = "\n".join(lines)
    assert failed is False
    assert "COULD NOT CHECK 2 package(s)" in text
    assert "django" in text and "wagtail" in text
    assert "no known vulnerabilities" not in text


def test_pip_report_fails_on_a_known_vulnerability():
    stdout = json.dumps(
        {
            "dependencies": [
                {
                    "name": "django",
                    "version": "5.2.0",
                    "vulns": [{"id": "PYSEC-1", "fix_versions": ["5.2.1"]}],
                },
                {"name": "nh3", "version": "0.3.7", "vulns": []},
            ]
        }
    )
    lines, failed = audit.pip_report(stdout, 1)
    text = "\n".join(lines)
    assert failed is True
    assert "KNOWN VULNERABILITY in django 5.2.0: PYSEC-1 (fixed in 5.2.1)" in text
    assert "no known vulnerabilities in 1 checked package(s)" in text


def test_pip_report_says_the_audit_could_not_run_when_pip_audit_breaks():
    lines, failed = audit.pip_report("", 1, "ConnectionError: pypi.org unreachable\n")
    assert failed is False
    assert lines == [
        "Python audit COULD NOT RUN (ConnectionError: pypi.org unreachable): no Python package was checked."
    ]


def test_npm_report_says_the_audit_could_not_run_when_the_endpoint_refuses():
    stdout = json.dumps({"message": "405 Method Not Allowed - POST …/advisories/bulk", "error": {}})
    lines, failed = audit.npm_report(stdout, 1)
    assert failed is False
    assert "npm audit COULD NOT RUN (405 Method Not Allowed" in lines[0]
    assert "no known vulnerabilities" not in lines[0]


def test_npm_report_fails_on_a_known_vulnerability_and_passes_a_clean_tree():
    vulnerable = json.dumps(
        {
            "vulnerabilities": {"@uswds/uswds": {"severity": "high"}},
            "metadata": {"vulnerabilities": {"low": 0, "high": 1, "total": 1}, "dependencies": {"prod": 2}},
        }
    )
    lines, failed = audit.npm_report(vulnerable, 1)
    assert failed is True
    assert "KNOWN VULNERABILITY (1 high) in @uswds/uswds" in lines[0]
    clean = json.dumps(
        {"vulnerabilities": {}, "metadata": {"vulnerabilities": {"total": 0}, "dependencies": {"prod": 2}}}
    )
    lines, failed = audit.npm_report(clean, 0)
    assert failed is False
    assert lines == ["npm audit: no known vulnerabilities in 2 production package(s)."]
