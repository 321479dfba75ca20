"""Delete uploaded files that no document names, and stale temporary upload files."""

from datetime import timedelta

from django.core.management.base import BaseCommand

from resources.uploads import ORPHAN_AGE, remove_orphaned_files


class Command(BaseCommand):
    help = (
        "Delete stored documents that no row names (left by a process killed before its "
        "transaction committed) and Django's temporary upload files, once they are a day old."
    )

    def add_arguments(self, parser):
        parser.add_argument("--hours", type=int, default=int(ORPHAN_AGE.total_seconds() // 3600))
        parser.add_argument("--dry-run", action="store_true", help="List the files without deleting them.")

    def handle(self, *args, hours, dry_run, **options):
        removed = remove_orphaned_files(older_than=timedelta(hours=max(1, hours)), dry_run=dry_run)
        verb = "Would remove" if dry_run else "Removed"
        for path in removed:
            self.stdout.write(f"{verb} {path}")
        self.stdout.write(f"{verb} {len(removed)} orphaned file(s).")
