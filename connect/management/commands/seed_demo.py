"""Load fictional demo data. Safe to run again: nothing is duplicated."""

from django.core.management.base import BaseCommand
from django.db import transaction
from wagtail import hooks

from connect.demo import DEMO_PASSWORD, DEMO_TOTP_SECRET, seed_membership
from connect.tasks import search_index_drain


class Command(BaseCommand):
    help = "Load fictional demo task-force members, content and discussions (idempotent)."

    def handle(self, *args, **options):
        with transaction.atomic():
            accounts = seed_membership(self.stdout)
        # Apps above the ground floor add their own demo data through this hook.
        for seed in hooks.get_hooks("register_demo_seed"):
            with transaction.atomic():
                seed(self.stdout)
        # Everything seeded is searchable at once, worker or not.
        indexed = search_index_drain()
        if indexed:
            self.stdout.write(f"Search index: {indexed} objects indexed.")
        self.stdout.write(self.style.SUCCESS("Demo data is ready. Sign in at http://127.0.0.1:8000/"))
        for email, role in accounts:
            self.stdout.write(f"  {role.label:<14} {email}")
        self.stdout.write(f"  Password for every demo account: {DEMO_PASSWORD}")
        self.stdout.write(
            f"  Two-factor secret (add to an authenticator app): {DEMO_TOTP_SECRET}\n"
            "  or print the current code with: make totp"
        )
