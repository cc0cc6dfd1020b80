from django.core.management.base import BaseCommand

from demo.seed import seed_demo


class Command(BaseCommand):
    help = "Load the demo data (August 2024 period) and one user per role. Safe to run twice."

    def handle(self, *args, **options):
        result = seed_demo()
        if result.created:
            self.stdout.write(self.style.SUCCESS("Demo data loaded."))
        else:
            self.stdout.write("Demo data already present: nothing changed.")
        self.stdout.write(
            "Demo users (password from DEMO_PASSWORD, default 'qadam-demo-2024'): "
            + ", ".join(result.usernames)
        )
