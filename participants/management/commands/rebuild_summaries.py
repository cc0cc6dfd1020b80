"""Count the summaries the dashboard and the regions overview read (participants/summaries.py)
again from the records: after writes that bypassed the signals (raw SQL, a restore)."""

import time

from django.core.management.base import BaseCommand

from participants.summaries import rebuild


class Command(BaseCommand):
    help = "Count the dashboard's summaries (event figures, people reached) again."

    def handle(self, *args, **options):
        started = time.monotonic()
        rebuild()
        self.stdout.write(f"summaries rebuilt in {time.monotonic() - started:.1f} s")
