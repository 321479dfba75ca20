"""The page weight of member pages: the trimmed USWDS stylesheet keeps every
rule a page can need, base.html links it and preloads the fonts it uses, and
production's static storage hashes and compresses files that WhiteNoise then
serves with far-future cache headers.

A class that PurgeCSS dropped shows nowhere as an error: the page just loses
its style. So these tests walk the same sources PurgeCSS reads (templates,
scripts, the Python that renders HTML) and check the trimmed stylesheet
against them, selector by selector.
"""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client, override_settings

ROOT = Path(__file__).resolve().parents[2]
CSS_DIR = ROOT / "static" / "vendor" / "uswds" / "css"
FULL = CSS_DIR / "uswds.min.css"
TRIMMED = CSS_DIR / "uswds.trimmed.min.css"
APPS = (
    "connect",
    "forum",
    "resources",
    "search",
    "spotlights",
    "notifications",
    "assistance",
    "conversations",
)

# Template tags become a separator, so `usa-alert--{{ level }}` leaves the
# fragment "usa-alert--", which is not a class and is skipped; the classes such
# composed names produce are listed in COMPOSED instead.
TEMPLATE_TAG = re.compile(r"\{%.*?%\}|\{\{.*?\}\}|\{#.*?#\}", re.S)
CLASS_ATTR = re.compile(r"""class=(?:"([^"]*)"|'([^']*)')""")
JS_CLASSES = re.compile(r"""(?:className\s*=\s*|classList\.(?:add|toggle)\()\s*"([^"]*)\"""")
COMPOSED = {
    # templates/includes/messages.html and allauth/elements/alert.html
    "usa-alert--error",
    "usa-alert--success",
    "usa-alert--warning",
    "usa-alert--info",
    # templates/assistance/_choices.html: usa-{{ radio or checkbox }}__input
    "usa-radio",
    "usa-radio__input",
    "usa-radio__label",
    "usa-checkbox",
    "usa-checkbox__input",
    "usa-checkbox__label",
}
# usa-* names in templates that USWDS itself has no rule for (hooks for our
# own CSS or scripts, or USWDS markup names without styles of their own).
NO_USWDS_RULE = {
    "usa-hero-like",
    "usa-nav-link",
    "usa-pagination__link-text",
    "usa-pagination__page-no",
    "usa-step-indicator__heading-counter",
    "usa-summary-box__body",
}
# What USWDS's JavaScript sets at run time and no template contains: the
# phone menu and its overlay, the loading guard of uswds-init.js, the
# accordion's and the "More" menu's expanded state.
RUNTIME = (
    "usa-js-loading",
    "usa-js-mobile-nav--active",
    "usa-js-no-click",
    "is-visible",
    "is-safari",
    "[aria-expanded",
    "[hidden",
)


def _require_trimmed():
    if not TRIMMED.exists():
        pytest.fail("static/vendor/uswds/css/uswds.trimmed.min.css is missing: run `make assets`")


def _fragments(value):
    for token in re.split(r"[\s\x00]+", value):
        if token and not token.endswith(("-", "_")) and not token.startswith(("-", "_")) and "{" not in token:
            yield token


def used_classes():
    """Every class name a page can carry, with one file that writes it."""
    found = {}
    sources = [*ROOT.glob("templates/**/*.html")]
    sources += [
        path for app in APPS for path in (ROOT / app).glob("**/*.py") if "migrations" not in path.parts
    ]
    for path in sources:
        text = TEMPLATE_TAG.sub("\x00", path.read_text())
        for match in CLASS_ATTR.finditer(text):
            for token in _fragments(match.group(1) or match.group(2) or ""):
                found.setdefault(token, path)
    for path in ROOT.glob("static/js/**/*.js"):
        for match in JS_CLASSES.finditer(path.read_text()):
            for token in _fragments(match.group(1)):
                found.setdefault(token, path)
    for token in COMPOSED:
        found.setdefault(token, "COMPOSED")
    return found


