"""The process gunicorn starts (config/wsgi.py): the application loads, serves a page, and the
garbage collector no longer walks the objects made while starting (a full collection over
them added 100-150 ms to one request in ten to fifteen: docs/performance.md)."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

PROBE = """
import gc, json
from django.test import Client
from django.urls import reverse
frozen_before = gc.get_freeze_count()
import config.wsgi
print(json.dumps({
    "frozen_before": frozen_before,
    "frozen": gc.get_freeze_count(),
    "threshold": gc.get_threshold(),
    "youngest": config.wsgi.GC_YOUNGEST_THRESHOLD,
    "login": Client(SERVER_NAME="localhost").get(reverse("login")).status_code,
}))
"""


def test_the_wsgi_process_serves_with_its_startup_objects_frozen(tmp_path):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'probe.sqlite3'}",
    }
    env.pop("REDIS_URL", None)
    out = subprocess.run(  # noqa: S603 - fixed arguments
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    probe = json.loads(out.stdout.strip().splitlines()[-1])
    assert probe["frozen_before"] == 0
    # Django, the apps and their modules: tens of thousands of objects out of the collector's way.
    assert probe["frozen"] > 20_000
    assert probe["threshold"][0] == probe["youngest"] > 700
    assert probe["login"] == 200
