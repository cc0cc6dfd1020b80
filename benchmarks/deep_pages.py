"""Time the first and the last page of every list (issue 23: deep list pages).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/qadam_bench DEBUG=False \\
        .venv/bin/python -m benchmarks.deep_pages --repeat 20

For programme staff (every region), the coordinator of the region with the most people and an
admin, requests the first and the last page of every list page the user may open (the people
list also its middle page and sorted by birth year; the event list also sorted by people)
through the full Django stack (the middle page also as "Next" reaches it from the page before,
where the list's links read on from a row: core.listing `IdsFirstPaginator.seek`), and prints
p50/p95 per page, the number of queries of each page
and the time of the slowest query (the count or the page). The last page is asked for as
the number of pages its first page shows ("Page 1 of N"); where the count is estimated ("of
about N") and a list that shows no number, as `?page=<beyond the end>`, which every list
answers with its real last page (the page at the estimate is timed too, "at the estimate").
Lists a user may not open (403/404) are left out; lists with one page print it once.

`--cold` empties the cache before every request: a searched list's kept count is counted again
each time, as for the first user to ask after a write in the regions.

`--only people,events` times the lists whose name starts with one of these words;
`--users staff,admin` only those users (staff, coordinator, admin).

`--paging offset` reads pages as before issue 23 (Django's plain OFFSET slice of the full
queryset, every annotation computed for every skipped row) for a before/after comparison on the
same data; the indexes are whatever the database has (migrate, or migrate back, to compare).
"""

import argparse
import os
import time

from benchmarks.common import django_setup, summary

LAST = 10**6  # a page number past the end of every list: Paginator.get_page gives the last


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


def _lists(region) -> list[tuple[str, str, str]]:
    """(name, url, page parameter) of every list page, for the data in the database."""
    from django.db.models import Count
    from django.urls import reverse

    from manage.views import RESOURCES
    from regions.models import PartnerOrganisation
    from trainings.models import TrainingEvent

    people = reverse("participants:person_list")
    events = reverse("trainings:event_list")
    busiest = (
        TrainingEvent.objects.filter(region=region)
        .annotate(n=Count("sessions"))
        .order_by("-n", "pk")
        .first()
    )
    partner = PartnerOrganisation.objects.annotate(n=Count("people")).order_by("-n", "pk").first()
    rows = [
        ("people, by name", people, "page"),
        ("people, birth year desc.", people + "?sort=-birth_year", "page"),
        ("people, searched a name", people + "?q=Динара", "page"),  # about 1 person in 50
        ("people, searched ов", people + "?q=ов", "page"),  # two letters: nearly everyone
        ("people, women", people + "?sex=F", "page"),
        ("events, newest", events, "page"),
        ("events, by people", events + "?sort=-people", "page"),
        ("events, by title", events + "?sort=title", "page"),
        ("possible duplicates", reverse("participants:possible_duplicates"), "page"),
        ("report runs", reverse("reports:run_list"), "page"),
        ("indicators", reverse("reports:indicator_list"), "page"),
        ("narratives", reverse("reports:narrative_list"), "page"),
        ("quotes to review", reverse("reports:quote_review") + "?status=all", "page"),
        ("follow-up calls", reverse("followup:calls"), "page"),
        ("follow-up rounds", reverse("followup:rounds"), "page"),
        ("imports", reverse("imports:home"), "page"),
        ("kobo forms", reverse("kobo:connections"), "page"),
        ("kobo waiting", reverse("kobo:waiting"), "page"),
        ("api tokens", reverse("api:tokens"), "page"),
        ("users", reverse("accounts:user_list"), "page"),
        ("audit log", reverse("accounts:audit_log"), "page"),
        ("security log", reverse("accounts:security_log"), "page"),
        ("retention review", reverse("privacy:retention"), "page"),
        ("webhook endpoints", reverse("webhooks:endpoint_list"), "page"),
        ("webhook deliveries", reverse("webhooks:delivery_list"), "page"),
        ("manage regions", reverse("manage:region_list"), "page"),
    ]
    if busiest:
        rows.append(
            ("sessions of an event", reverse("trainings:event_sessions", args=[busiest.pk]), "page")
        )
    if partner:
        detail = reverse("manage:partner_detail", args=[partner.pk])
        rows += [
            ("partner's people", detail, "page"),
            ("partner's events", detail, "events_page"),
        ]
    rows += [(f"manage {r.segment}", r.url("list"), "page") for r in RESOURCES]
    return rows