def has_class(css, name):
    selector = "." + name.replace(":", "\\:")
    return re.search(re.escape(selector) + r"(?![\w\\-])", css) is not None


def selectors(css):
    """Each selector of each rule, inside @media blocks too."""
    out = set()
    for match in re.finditer(r"([^{}]+)\{", css):
        head = match.group(1).strip()
        if head.startswith("@"):
            continue
        out.update(part.strip() for part in head.split(","))
    return out


def test_trimmed_stylesheet_is_a_fraction_of_the_full_one():
    _require_trimmed()
    full, trimmed = FULL.stat().st_size, TRIMMED.stat().st_size
    assert trimmed < full / 4, (trimmed, full)
    assert "sourceMappingURL" not in TRIMMED.read_text()  # the full file's map does not describe it


def test_trimmed_stylesheet_keeps_every_class_the_pages_use():
    _require_trimmed()
    full, trimmed = FULL.read_text(), TRIMMED.read_text()
    used = used_classes()
    lost = sorted(
        f"{name} ({source})"
        for name, source in used.items()
        if has_class(full, name) and not has_class(trimmed, name)
    )
    assert not lost, "classes PurgeCSS dropped: " + ", ".join(lost)
    unstyled = sorted(
        name
        for name in used
        if name.startswith("usa-") and name not in NO_USWDS_RULE and not has_class(trimmed, name)
    )
    assert not unstyled, "usa-* classes with no rule in the trimmed stylesheet: " + ", ".join(unstyled)


def test_trimmed_stylesheet_keeps_the_responsive_utilities():
    # tablet:grid-col-6 and friends carry a colon, which a plain word
    # extractor would cut off; losing them collapses every two-column page.
    _require_trimmed()
    trimmed = TRIMMED.read_text()
    responsive = [name for name in used_classes() if ":" in name and has_class(FULL.read_text(), name)]
    assert len(responsive) >= 5
    assert all(has_class(trimmed, name) for name in responsive)


def test_trimmed_stylesheet_keeps_what_uswds_javascript_toggles():
    """Every full-stylesheet rule about a run-time class or state whose other
    classes the pages use is in the trimmed one too (the open phone menu and
    its overlay, the open "More" menu, the loading guard)."""
    _require_trimmed()
    used = set(used_classes())
    full_selectors, trimmed_selectors = selectors(FULL.read_text()), selectors(TRIMMED.read_text())
    runtime_classes = {marker for marker in RUNTIME if not marker.startswith("[")}
    expected = set()
    for selector in full_selectors:
        if not any(marker in selector for marker in RUNTIME):
            continue
        classes = {name.replace("\\:", ":") for name in re.findall(r"\.((?:\\.|[\w-])+)", selector)}
        if classes - runtime_classes <= used:
            expected.add(selector)
    # The phone menu, its overlay, the loading guard and the accordion state at least.
    for must in (".usa-js-mobile-nav--active", ".usa-overlay.is-visible", ".usa-nav.is-visible"):
        assert must in expected
    assert any("html.usa-js-loading" in selector for selector in expected)
    assert any(
        "[aria-expanded=true]" in selector or '[aria-expanded="true"]' in selector for selector in expected
    )
    missing = sorted(expected - trimmed_selectors)
    assert not missing, "run-time selectors PurgeCSS dropped: " + " | ".join(missing)


