"""Send daily (and, on the configured weekday, weekly) digest emails. Safe to run twice."""

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import timezone

from forum.emails import send_digests


class Command(BaseCommand):
    help = "Send discussion digest emails. Idempotent: nothing is ever sent twice."

    def add_arguments(self, parser):
        parser.add_argument(
            "--frequency",
            choices=["daily", "weekly", "auto"],
            default="auto",
            help="auto: daily digests, plus weekly ones on FORUM_WEEKLY_DIGEST_WEEKDAY.",
        )

    def handle(self, *args, frequency, **options):
        if frequency == "auto":
            frequencies = ["daily"]
            if timezone.localdate().weekday() == getattr(settings, "FORUM_WEEKLY_DIGEST_WEEKDAY", 0):
                frequencies.append("weekly")
        else:
            frequencies = [frequency]
        for freq in frequencies:
            sent = send_digests(freq)
            self.stdout.write(f"{freq}: {sent} digest email{'s' if sent != 1 else ''} sent.")
