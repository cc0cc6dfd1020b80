"""Shared helpers for the benchmark scripts (run on demand, never collected by pytest)."""

import os
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def django_setup() -> None:
    """Configure Django from the environment (DATABASE_URL must point at the big dataset), as
    gunicorn loads it: through config.wsgi, which also tunes the garbage collector."""
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import config.wsgi  # noqa: F401 - django.setup() and the collector's settings


def percentile(values: list[float], p: float) -> float:
    """The p-th percentile (0-100) by nearest rank."""
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(p / 100 * len(ordered)) - 1))
    return ordered[k]


def summary(values: list[float]) -> str:
    return (
        f"p50 {statistics.median(values):7.1f} ms  p95 {percentile(values, 95):7.1f} ms  "
        f"max {max(values):7.1f} ms  n={len(values)}"
    )
