"""Delete live-thread events older than FORUM_LIVE_EVENT_KEEP_DAYS (or --days)."""

from django.core.management.base import BaseCommand, CommandError

from forum.live import keep_days, thread_events_prune


class Command(BaseCommand):
    help = (
        "Delete the stored events live thread pages catch up from, once they are older than "
        "FORUM_LIVE_EVENT_KEEP_DAYS (30) days; a page open since before then is told to reload."
    )

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=None, help="Keep this many days instead.")

    def handle(self, *args, days, **options):
        if days is not None and days < 0:
            raise CommandError("--days must be 0 or more.")
        days = keep_days() if days is None else days
        pruned = thread_events_prune(days=days)
        self.stdout.write(f"Deleted {pruned} thread event(s) older than {days} day(s).")
