"""Time the first, middle and last page of the people list (issue 23: deep list pages).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/qadam_bench DEBUG=False \\
        .venv/bin/python -m benchmarks.deep_pages --repeat 20

For programme staff (every region) and the coordinator of the region with the most people,
requests the people list's first, middle and last page (by name, the default; and sorted by
birth year, descending) through the full Django stack and prints p50/p95 per page, the number
of queries of each page and the time of the slowest query (the count or the page). Also the
event list's first and last page.

`--paging offset` reads pages as before issue 23 (Django's plain OFFSET slice of the full
queryset, every annotation computed for every skipped row) for a before/after comparison on the
same data; the indexes are whatever the database has (migrate, or migrate back, to compare).
"""

import argparse
import time

from benchmarks.common import django_setup, summary

PER_PAGE = {"people": 25, "events": 25}  # participants.views, trainings.views.PAGE_SIZE


def _largest_region_coordinator():
    from django.db.models import Count

    from accounts.models import Role, User
    from regions.models import Region

    regions = Region.objects.annotate(n=Count("participants")).order_by("-n")
    for region in regions[:5]:
        user = (
            User.objects.filter(role=Role.COORDINATOR, is_active=True, regions=region)
            .annotate(n_regions=Count("regions"))
            .filter(n_regions=1)
            .first()
        )
        if user:
            return user, region
    raise SystemExit("no coordinator of one of the five largest regions: run seed_demo")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--paging", choices=["ids-first", "offset"], default="ids-first")
    args = parser.parse_args()
    django_setup()
    from django.core.paginator import Paginator
    from django.db import connection
    from django.test import Client
    from django.urls import reverse

    from accounts.models import User
    from accounts.scope import scope_for
    from core.listing import IdsFirstPaginator
    from participants.selectors import people_list
    from trainings.selectors import events_visible

    rows = {"people": people_list, "events": events_visible}

    if args.paging == "offset":
        IdsFirstPaginator.page = Paginator.page  # the plain slice: OFFSET over the full rows

    coordinator, region = _largest_region_coordinator()
    users = [User.objects.get(username="undp.staff"), coordinator]
    print(f"paging: {args.paging}; largest region {region.code} ({coordinator.username})")
    for user in users:
        client = Client()
        client.force_login(user)
        print(f"\n== {user.username} ==")
        for list_name, base, sorts in (
            ("people", reverse("participants:person_list"), ("", "-birth_year")),
            ("events", reverse("trainings:event_list"), ("",)),
        ):
            for sort in sorts:
                num_pages = -(-rows[list_name](scope_for(user)).count() // PER_PAGE[list_name])
                for label, number in (
                    ("first", 1),
                    ("middle", max(1, num_pages // 2)),
                    ("last", num_pages),
                ):
                    url = f"{base}?sort={sort}&page={number}"
                    timings, slowest = [], []
                    client.get(url)  # warm-up
                    for _ in range(args.repeat):
                        queries = []

                        def timed(execute, sql, params, many, context, queries=queries):
                            started = time.perf_counter()
                            try:
                                return execute(sql, params, many, context)
                            finally:
                                queries.append((time.perf_counter() - started) * 1000)

                        t = time.perf_counter()
                        with connection.execute_wrapper(timed):
                            response = client.get(url)
                        timings.append((time.perf_counter() - t) * 1000)
                        slowest.append(max(queries))
                    name = f"{list_name} {sort or 'default'} {label} (p.{number})"
                    slow = sorted(slowest)[len(slowest) // 2]
                    print(
                        f"{name:<38} {response.status_code} {summary(timings)}  "
                        f"queries {len(queries)}  slowest query p50 {slow:6.1f} ms",
                        flush=True,
                    )


if __name__ == "__main__":
    main()