# USWDS components with behaviour, and the markup that needs each one.
JS_COMPONENTS = {
    "usa-accordion": ("usa-accordion",),
    "usa-banner": ("usa-banner",),
    "usa-button": ('a class="usa-button',),
    "usa-character-count": ("usa-character-count",),
    "usa-combo-box": ("usa-combo-box",),
    "usa-date-picker": ("usa-date-picker",),
    "usa-date-range-picker": ("usa-date-range-picker",),
    "usa-file-input": ("usa-file-input",),
    "usa-footer": ("usa-footer--big", "usa-footer--medium"),
    "usa-header": ("usa-menu-btn",),
    "usa-in-page-navigation": ("usa-in-page-nav",),
    "usa-input-mask": ("usa-masked",),
    "usa-language-selector": ("usa-language",),
    "usa-modal": ("usa-modal",),
    "usa-range": ("usa-range",),
    "usa-search": ("js-search-form",),
    "usa-skipnav": ("usa-skipnav",),
    "usa-table": ("data-sortable",),
    "usa-time-picker": ("usa-time-picker",),
    "usa-tooltip": ("usa-tooltip",),
    "usa-validation": ("data-validate-",),
}
BUNDLE_ENTRY = ROOT / "assets" / "uswds-components.js"
TRIMMED_JS = ROOT / "static" / "vendor" / "uswds" / "js" / "uswds.trimmed.min.js"


def test_uswds_bundle_has_every_component_the_markup_needs():
    """A template that starts using a modal or a tooltip without adding it to
    the bundle would get the markup without the behaviour."""
    markup = "\n".join(path.read_text() for path in ROOT.glob("templates/**/*.html"))
    markup += "\n".join(
        path.read_text()
        for app in APPS
        for path in (ROOT / app).glob("**/*.py")
        if "migrations" not in path.parts
    )
    bundled = set(re.findall(r'require\("@uswds/uswds/js/([\w-]+)"\)', BUNDLE_ENTRY.read_text()))
    needed = {name for name, markers in JS_COMPONENTS.items() if any(marker in markup for marker in markers)}
    assert needed <= bundled, f"add to {BUNDLE_ENTRY.name}: {sorted(needed - bundled)}"
    assert {"usa-accordion", "usa-header", "usa-skipnav"} <= needed


def test_uswds_bundle_is_built_and_smaller_than_the_full_script():
    if not TRIMMED_JS.exists():
        pytest.fail("static/vendor/uswds/js/uswds.trimmed.min.js is missing: run `make assets`")
    full = TRIMMED_JS.with_name("uswds.min.js")
    assert TRIMMED_JS.stat().st_size < full.stat().st_size / 2
    assert "uswdsPresent" in TRIMMED_JS.read_text()


def _head(client):
    response = client.get("/accounts/login/")
    assert response.status_code == 200
    return response.content.decode()


LINK = re.compile(r"<link\b[^>]*>")
HREF = re.compile(r'href="([^"]+)"')


@pytest.mark.django_db
def test_base_links_the_trimmed_stylesheet_and_not_the_full_one(client):
    head = _head(client)
    stylesheets = [HREF.search(tag).group(1) for tag in LINK.findall(head) if 'rel="stylesheet"' in tag]
    assert "/static/vendor/uswds/css/uswds.trimmed.min.css" in stylesheets
    assert not any(href.endswith("/uswds.min.css") for href in stylesheets)
    scripts = re.findall(r'<script[^>]*src="([^"]+)"', head)
    assert "/static/vendor/uswds/js/uswds.trimmed.min.js" in scripts
    assert not any(src.endswith("/uswds.min.js") for src in scripts)
    source = (ROOT / "templates" / "base.html").read_text() + (ROOT / "templates" / "500.html").read_text()
    assert "uswds.min.css" not in source and "uswds.min.js" not in source


@pytest.mark.django_db
def test_base_preloads_fonts_that_exist_and_the_stylesheet_uses(client):
    from django.contrib.staticfiles import finders

    _require_trimmed()
    preloads = [tag for tag in LINK.findall(_head(client)) if 'rel="preload"' in tag]
    assert 1 <= len(preloads) <= 2
    trimmed = TRIMMED.read_text()
    for tag in preloads:
        # Fonts are fetched in CORS mode: a preload without crossorigin is
        # fetched a second time when the stylesheet asks for the face.
        assert 'as="font"' in tag and "crossorigin" in tag and 'type="font/woff2"' in tag
        href = HREF.search(tag).group(1)
        name = href.removeprefix("/static/")
        assert finders.find(name), href
        assert "url(../" + name.removeprefix("vendor/uswds/") + ")" in trimmed, href


