"""Benchmark: what a member's browser downloads for a page, with the full USWDS
stylesheet and script and with the trimmed ones, side by side on the same server.

1. Builds a demo site in a temporary directory (migrate, seed_demo, the search
   index) and runs ``collectstatic`` with production's storage, so static
   files are hashed and have .gz/.br copies, as deployed.
2. Starts one daphne process (bench.settings with BENCH_PRODUCTION_STATIC:
   WhiteNoise serves STATIC_ROOT, no finders). A request carrying
   ``X-Bench-Assets: full`` gets the page as it was before the trimming: the
   full uswds.min.css and uswds.min.js and no font preloads
   (FullUswdsMiddleware below);
   everything else is the same page from the same process.
3. For the home, thread, library and search pages, signed in as a demo
   member: the bytes of the HTML and of each stylesheet and script it links,
   as sent with ``Accept-Encoding: br, gzip`` and uncompressed.
4. Unless ``--quick``: Lighthouse (the npm package pinned in package.json,
   its default mobile preset: simulated slow 4G and a 4x slower CPU) against
   each page in each variant, interleaved, with Debian's Chromium; prints the
   performance score, FCP, LCP, TBT, total byte weight and the unused CSS
   Lighthouse counts. ``--runs N`` takes the median of N runs per page.

    .venv/bin/python bench/assets.py            # bytes and Lighthouse, ~5 minutes
    .venv/bin/python bench/assets.py --quick    # bytes only
    .venv/bin/python bench/assets.py --static finders   # as `make run` serves static files

``--static finders`` serves static files as development does (WhiteNoise
straight from static/ through the finders: no hashed names, no compressed
copies, a short max-age), to compare with what `make run` shows.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

MEMBER = "prosecutor@pbc.demo.example"
# (trimmed, full): what pages link now, and what they linked before.
SWAPS = (
    ("vendor/uswds/css/uswds.trimmed.min.css", "vendor/uswds/css/uswds.min.css"),
    ("vendor/uswds/js/uswds.trimmed.min.js", "vendor/uswds/js/uswds.min.js"),
)
VARIANTS = ("full", "trimmed")
PRELOAD = re.compile(r'\s*<link rel="preload"[^>]*as="font"[^>]*>')


class FullUswdsMiddleware:
    """The baseline page: the full USWDS stylesheet and script where the
    trimmed ones are linked, and no font preloads, for requests that ask."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.headers.get("X-Bench-Assets") != "full" or response.streaming:
            return response
        if not response.get("Content-Type", "").startswith("text/html"):
            return response
        from django.contrib.staticfiles.storage import staticfiles_storage

        html = response.content.decode()
        for trimmed, full in SWAPS:
            html = html.replace(staticfiles_storage.url(trimmed), staticfiles_storage.url(full))
        response.content = PRELOAD.sub("", html).encode()
        if response.has_header("Content-Length"):
            response["Content-Length"] = str(len(response.content))
        return response


def prepare(var, collect=True):
    """In this process: the demo site, its search index and production's static files."""
    import django

    django.setup()
    from django.core.management import call_command

    from bench.forum_thread_page import session_cookie
    from connect.models import User

    quiet = open(os.devnull, "w")  # noqa: SIM115
    call_command("migrate", verbosity=0, interactive=False)
    call_command("seed_demo", stdout=quiet)
    # The seed's search-index entries are tasks: run them, as `make run`'s worker would.
    subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "db_worker", "--batch", "--no-startup-delay"],
        env=os.environ,
        cwd=ROOT,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    # Wagtail's and Django admin's files serve only the admin; leaving them out
    # keeps the run short without changing a member page.
    if collect:
        ignore = ["wagtail*", "admin"]
        call_command("collectstatic", interactive=False, verbosity=0, ignore_patterns=ignore)
    from forum.models import Thread

    member = User.objects.get(email=MEMBER)
    thread = Thread.objects.order_by("-id").filter(posts__isnull=False).distinct().first()
    quiet.close()
    return session_cookie(member.pk), {
        "home": "/",
        "thread": f"/discussions/t/{thread.pk}/",
        "library": "/resources/",
        "search": "/search/?q=trafficking",
    }


def fetch(port, path, headers):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    conn.request("GET", path, headers=headers)
    response = conn.getresponse()
    body = response.read()
    conn.close()
    return response.status, dict(response.getheaders()), body


ASSET = re.compile(r'<(?:link rel="stylesheet"|script[^>]*?) (?:href|src)="(/static/[^"]+)"')


def page_bytes(port, path, cookie, variant, hashed=True):
    """(HTML, CSS, JS) bytes as sent compressed, and the same uncompressed."""
    base = {"Cookie": cookie, "X-Bench-Assets": variant}
    status, _, html = fetch(port, path, base)
    if status != 200:
        raise SystemExit(f"{path}: HTTP {status}")
    sent = {"html": len(html), "css": 0, "js": 0}
    raw = dict(sent)
    for url in ASSET.findall(html.decode()):
        kind = "css" if url.endswith(".css") else "js"
        _, headers, body = fetch(port, url, {**base, "Accept-Encoding": "br, gzip"})
        sent[kind] += len(body)
        raw[kind] += len(fetch(port, url, base)[2])
        if hashed and variant == "trimmed" and "immutable" not in headers.get("Cache-Control", ""):
            raise SystemExit(f"{url}: no far-future Cache-Control ({headers.get('Cache-Control')})")
    return sent, raw


