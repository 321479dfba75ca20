"""Print the current two-factor code for the demo accounts."""

import time

from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.conf import settings
from django.core.management.base import BaseCommand

from connect.demo import DEMO_TOTP_SECRET


class Command(BaseCommand):
    help = "Print the current TOTP code of the demo accounts (demo data only)."

    def handle(self, *args, **options):
        period = getattr(settings, "MFA_TOTP_PERIOD", 30)
        counter = int(time.time()) // period
        remaining = period - int(time.time()) % period
        code = format_hotp_value(hotp_value(DEMO_TOTP_SECRET, counter))
        self.stdout.write(f"{code}  (valid for {remaining} more seconds)")