def _time(client, url: str, repeat: int, cold: bool = False):
    """Timings (ms), the last response, its query count and the median slowest query (ms).
    `cold`: the cache is emptied before every request (no kept count, no cached figure)."""
    from django.core.cache import cache
    from django.db import connection

    timings, slowest = [], []
    client.get(url)  # warm-up
    response, queries = None, []
    for _ in range(repeat):
        queries = []

        def timed(execute, sql, params, many, context, queries=queries):
            started = time.perf_counter()
            try:
                return execute(sql, params, many, context)
            finally:
                queries.append((time.perf_counter() - started) * 1000)

        if cold:
            cache.clear()
        t = time.perf_counter()
        with connection.execute_wrapper(timed):
            response = client.get(url)
        timings.append((time.perf_counter() - t) * 1000)
        slowest.append(max(queries, default=0.0))
    return timings, response, len(queries), sorted(slowest)[len(slowest) // 2]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--paging", choices=["ids-first", "offset"], default="ids-first")
    parser.add_argument("--only", default="", help="comma-separated list name prefixes")
    parser.add_argument("--users", default="staff,coordinator,admin")
    parser.add_argument(
        "--cold",
        action="store_true",
        help="empty the cache before every request (counts kept per data version are redone)",
    )
    args = parser.parse_args()
    django_setup()
    import logging

    logging.getLogger("django.request").setLevel(logging.CRITICAL)  # the 403s of other roles
    from django.core.paginator import Paginator
    from django.test import Client

    from accounts.models import User
    from core.listing import IdsFirstPaginator

    if args.paging == "offset":
        IdsFirstPaginator.page = Paginator.page  # the plain slice: OFFSET over the full rows

    coordinator, region = _largest_region_coordinator()
    users = {
        "staff": User.objects.get(username="undp.staff"),
        "coordinator": coordinator,
        "admin": User.objects.get(username="admin"),
    }
    only = tuple(w.strip() for w in args.only.split(",") if w.strip())
    lists = [row for row in _lists(region) if not only or row[0].startswith(only)]
    print(
        f"paging: {args.paging}; largest region {region.code} ({coordinator.username}); "
        f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}"
    )
    for key in args.users.split(","):
        user = users[key.strip()]
        client = Client()
        client.force_login(user)
        print(f"\n== {user.username} ==", flush=True)
        for name, url, param in lists:
            join = "&" if "?" in url else "?"
            pages = [("first", url), ("last", None)]
            if name.startswith("people"):
                pages.insert(1, ("middle", None))
            first_page = client.get(url).content.decode()
            if _says_about(first_page):
                # The real last page (as "Next" reaches it; the list answers it past the end)
                # and the page at the estimate, which is a middle page when it is low.
                pages.append(("at the estimate", None))
            if name.startswith("people"):
                pages.insert(2, ("middle, by Next", None))
            for label, page_url in pages:
                if page_url is None:  # the last page as the list numbers it ("of about N")
                    number = _page_total(first_page, param)
                    if label.startswith("middle"):
                        number = max(1, number // 2)
                    elif label == "last" and _says_about(first_page):
                        number = LAST
                    page_url = f"{url}{join}{param}={number}"
                    if label == "middle, by Next":
                        # As a user paging on reaches it: the link of the page before.
                        before = client.get(f"{url}{join}{param}={max(1, number - 1)}")
                        page_url = _next_link(url, before.content.decode())
                        if page_url is None or "after=" not in page_url:
                            continue  # read by its number like the middle page
                timings, response, n_queries, slow = _time(client, page_url, args.repeat, args.cold)
                if response.status_code != 200:
                    print(f"{name:<30} {response.status_code} (not for this user)", flush=True)
                    break
                if label == "first" and _last_number(response.content.decode(), param) == 1:
                    print(f"{name + ', one page':<38} {summary(timings)}  ", end="")
                    print(f"queries {n_queries:2}  slowest query p50 {slow:6.1f} ms", flush=True)
                    break
                print(
                    f"{name + ', ' + label:<38} {summary(timings)}  "
                    f"queries {n_queries:2}  slowest query p50 {slow:6.1f} ms",
                    flush=True,
                )
    print(f"\nload average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


def _page_total(text: str, param: str) -> int:
    """The number of pages the list's first page says it has ("Page 1 of N", "of about N");
    past the end when it says none. The partner page pages events first, then people."""
    import re

    totals = re.findall(r"Page 1 of (?:about )?([\d,\xa0 ]+)<", text)
    if not totals:
        return LAST
    total = totals[0] if param == "events_page" else totals[-1]
    return int(re.sub(r"\D", "", total))


def _next_link(url: str, text: str) -> str | None:
    """The page's "Next" link as a URL of the list, or None."""
    import re
    from html import unescape

    found = re.search(r'<a class="page-link" href="([^"]*)">Next</a>', text)
    return url.split("?")[0] + unescape(found.group(1)) if found else None


def _says_about(text: str) -> bool:
    """Does the list's first page say its count is estimated ("Page 1 of about N")?"""
    return "Page 1 of about" in text


def _last_number(text: str, param: str) -> int:
    """The highest `param=N` a page's pagination links to (the last page's number)."""
    import re

    numbers = [int(n) for n in re.findall(rf"[?&;]{param}=(\d+)", text)]
    return max([n for n in numbers if n < LAST], default=1)


if __name__ == "__main__":
    main()
