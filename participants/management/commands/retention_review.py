"""List people with no activity for PERSONAL_DATA_RETENTION_YEARS (ids, not names), for the
administrators' periodic review; the same list is on /privacy/retention/."""

from django.conf import settings
from django.core.management.base import BaseCommand

from participants.models import Participant
from participants.privacy import people_due_for_review, retention_cutoff


class Command(BaseCommand):
    help = "List people due for a retention review (no activity for N years)."

    def handle(self, *args, **options):
        due = people_due_for_review(Participant.objects.all())
        years = settings.PERSONAL_DATA_RETENTION_YEARS
        self.stdout.write(
            f"{due.count()} people with no activity since {retention_cutoff()} ({years} years):"
        )
        for person in due.iterator(chunk_size=2000):
            self.stdout.write(
                f"#{person.pk}\t{person.region.code}\t{person.category.code}\t"
                f"last event {person.last_event or '-'}\t"
                f"{settings.SITE_URL.rstrip('/')}/privacy/people/{person.pk}/erase/"
            )
