"""Rebuild the search index from the database (the source of truth)."""

import sys

from django.core.management.base import BaseCommand

from search.rebuild import rebuild


class Command(BaseCommand):
    help = (
        "Rebuild the search index from the database. Searches keep answering from the "
        "old index until the new one is complete."
    )

    def add_arguments(self, parser):
        parser.add_argument("--backend", default="default", help="Search backend name (default: default).")

    def handle(self, *args, backend, verbosity=1, **options):
        interactive = verbosity > 0 and getattr(self.stdout, "isatty", lambda: False)()
        shown = {"step": -1}

        def progress(done, total):
            if verbosity == 0:
                return
            width = 30
            filled = int(width * done / total) if total else width
            line = f"[{'#' * filled}{'.' * (width - filled)}] {done:,}/{total:,} documents"
            if interactive:
                self.stdout.write("\r" + line, ending="")
                sys.stdout.flush()
            elif int(10 * done / max(total, 1)) > shown["step"]:
                shown["step"] = int(10 * done / max(total, 1))
                self.stdout.write(line)

        documents, wall, cpu = rebuild(backend_name=backend, progress=progress)
        if interactive:
            self.stdout.write("")
        if verbosity:
            rate = documents / cpu if cpu else 0
            self.stdout.write(
                self.style.SUCCESS(
                    f"Indexed {documents:,} documents in {wall:.1f} s ({rate:,.0f} documents per CPU-second)."
                )
            )