def lighthouse(port, path, cookie, variant, workdir):
    headers = workdir / "headers.json"
    headers.write_text(json.dumps({"Cookie": cookie, "X-Bench-Assets": variant}))
    out = workdir / "lighthouse.json"
    env = {**os.environ, "CHROME_PATH": shutil.which("chromium") or shutil.which("chromium-browser") or ""}
    subprocess.run(
        [
            str(ROOT / "node_modules" / ".bin" / "lighthouse"),
            f"http://127.0.0.1:{port}{path}",
            "--quiet",
            "--only-categories=performance",
            "--output=json",
            f"--output-path={out}",
            f"--extra-headers={headers}",
            "--chrome-flags=--headless=new --no-sandbox",
        ],
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    lhr = json.loads(out.read_text())
    audits = lhr["audits"]
    return {
        "score": round(lhr["categories"]["performance"]["score"] * 100),
        "fcp": audits["first-contentful-paint"]["numericValue"],
        "lcp": audits["largest-contentful-paint"]["numericValue"],
        "tbt": audits["total-blocking-time"]["numericValue"],
        "bytes": audits["total-byte-weight"]["numericValue"],
        "unused_css": (audits["unused-css-rules"].get("details") or {}).get("overallSavingsBytes", 0),
    }


def start_daphne(port):
    proc = subprocess.Popen(
        [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "-v", "0"]
        + ["bench.asgi:application"],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        start_new_session=True,
    )
    deadline = time.time() + 120
    while time.time() < deadline:
        try:
            fetch(port, "/healthz", {})
            return proc
        except OSError:
            time.sleep(0.3)
    proc.kill()
    raise SystemExit("daphne did not start")


def kb(n):
    return f"{n / 1024:7.1f}"


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="bytes only, no Lighthouse")
    parser.add_argument("--runs", type=int, default=1, help="Lighthouse runs per page and variant (median)")
    parser.add_argument("--only", action="append", help="measure only these pages")
    parser.add_argument(
        "--static",
        choices=("production", "finders"),
        default="production",
        help="collectstatic with hashed, compressed files (default), or development's finders",
    )
    args, _ = parser.parse_known_args()  # bench/run_all.py passes every benchmark the same arguments

    from bench.forum_thread_page import free_port

    with tempfile.TemporaryDirectory(prefix="connect-bench-assets-") as tmp:
        tmp = Path(tmp)
        os.environ.update(
            DJANGO_SETTINGS_MODULE="bench.settings",
            CONNECT_VAR_DIR=str(tmp / "var"),
            DJANGO_STATIC_ROOT=str(tmp / "static"),
            BENCH_ASSETS_BASELINE="1",
        )
        for name in ("DATABASE_URL", "REDIS_URL", "WHITENOISE_USE_FINDERS", "BENCH_PRODUCTION_STATIC"):
            os.environ.pop(name, None)
        production = args.static == "production"
        os.environ["BENCH_PRODUCTION_STATIC" if production else "WHITENOISE_USE_FINDERS"] = "1"
        started = time.time()
        cookie, pages = prepare(tmp, collect=production)
        print(f"demo site ({args.static} static files) ready in {time.time() - started:.0f}s", flush=True)
        if args.only:
            pages = {name: path for name, path in pages.items() if name in args.only}
        port = free_port()
        server = start_daphne(port)
        try:
            print("\nBytes per page as sent (br/gzip where the client accepts it), KiB; raw in brackets")
            print(f"{'page':8} {'variant':8} {'HTML':>7} {'CSS':>7} {'JS':>7} {'total':>7}   raw CSS")
            totals = {}
            for name, path in pages.items():
                for variant in VARIANTS:
                    sent, raw = page_bytes(port, path, cookie, variant, hashed=production)
                    total = sum(sent.values())
                    totals[name, variant] = total
                    print(
                        f"{name:8} {variant:8} {kb(sent['html'])} {kb(sent['css'])} {kb(sent['js'])}"
                        f" {kb(total)}   ({kb(raw['css']).strip()})"
                    )
                print(f"{'':8} {'ratio':8} {totals[name, 'trimmed'] / totals[name, 'full']:39.2f}")
            if args.quick:
                return
            if not shutil.which("chromium") and not shutil.which("chromium-browser"):
                raise SystemExit("Lighthouse needs Debian's chromium (make browser)")
            print("\nLighthouse, mobile preset (simulated slow 4G, 4x CPU), median of", args.runs, "run(s)")
            print(
                f"{'page':8} {'variant':8} {'score':>5} {'FCP ms':>7} {'LCP ms':>7} {'TBT ms':>7}"
                f" {'weight KiB':>10} {'unused CSS KiB':>14}"
            )
            for name, path in pages.items():
                for variant in VARIANTS:
                    runs = [lighthouse(port, path, cookie, variant, tmp) for _ in range(args.runs)]
                    med = {key: statistics.median(run[key] for run in runs) for key in runs[0]}
                    print(
                        f"{name:8} {variant:8} {med['score']:5.0f} {med['fcp']:7.0f} {med['lcp']:7.0f}"
                        f" {med['tbt']:7.0f} {kb(med['bytes']):>10} {kb(med['unused_css']):>14}",
                        flush=True,
                    )
        finally:
            server.terminate()
            server.wait(timeout=10)


if __name__ == "__main__":
    main()
