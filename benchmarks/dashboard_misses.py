"""Time the dashboard and the regions overview on a cache MISS (issue 23, goal 2).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/qadam_bench DEBUG=False \\
        .venv/bin/python -m benchmarks.dashboard_misses --repeat 10 [--path live]

Every request goes through the full Django stack (django.test.Client) after making every
cached figure stale (core.dataversion.forget_everything), so each one recounts. Pages: the
dashboard of programme staff (every region) and of the coordinator of the region with the most
people, for the latest quarter with events held and for its year, and the admins' regions
overview. Then the cost of keeping the summaries: the refresh after one attendance tap, after
re-counting a whole event (an import), and (--rebuild) a full rebuild.

`--path live` counts as before issue 23 on the same data, for a before/after comparison: the
dashboard's figures from the records (dashboard.figures.live_figures, "people registered"
with the plain count of main), the overview's people from the attendance
(participants.aggregates.people_reached_by_place).
"""

import argparse
import os
import time

from benchmarks.common import django_setup, summary


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--path", choices=["summaries", "live"], default="summaries")
    parser.add_argument("--no-writes", action="store_true", help="skip the refresh timings")
    parser.add_argument("--rebuild", action="store_true", help="also time a full rebuild")
    args = parser.parse_args()
    django_setup()
    from django.db import connection, transaction
    from django.db.models import Max
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from accounts.models import User
    from core import periods
    from core.dataversion import forget_everything
    from dashboard import figures as dashboard_figures
    from manage import selectors as manage_selectors
    from participants import summaries
    from participants.aggregates import people_reached_by_place
    from participants.models import Attendance, Enrolment
    from participants.selectors import people_visible
    from trainings.models import TrainingEvent

    from .deep_pages import _largest_region_coordinator

    if args.path == "live":
        dashboard_figures.figures = dashboard_figures.live_figures
        dashboard_figures.count_people_visible = lambda scope: people_visible(scope).count()
        manage_selectors.people_ever_reached = lambda: (
            people_reached_by_place("region"),
            people_reached_by_place("district"),
        )

    latest = (
        TrainingEvent.objects.exclude(status="planned")
        .filter(sessions__attendances__isnull=False)
        .aggregate(d=Max("start_date"))["d"]
    )
    quarter = periods.quarter_of(latest)
    year = periods.year(latest.year)
    coordinator, region = _largest_region_coordinator()
    admin = User.objects.filter(is_superuser=True).first() or User.objects.get(username="admin")
    print(
        f"path: {args.path}; {quarter.key} and {year.key}; largest region {region.code} "
        f"({coordinator.username}); load average {os.getloadavg()}"
    )
    pages = [
        ("staff dashboard quarter", "undp.staff", "/", {"period": quarter.key}),
        ("staff dashboard year", "undp.staff", "/", {"period": year.key}),
        ("coordinator dashboard quarter", coordinator.username, "/", {"period": quarter.key}),
        ("coordinator dashboard year", coordinator.username, "/", {"period": year.key}),
        ("regions overview", admin.username, reverse("manage:region_list"), {}),
    ]
    for label, username, url, query in pages:
        client = Client()
        client.force_login(User.objects.get(username=username))
        times, counts = [], []
        for i in range(args.repeat + 1):
            forget_everything()  # a miss: every cached figure is stale
            with CaptureQueriesContext(connection) as ctx:
                started = time.perf_counter()
                response = client.get(url, query)
                elapsed = 1000 * (time.perf_counter() - started)
            assert response.status_code == 200, (label, response.status_code)
            if i:  # the first is a warm-up
                times.append(elapsed)
                counts.append(len(ctx.captured_queries))
        print(f"{label:32} {summary(times)}  queries {max(counts)}")
    print(f"load average {os.getloadavg()}")

    if args.no_writes or args.path == "live":
        return
    # What keeping the summaries costs a write (run after its commit, in the writing process).
    enrolment = Enrolment.objects.filter(event__start_date__gte=quarter.start).last()
    taps = []
    for _ in range(args.repeat):
        with transaction.atomic():
            session = (
                enrolment.event.sessions.exclude(attendances__enrolment=enrolment).first()
                or enrolment.event.sessions.first()
            )
            Attendance.objects.filter(enrolment=enrolment, session=session).delete()
        started = time.perf_counter()
        with transaction.atomic():
            Attendance.objects.create(enrolment=enrolment, session=session)
        taps.append(1000 * (time.perf_counter() - started))
    print(f"{'attendance tap, commit+refresh':32} {summary(taps)}")
    events = []
    for _ in range(args.repeat):
        started = time.perf_counter()
        summaries.refresh(event_people=[enrolment.event_id])
        events.append(1000 * (time.perf_counter() - started))
    roster = Enrolment.objects.filter(event=enrolment.event_id).count()
    print(f"{f'one event recounted ({roster} people)':32} {summary(events)}")
    if not args.rebuild:
        return
    started = time.perf_counter()
    summaries.rebuild()
    print(f"full rebuild {time.perf_counter() - started:.1f} s; load {os.getloadavg()}")


if __name__ == "__main__":
    main()
