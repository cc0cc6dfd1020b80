"""A fresh clone runs on SQLite with no server installed (README: `make run`): its migrations,
the demo, the main pages and the report must work there, whatever database this suite runs on.
CI runs the suite on PostgreSQL, so without this check a migration or a query that only
PostgreSQL understands broke `make run` unnoticed (the dashboard summaries' migration did)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Run by `manage.py shell` against the new SQLite database: every line it prints is checked.
VISIT = """
from django.test import Client
from django.test.utils import setup_test_environment

from accounts.models import User
from reports.builder import build_report_data
from reports.renderers import FORMATS, render
from trainings.models import Programme

setup_test_environment()
pages = {
    "undp.staff": ["/", "/?period=2024", "/?period=2024Q3", "/on-track/", "/events/",
                   "/events/?sort=-people", "/people/", "/people/?q=ов", "/reports/",
                   "/followup/calls/", "/exports/"],
    "coord.mangystau": ["/", "/events/", "/people/", "/followup/calls/"],
    "admin": ["/manage/", "/manage/regions/"],
}
for username, urls in pages.items():
    client = Client()
    client.force_login(User.objects.get(username=username))
    for url in urls:
        print("page", username, url, client.get(url).status_code)
programme = Programme.objects.get(code="PVE-KZ-JP")
from core import periods
quarter = periods.parse("2024Q3")
data = build_report_data(start=quarter.start, end=quarter.end, region_ids=None, language="en",
                         period_label="2024Q3", programme=programme)
codes = {row["code"] for row in data.indicators}
print("outcomes", sorted(c for c in codes if c.startswith("OC")))
for fmt in FORMATS:
    print("report", fmt, len(render(data, fmt).content) > 0)
"""


def _manage(*args: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603 (our own manage.py)
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_a_fresh_clone_migrates_seeds_and_serves_the_demo_on_sqlite(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'fresh.sqlite3'}"
    for step in (("migrate", "--noinput"), ("seed_demo",)):
        done = _manage(*step, env=env)
        assert done.returncode == 0, done.stderr[-3000:]
    done = _manage("shell", "-c", VISIT, env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    lines = done.stdout.splitlines()
    pages = [line.split() for line in lines if line.startswith("page ")]
    assert len(pages) == 17
    assert all(status == "200" for *_, status in pages), pages
    # The demo report shows the follow-up outcome indicators (issue 22) on SQLite as well.
    assert any(line.startswith("outcomes ['OC") for line in lines), lines
    assert sorted(line for line in lines if line.startswith("report ")) == sorted(
        f"report {fmt} True" for fmt in ("pdf", "docx", "xlsx", "csv", "iati")
    )
