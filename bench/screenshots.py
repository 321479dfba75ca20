"""Screenshots of the main pages at a desktop and a phone width, for the README.

    make screenshots                       # serves the demo data on a spare port
    .venv/bin/python bench/screenshots.py --base-url http://127.0.0.1:8000   # a running `make run`

Writes docs/screenshots/<page>-desktop.png (1280 wide) and <page>-phone.png
(390 wide), the first screenful of each page, as Debian's Chromium draws them.
Signs in as the demo accounts (connect/demo.py), so it needs the demo data.
"""

import argparse
import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "connect.settings.dev")

OUT = ROOT / "docs" / "screenshots"
MEMBER = "prosecutor@pbc.demo.example"
MODERATOR = "moderator@cook.demo.example"
SIZES = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}


def _first_href(page, base_url, path, selector):
    page.goto(base_url + path)
    return page.locator(selector).first.get_attribute("href")


def member_pages(page, base_url):
    thread = _first_href(
        page, base_url, "/discussions/", "main .forum-threads a.usa-link[href*='/discussions/t/']"
    )
    spotlight = _first_href(page, base_url, "/spotlights/", "main .usa-collection a")
    return [
        ("home", "/"),
        ("discussions", "/discussions/"),
        ("thread", thread),
        ("library", "/resources/"),
        ("search", "/search/?q=trafficking"),
        ("spotlight", spotlight),
    ]


def shoot(browser, base_url, email, pages, *, sign_in):
    for size, viewport in SIZES.items():
        context = browser.new_context(viewport=viewport, device_scale_factor=1)
        page = context.new_page()
        page.set_default_timeout(30000)
        sign_in(page, base_url, email)
        for name, path in pages(page, base_url):
            page.goto(base_url + path)
            page.wait_for_load_state("networkidle")
            target = OUT / f"{name}-{size}.png"
            page.screenshot(path=str(target))
            _shrink(target)
            print(f"{target.relative_to(ROOT)}  {target.stat().st_size // 1024} KiB")
        context.close()


def _shrink(path):
    """A 256-colour palette: a page of text loses nothing visible and the PNG shrinks by half."""
    from PIL import Image

    with Image.open(path) as image:
        small = image.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT)
    small.save(path, optimize=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url", help="a server with the demo data (default: start one)")
    args = parser.parse_args()
    import django
    from playwright.sync_api import sync_playwright

    django.setup()  # the demo accounts' password and two-factor secret come from connect.demo
    from tests.browser import CHROMIUM, sign_in

    OUT.mkdir(parents=True, exist_ok=True)
    with _server(args.base_url) as base_url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        shoot(browser, base_url, MEMBER, member_pages, sign_in=sign_in)
        shoot(
            browser, base_url, MODERATOR, lambda page, url: [("admin-dashboard", "/admin/")], sign_in=sign_in
        )
        browser.close()


@contextlib.contextmanager
def _server(base_url):
    """``base_url``, or a fresh demo site served as `make run` serves it."""
    if base_url:
        yield base_url.rstrip("/")
        return
    with tempfile.TemporaryDirectory(prefix="connect-screenshots-") as var_dir:
        env = {**os.environ, "CONNECT_VAR_DIR": var_dir, "WHITENOISE_USE_FINDERS": "1"}
        env.pop("DATABASE_URL", None)
        env.pop("REDIS_URL", None)
        manage = [sys.executable, str(ROOT / "manage.py")]
        for command in (["migrate", "--noinput", "-v0"], ["seed_demo"], ["db_worker", "--batch"]):
            subprocess.run([*manage, *command], env=env, check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        server = subprocess.Popen(
            [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "connect.asgi:application"],
            env=env,
            cwd=ROOT,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            for _ in range(600):
                try:
                    with urllib.request.urlopen(f"{url}/healthz", timeout=2):  # noqa: S310
                        break
                except OSError:
                    time.sleep(0.2)
            yield url
        finally:
            server.terminate()
            server.wait(timeout=10)


if __name__ == "__main__":
    main()
