"""Time the main pages through the full Django stack (middleware, auth, templates).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/qadam_bench \
        .venv/bin/python -m benchmarks.pages --repeat 30

Logs in as a staff user (all regions) and a coordinator (one region) with django.test.Client,
requests each page `--repeat` times after one warm-up and prints p50/p95 per page. The event
is Mangystau's largest roster, the person the one with the most events there. Run with
DEBUG=False (as production; DEBUG also records every SQL query in memory).
"""

import argparse
import time

from benchmarks.common import django_setup, summary


def pages(event_id: int, person_id: int, region_id: int, username: str) -> dict[str, str]:
    from django.urls import reverse

    events = reverse("trainings:event_list")
    people = reverse("participants:person_list")
    e = [event_id]
    out = {
        "dashboard": reverse("home"),
        "dashboard, year 2026": reverse("home") + "?period=2026",
        "event list": events,
        "event list, page 50": events + "?page=50",
        "event list, filtered": events + f"?region={region_id}&status=held",
        "event list, search": events + "?q=youth",
        "event list, by people": events + "?sort=-people",
        "event detail": reverse("trainings:event_detail", args=e),
        "event roster": reverse("participants:roster_add", args=e),
        "attendance grid": reverse("participants:attendance_grid", args=e),
        "feedback summary": reverse("participants:event_feedback", args=e),
        "scores entry": reverse("participants:event_scores_entry", args=e),
        "participant list": people,
        "participant list, p.100": people + "?page=100",
        "participant search": people + "?q=Akhmetov",
        "person detail": reverse("participants:person_detail", args=[person_id]),
        "report runs": reverse("reports:run_list"),
    }
    if username == "admin":
        from manage.views import RESOURCES
        from regions.models import PartnerOrganisation

        out["manage"] = reverse("manage:index")
        out["manage: regions"] = reverse("manage:region_list")
        for resource in RESOURCES:
            out[f"manage: {resource.segment}"] = resource.url("list")
        partner = PartnerOrganisation.objects.order_by("pk").first()
        if partner:
            out["manage: a partner"] = reverse("manage:partner_detail", args=[partner.pk])
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--users", default="undp.staff,coord.mangystau")
    parser.add_argument("--only", default="", help="comma-separated page names to time")
    args = parser.parse_args()
    django_setup()
    from django.db.models import Count
    from django.test import Client

    from accounts.models import User
    from participants.models import Participant
    from trainings.models import TrainingEvent

    # No setup_test_environment(): it instruments every template render (the test client then
    # copies each context), which is not what production pays. 'testserver' is in
    # ALLOWED_HOSTS outside production settings.
    kz47 = "KZ-47"
    event = (  # "held": still editable by its coordinator, so the roster pages open for both
        TrainingEvent.objects.filter(region__code=kz47, status=TrainingEvent.Status.HELD)
        .annotate(n=Count("enrolments"))
        .order_by("-n")
        .first()
    )
    person = (
        Participant.objects.filter(region__code=kz47)
        .annotate(n=Count("enrolments"))
        .order_by("-n")
        .first()
    )
    for username in args.users.split(","):
        client = Client()
        client.force_login(User.objects.get(username=username))
        print(f"\n== {username} (event {event.pk}, person {person.pk}) ==")
        only = {n.strip() for n in args.only.split(",") if n.strip()}
        for name, url in pages(event.pk, person.pk, event.region_id, username).items():
            if only and name not in only:
                continue
            timings = []
            response = client.get(url)  # warm-up
            for _ in range(args.repeat):
                t = time.perf_counter()
                response = client.get(url)
                timings.append((time.perf_counter() - t) * 1000)
            print(f"{name:<24} {response.status_code}  {summary(timings)}", flush=True)


if __name__ == "__main__":
    main()