@pytest.fixture(scope="module")
def production_static_root(tmp_path_factory):
    """``collectstatic`` under production settings, into a fresh directory.

    Wagtail's, Django admin's and allauth's own files are left out to keep the
    run short; ours (USWDS, our CSS and scripts) are the ones whose url() and
    source-map references the manifest storage must resolve.
    """
    root = tmp_path_factory.mktemp("static-root")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "connect.settings.production",
        "DJANGO_SECRET_KEY": "collectstatic-test",
        "DJANGO_ALLOWED_HOSTS": "localhost",
        "DATABASE_URL": f"sqlite:///{root.parent / 'unused.sqlite3'}",
        "DJANGO_STATIC_ROOT": str(root),
        "CONNECT_VAR_DIR": str(root.parent / "var"),
    }
    ignore = ["-i", "wagtail*", "-i", "admin", "-i", "account", "-i", "mfa"]
    result = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "collectstatic", "--noinput", "-v0", *ignore],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return root


def _manifest(root):
    import json

    return json.loads((root / "staticfiles.json").read_text())["paths"]


def test_collectstatic_in_production_hashes_and_compresses(production_static_root):
    import importlib.util

    _require_trimmed()
    paths = _manifest(production_static_root)
    hashed = paths["vendor/uswds/css/uswds.trimmed.min.css"]
    assert re.fullmatch(r"vendor/uswds/css/uswds\.trimmed\.min\.[0-9a-f]{12}\.css", hashed)
    target = production_static_root / hashed
    assert (target.parent / (target.name + ".gz")).exists()
    if importlib.util.find_spec("brotli"):
        assert (target.parent / (target.name + ".br")).exists()
    # The stylesheet's font and icon references point at hashed files too.
    css = target.read_text()
    font = paths["vendor/uswds/fonts/source-sans-pro/sourcesanspro-regular-webfont.woff2"]
    assert re.search(r"""url\(["']?\.\./fonts/source-sans-pro/""" + re.escape(Path(font).name), css)
    for name in ("css/connect.css", "js/live.js", "vendor/uswds/js/uswds.trimmed.min.js"):
        assert (production_static_root / (paths[name] + ".gz")).exists(), name


@pytest.mark.django_db
def test_whitenoise_serves_hashed_files_compressed_and_immutable(production_static_root):
    from django.conf import settings

    storages = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    with override_settings(
        STATIC_ROOT=production_static_root, STORAGES=storages, WHITENOISE_USE_FINDERS=False
    ):
        client = Client()
        head = _head(client)
        hashed = _manifest(production_static_root)["vendor/uswds/css/uswds.trimmed.min.css"]
        assert f'href="/static/{hashed}"' in head
        preload = _manifest(production_static_root)[
            "vendor/uswds/fonts/source-sans-pro/sourcesanspro-regular-webfont.woff2"
        ]
        assert f'href="/static/{preload}"' in head  # the same URL the stylesheet asks for

        response = client.get(f"/static/{hashed}", HTTP_ACCEPT_ENCODING="gzip, br")
        assert response.status_code == 200
        cache = response.headers["Cache-Control"]
        assert "immutable" in cache
        assert int(re.search(r"max-age=(\d+)", cache).group(1)) >= 365 * 24 * 3600
        assert response.headers["Content-Encoding"] in {"br", "gzip"}
        assert "Accept-Encoding" in response.headers["Vary"]
        body = b"".join(response.streaming_content)
        assert len(body) < TRIMMED.stat().st_size / 4

        # Unhashed names stay fresh-checked: they change with every deploy.
        plain = client.get("/static/vendor/uswds/css/uswds.trimmed.min.css")
        assert "immutable" not in plain.headers["Cache-Control"]
