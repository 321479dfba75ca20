"""The arrows between the apps are checked by import-linter (`make lint`); these
tests make sure the contract in pyproject.toml holds today and would catch a
break, so a typo in its configuration cannot quietly turn the check off."""

import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _run(cwd):
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--no-logo"],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        env={"PYTHONPATH": str(cwd), "PATH": "/usr/bin:/bin"},
    )


def _contract():
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]


def test_import_contract_keeps_the_arrows_today():
    result = _run(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def _fake_project(tmp_path, imports):
    """A tree with the real contract and one module per root package, where
    `imports` maps a package to the package it imports."""
    config = _contract()
    lines = ["[tool.importlinter]", f"root_packages = {config['root_packages']!r}".replace("'", '"')]
    for contract in config["contracts"]:
        lines += ["[[tool.importlinter.contracts]]"]
        lines += [f"{key} = {value!r}".replace("'", '"') for key, value in contract.items()]
    (tmp_path / "pyproject.toml").write_text("\n".join(lines) + "\n")
    for package in config["root_packages"]:
        (tmp_path / package).mkdir()
        target = imports.get(package)
        (tmp_path / package / "__init__.py").write_text(f"import {target}\n" if target else "")
    return tmp_path


def test_import_contract_fails_when_connect_imports_a_feature_app(tmp_path):
    result = _run(_fake_project(tmp_path, {"connect": "forum"}))
    assert result.returncode != 0
    assert "BROKEN" in result.stdout


def test_import_contract_fails_when_two_feature_apps_import_each_other(tmp_path):
    result = _run(_fake_project(tmp_path, {"resources": "forum"}))
    assert result.returncode != 0
    assert "BROKEN" in result.stdout


def test_import_contract_fails_when_notifications_imports_a_feature_app(tmp_path):
    result = _run(_fake_project(tmp_path, {"notifications": "forum"}))
    assert result.returncode != 0
    assert "BROKEN" in result.stdout


def test_import_contract_lists_every_app():
    # A new app that is not in root_packages would escape the check.
    apps = {p.parent.name for p in ROOT.glob("*/apps.py")}
    assert apps <= set(_contract()["root_packages"])
