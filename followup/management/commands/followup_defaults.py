from django.core.management.base import BaseCommand

from followup.defaults import install
from followup.models import QuestionSet, Round


class Command(BaseCommand):
    help = "Create the shipped follow-up question sets and rounds that are missing (kk/ru/en)."

    def handle(self, *args, **options):
        created = install(QuestionSet, Round)
        self.stdout.write(f"{created} follow-up question set(s)/round(s) created.")
