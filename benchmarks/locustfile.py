"""Locust users for benchmarks/load.py: staff browsing the main pages (logged in once each).

A response counts as a failure unless it is a 200 of the page asked for: a redirect to the
login page (a lost session) or to anywhere else is an error too (redirects are not followed).

The users are `FastHttpUser`s (geventhttpclient): the load generator runs on the same two
cores as the server, and locust's default `HttpUser` (requests) spent about a quarter of a core
reading 50-100 KB pages at 25 requests/s, CPU the server then did not have."""

import random
import re

from locust import between, task
from locust.contrib.fasthttp import FastHttpUser

USERNAME = "undp.staff"
PASSWORD = "qadam-demo-2024"  # seed_demo's default demo password (DEMO_PASSWORD)
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
SURNAMES = ["Akhmetov", "Omarov", "Sultanova", "Iskakov", "Bekova", "Tokayev"]


_logged_in = 0  # users past on_start in this locust process


def _all_logged_in(environment) -> None:
    """Once every user has logged in and read its start pages, statistics start afresh: they
    then describe the steady state, not the minute when 50 logins queue behind each other's
    password hashing (locust's --reset-stats resets when the users are spawned, before that)."""
    global _logged_in
    _logged_in += 1
    if _logged_in == environment.runner.target_user_count:
        environment.stats.reset_all()


class Staff(FastHttpUser):
    wait_time = between(0.5, 2)
    event_ids: list[int] = []
    person_ids: list[int] = []

    def on_start(self) -> None:
        page = self.client.get("/login/", name="login form")
        token = CSRF.search(page.text).group(1)
        with self.client.post(
            "/login/",
            data={"username": USERNAME, "password": PASSWORD, "csrfmiddlewaretoken": token},
            headers={"Referer": self.host + "/login/"},
            name="login",
            allow_redirects=False,
            catch_response=True,
        ) as response:
            if response.status_code != 302:
                response.failure(f"login answered {response.status_code}")
        # Named apart: they queue behind the 50 logins' password hashing at the start.
        listing = self.client.get("/events/?status=held", name="start: event list")
        self.event_ids = [int(x) for x in re.findall(r'href="/events/(\d+)/"', listing.text)]
        people = self.client.get("/people/", name="start: people list")
        self.person_ids = [int(x) for x in re.findall(r'href="/people/(\d+)/"', people.text)]
        _all_logged_in(self.environment)

    def page(self, url: str, name: str) -> None:
        with self.client.get(
            url, name=name, catch_response=True, allow_redirects=False
        ) as response:
            if response.status_code != 200:
                location = response.headers.get("Location", "")
                response.failure(f"{response.status_code} at {url} {location}".strip())

    @task(3)
    def dashboard(self) -> None:
        self.page("/", "dashboard")

    @task(1)
    def dashboard_year(self) -> None:
        self.page("/?period=2026", "dashboard, year")

    @task(3)
    def event_list(self) -> None:
        self.page(f"/events/?page={random.randint(1, 50)}", "event list")

    @task(2)
    def event_list_filtered(self) -> None:
        region = random.randint(1, 20)
        self.page(f"/events/?region={region}&status=held&sort=-people", "event list, filtered")

    @task(3)
    def event_detail(self) -> None:
        if self.event_ids:
            self.page(f"/events/{random.choice(self.event_ids)}/", "event detail")

    @task(2)
    def attendance_grid(self) -> None:
        if self.event_ids:
            event = random.choice(self.event_ids)
            self.page(f"/people/events/{event}/attendance/", "attendance grid")

    @task(2)
    def people_list(self) -> None:
        self.page(f"/people/?page={random.randint(1, 200)}", "people list")

    @task(2)
    def people_search(self) -> None:
        self.page(f"/people/?q={random.choice(SURNAMES)}", "people search")

    @task(2)
    def person_detail(self) -> None:
        if self.person_ids:
            self.page(f"/people/{random.choice(self.person_ids)}/", "person detail")
