"""Move to held every planned event with attendance at a session dated today or earlier
(docs/decisions/0010). Beat runs the same service daily; without Redis there is no beat, so run
this once after deploying and from cron.

    python manage.py hold_attended_events
"""

from __future__ import annotations

from django.core.management.base import BaseCommand

from trainings.services import hold_attended_events


class Command(BaseCommand):
    help = "Mark as held the planned events people have attended (each change is audited)."

    def handle(self, *args, **options):
        moved = hold_attended_events()
        self.stdout.write(f"{moved} planned event(s) with attendance marked as held.")
