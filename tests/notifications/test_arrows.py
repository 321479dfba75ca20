"""Arrows point down: notifications sits on connect and under the feature apps."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FEATURE_APPS = {"forum", "spotlights", "resources", "search", "assistance"}


def imported_apps(package, *, skip=()):
    """Top-level package names imported by any module of ``package``."""
    found = {}
    for path in (ROOT / package).rglob("*.py"):
        if any(part in skip for part in path.relative_to(ROOT / package).parts):
            continue
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                found.setdefault(name.split(".")[0], set()).add(str(path.relative_to(ROOT)))
    return found


def test_notifications_imports_no_feature_app():
    imports = imported_apps("notifications")
    assert not {app: imports[app] for app in FEATURE_APPS & imports.keys()}


def test_connect_does_not_import_notifications():
    # The project's URLconf and settings name every app; the ground floor's code names none.
    imports = imported_apps("connect", skip={"settings", "urls.py"})
    assert "notifications" not in imports, imports.get("notifications")


@pytest.mark.parametrize("module", ["forum/events.py", "forum/mentions.py", "forum/notification_kinds.py"])
def test_forum_side_effects_do_not_import_the_services(module):
    tree = ast.parse((ROOT / module).read_text())
    relative = [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom)
        and (
            (node.level and (node.module == "services" or any(a.name == "services" for a in node.names)))
            or node.module == "forum.services"
        )
    ]
    assert not relative
