"""Time the main pages through the full Django stack (middleware, auth, templates).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/qadam_bench \
        .venv/bin/python -m benchmarks.pages --repeat 30

Logs in as a staff user (all regions) and a coordinator (one region) with django.test.Client,
requests each page `--repeat` times after one warm-up and prints p50/p95 per page.
"""

import argparse
import logging
import time

from benchmarks.common import django_setup, summary

logger = logging.getLogger("benchmarks.pages")


def pages(event_id: int, person_id: int) -> dict[str, str]:
    from django.urls import NoReverseMatch, reverse

    out = {
        "dashboard": reverse("home"),
        "event list": reverse("trainings:event_list"),
        "event list, page 50": reverse("trainings:event_list") + "?page=50",
        "event detail": reverse("trainings:event_detail", args=[event_id]),
        "person detail": reverse("participants:person_detail", args=[person_id]),
    }
    # Pages other helpers add: measured when their URL names exist.
    optional = {
        "event list, filtered": ("trainings:event_list", [], "?region=1&status=held"),
        "participant list": ("participants:person_list", [], ""),
        "participant search": ("participants:person_list", [], "?q=Akhmetov"),
        "attendance grid": ("trainings:attendance", [event_id], ""),
        "report runs": ("reports:run_list", [], ""),
    }
    for name, (urlname, args, query) in optional.items():
        try:
            out[name] = reverse(urlname, args=args) + query
        except NoReverseMatch:
            logger.warning("no page %s (%s) yet", name, urlname)
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--users", default="undp.staff,coord.mangystau")
    args = parser.parse_args()
    django_setup()
    from django.db.models import Count
    from django.test import Client
    from django.test.utils import setup_test_environment

    from accounts.models import User
    from participants.models import Participant
    from trainings.models import TrainingEvent

    setup_test_environment()  # allows the test client's 'testserver' host
    kz47 = "KZ-47"
    event = (
        TrainingEvent.objects.filter(region__code=kz47)
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
        for name, url in pages(event.pk, person.pk).items():
            timings = []
            response = client.get(url)  # warm-up
            for _ in range(args.repeat):
                t = time.perf_counter()
                response = client.get(url)
                timings.append((time.perf_counter() - t) * 1000)
            print(f"{name:<22} {response.status_code}  {summary(timings)}")


if __name__ == "__main__":
    main()
