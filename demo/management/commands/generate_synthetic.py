"""Fill the database with synthetic national-scale data for benchmarks (see demo/synthetic.py).

    python manage.py generate_synthetic --participants 200000 --events 5000 --seed 42

Bulk inserts without audit history (COPY on PostgreSQL, --bulk-create for the old INSERTs);
progress on stderr. --purge removes a previous run first.
"""

import time

from django.core.management.base import BaseCommand

from demo import synthetic


class Command(BaseCommand):
    help = "Generate deterministic synthetic events, people, attendance and feedback (benchmarks)."

    def add_arguments(self, parser):
        parser.add_argument("--participants", type=int, default=200_000)
        parser.add_argument("--events", type=int, default=5_000)
        parser.add_argument("--seed", type=int, default=42)
        parser.add_argument("--batch-size", type=int, default=10_000)
        parser.add_argument(
            "--regions-all",
            action="store_true",
            help="All 20 regions are always used (each gets >= 10 districts).",
        )
        parser.add_argument(
            "--bulk-create",
            action="store_true",
            help="Insert with bulk_create even on PostgreSQL (the slower way before issue 23).",
        )
        parser.add_argument(
            "--purge", action="store_true", help="Delete earlier synthetic data before generating."
        )

    def handle(self, *args, **opts):
        started = time.monotonic()
        if opts["purge"]:
            synthetic.purge()
        res = synthetic.generate(
            participants=opts["participants"],
            events=opts["events"],
            seed=opts["seed"],
            batch_size=opts["batch_size"],
            copy=False if opts["bulk_create"] else None,
        )
        self.stdout.write(
            f"Created {res.events} events, {res.sessions} sessions, {res.participants} people, "
            f"{res.enrolments} enrolments, {res.attendance} attendance, {res.feedback} feedback, "
            f"{res.assessments} pre/post tests, {res.districts_created} districts "
            f"in {time.monotonic() - started:.0f} s (no audit history for synthetic rows)."
        )
