"""Real services the tests need (PostgreSQL, Redis with a Celery worker, Chromium).

Absent on a laptop: the tests that need them skip with a reason. Under CI=true a missing
service fails the run instead, so it is never skipped silently."""

from __future__ import annotations

import os
import shutil
import socket
from urllib.parse import urlparse

import pytest

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
# QADAM_DEEP_TESTS=1: the deeper profile, for a run before a release or after a change to what
# the trimmed cases cover (docs/performance.md, "Test suite time"): cases that repeat a code
# path another case already takes, left out of the ordinary run (and CI) to keep it short.
DEEP = os.environ.get("QADAM_DEEP_TESTS", "").lower() in {"1", "true", "yes"}


def unavailable(reason: str) -> None:
    """Skip the test, or fail it under CI where every service must be there."""
    if IN_CI:
        pytest.fail(f"CI=true but {reason}", pytrace=False)
    pytest.skip(reason)


def redis_reachable(url: str) -> bool:
    parts = urlparse(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 6379), 1):
            return True
    except OSError:
        return False


def redis_missing_reason() -> str | None:
    url = os.environ.get("REDIS_URL", "")
    if not url:
        return "REDIS_URL is not set: no broker for a real Celery worker"
    if not redis_reachable(url):
        return f"Redis at {url} does not answer"
    return None


def browser_missing_reason() -> str | None:
    if not shutil.which(CHROMIUM) and not os.path.exists(CHROMIUM):
        return f"no Chromium at {CHROMIUM} (apt-get install chromium chromium-driver)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed"
    return None
