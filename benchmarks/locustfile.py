"""Locust users for benchmarks/load.py: staff browsing the main pages (logged in once each)."""

import random
import re

from locust import HttpUser, between, task

USERNAME = "undp.staff"
PASSWORD = "qadam-demo-2024"  # seed_demo's default demo password (DEMO_PASSWORD)
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


class Staff(HttpUser):
    wait_time = between(0.5, 2)
    event_ids: list[int] = []

    def on_start(self) -> None:
        page = self.client.get("/login/", name="login form")
        token = CSRF.search(page.text).group(1)
        self.client.post(
            "/login/",
            {"username": USERNAME, "password": PASSWORD, "csrfmiddlewaretoken": token},
            headers={"Referer": self.client.base_url + "/login/"},
            name="login",
        )
        listing = self.client.get("/events/", name="event list")
        self.event_ids = [int(x) for x in re.findall(r'href="/events/(\d+)/"', listing.text)]

    @task(3)
    def dashboard(self) -> None:
        self.client.get("/", name="dashboard")

    @task(4)
    def event_list(self) -> None:
        self.client.get(f"/events/?page={random.randint(1, 50)}", name="event list")

    @task(4)
    def event_detail(self) -> None:
        if self.event_ids:
            self.client.get(f"/events/{random.choice(self.event_ids)}/", name="event detail")
