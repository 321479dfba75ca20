"""Send the daily and weekly digests that are due. Run it hourly; safe to run twice."""

from django.core.management.base import BaseCommand, CommandError

from notifications.emails import FREQUENCIES, send_digests


class Command(BaseCommand):
    help = (
        "Send each member the digest emails that are due: a daily one once a day, a weekly one once a week. "
        "Idempotent: a member never gets two digests of a topic in one period."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--frequency",
            choices=["daily", "weekly", "auto"],
            default="auto",
            help="Only this frequency (default: both, each when its period is due).",
        )

    def handle(self, *args, frequency, **options):
        frequencies = FREQUENCIES if frequency == "auto" else (frequency,)
        result = send_digests(frequencies=frequencies)
        self.stdout.write(f"{result.sent} digest email{'s' if result.sent != 1 else ''} sent.")
        if result.failed:
            raise CommandError(
                f"{result.failed} digest email{'s' if result.failed != 1 else ''} could not be sent; "
                "they are tried again on the next run."
            )
