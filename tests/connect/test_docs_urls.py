"""URLs quoted to members and operators — in help texts, the README and docs/ —
must exist. A renamed route otherwise leaves a help text sending a moderator to
a 404, or a deployment guide describing a screen that is gone."""

import re
from pathlib import Path

import pytest
from django import forms
from django.apps import apps
from django.urls import Resolver404, URLResolver, get_resolver, resolve

ROOT = Path(__file__).resolve().parents[2]
PROJECT_APPS = {"connect", "forum", "resources", "spotlights", "search", "notifications", "assistance"}
SEGMENT = r"(?:[a-z0-9_-]+|<[a-z_]+>)"
QUOTED_PATH = re.compile(rf"(?<![\w.:/<>])(/(?:{SEGMENT}/)*(?:[a-z0-9_-]*(?:<[a-z_]+>)?(?:\.[a-z]+)?)?)")
# Paths on the server's disk, not URLs of the site.
NOT_URLS = ("/etc/", "/var/", "/usr/", "/opt/", "/srv/", "/tmp/", "/path/", "/home/", "/run/", "/dev/")  # noqa: S108
SAMPLE = {"<id>": "1", "<token>": "x", "<name>": "x", "<slug>": "x", "<path>": "x.png"}


def _as_url(path):
    for placeholder, value in SAMPLE.items():
        path = path.replace(placeholder, value)
    return path


def _page_tree_roots():
    """Slugs of the Wagtail index pages the setup code creates (spotlights, library, events)."""
    return {m for f in ROOT.glob("*/setup.py") for m in re.findall(r'slug="([a-z0-9-]+)"', f.read_text())}


def _mounted_prefixes():
    """Top-level include() mounts (`accounts/`), which docs may name as a whole."""
    return {"/" + str(p.pattern) for p in get_resolver().url_patterns if isinstance(p, URLResolver)}


def _websocket_routes():
    from django.conf import settings
    from django.utils.module_loading import import_string

    for module in settings.CONNECT_WEBSOCKET_ROUTING:
        yield from import_string(f"{module}.websocket_urlpatterns")


def _resolves(path):
    if path in _mounted_prefixes():
        return True
    if path.startswith("/ws/"):
        # WebSocket routes live in the apps' routing modules, not the URLconf.
        return any(route.pattern.match(_as_url(path).lstrip("/")) for route in _websocket_routes())
    try:
        match = resolve(_as_url(path))
    except Resolver404:
        return False
    if match.url_name == "wagtail_serve":
        # Wagtail's catch-all answers every path; only the page tree's own roots are real.
        first = path.strip("/").split("/", 1)[0]
        return first == "" or first in _page_tree_roots()
    return True


def _paths_in(text):
    return {p for p in QUOTED_PATH.findall(text) if len(p) > 1 and not p.startswith(NOT_URLS)}


def _documented_paths():
    found = {}
    for doc in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        # Only paths written as code (`/join/request/`) are claims about the site.
        for quoted in re.findall(r"`([^`\n]+)`", doc.read_text()):
            if quoted.startswith("/") and " " not in quoted:
                found.update({p: doc.name for p in _paths_in(quoted)})
    return found


def _help_texts():
    for model in apps.get_models():
        if model._meta.app_label in PROJECT_APPS:
            for field in model._meta.get_fields():
                text = str(getattr(field, "help_text", "") or "")
                if text:
                    yield f"{model._meta.label}.{field.name}", text
    for module_name in sorted(PROJECT_APPS):
        try:
            module = __import__(f"{module_name}.forms", fromlist=["*"])
        except ModuleNotFoundError:
            continue
        for name, form in vars(module).items():
            if (
                isinstance(form, type)
                and issubclass(form, forms.BaseForm)
                and form.__module__ == module.__name__
            ):
                for field_name, field in form.base_fields.items():
                    if field.help_text:
                        yield f"{module.__name__}.{name}.{field_name}", str(field.help_text)


@pytest.mark.django_db
def test_documented_urls_resolve(settings):
    documented = _documented_paths()
    # The bench routes exist only under the benchmark's own URLconf.
    documented = {p: doc for p, doc in documented.items() if not p.startswith("/bench/")}
    assert "/join/request/" in documented
    assert not sorted(f"{p} ({doc})" for p, doc in documented.items() if not _resolves(p))


@pytest.mark.django_db
def test_urls_in_help_texts_resolve():
    missing = [f"{where}: {p}" for where, text in _help_texts() for p in _paths_in(text) if not _resolves(p)]
    assert not missing


def test_quoted_path_finds_paths_not_prose():
    assert _paths_in("see /discussions/settings/email/ or /library/calendar/<token>.ics.") == {
        "/discussions/settings/email/",
        "/library/calendar/<token>.ics",
    }
    assert _paths_in("open /admin/discussions/threads/<id>/ now") == {"/admin/discussions/threads/<id>/"}
    assert _paths_in("either/or and 1/2") == set()
    assert not _resolves("/no-such-page/at-all/")
