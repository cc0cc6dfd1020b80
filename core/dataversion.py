"""A cache key that changes whenever the data under it may have changed, for aggregates that
are slow to count (the dashboard's figures, the regions page's counts) and must never be
served stale after a write.

The key of `data_cached(name, compute)` holds:
- a stamp of the highest id of every tracked table (one query of index look-ups): it moves
  with every insert, bulk inserts (imports, "all present") included;
- a version bumped after every commit that saved or deleted a row of a tracked table
  (post_save/post_delete signals): updates and deletions.
Code that bulk-updates tracked tables calls `data_changed()` itself (imports, merges do); any
other write that bypasses both (QuerySet.update, raw SQL) is seen at the latest after
DASHBOARD_CACHE_SECONDS. Inside a transaction the cache is not used at all: that connection
may see its own uncommitted rows, which must not be shared.

The tables are named by the app that reads them (`track(...)` in its AppConfig.ready()), so
this module, at the bottom of the layers, imports no app of the project. With Redis down the
cache misses and `compute()` runs (core/cache.py); the bump after a commit never raises.

Per-region versions (`region_cached`, issue 23): figures that are counted from summaries kept
per region (participants/summaries.py) are cached under a key holding the version of each
region of the scope (or the national version), bumped by `bump_regions` after a refresh of
the summaries of those regions: a write in one region leaves the other regions' cached
figures alone. `forget_everything()` (tests, a rebuild of the summaries) makes them all
stale."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Model
from django.db.models.signals import post_delete, post_save

from core import cache as safe_cache

CACHE_PREFIX = "qadam:dashboard:"
VERSION_KEY = CACHE_PREFIX + "version"
REGION_VERSION_KEY = CACHE_PREFIX + "region:{}"
NATIONAL_VERSION_KEY = CACHE_PREFIX + "regions"  # moves with every region's
GENERATION_KEY = CACHE_PREFIX + "generation"  # moves when everything is recounted
T = TypeVar("T")

# The tracked models, in the order they were tracked (the same in every process: app order).
_tracked: list[type[Model]] = []


def track(*models: type[Model]) -> None:
    """Count `models` in the stamp and bump the version after every commit that saves or
    deletes one of their rows."""
    for model in models:
        if model not in _tracked:
            _tracked.append(model)
        uid = f"dashboard-{model._meta.label_lower}"
        post_save.connect(data_changed, sender=model, dispatch_uid=uid + "-save")
        post_delete.connect(data_changed, sender=model, dispatch_uid=uid + "-delete")


def _data_stamp() -> str:
    """The highest id of each tracked table, in one query (each MAX is an index look-up)."""
    if not _tracked:
        return ""
    quote = connection.ops.quote_name
    # The table names come from the models' metadata (quoted), never from input: the nosec
    # below is for that reason.
    tables = [quote(model._meta.db_table) for model in _tracked]
    sql = "SELECT " + ", ".join(f"(SELECT MAX(id) FROM {t})" for t in tables)  # noqa: S608 # nosec B608
    with connection.cursor() as cursor:
        cursor.execute(sql)
        row = cursor.fetchone()
    return "-".join(str(v or 0) for v in row)


def data_cached(name: str, compute: Callable[[], T]) -> T:
    """`compute()` (aggregates of the tracked tables, picklable), from the cache when none of
    those tables changed since it was stored under `name`."""
    if connection.in_atomic_block:
        return compute()
    # The cache is an optimisation: when Redis is down, safe_cache misses and the figures are
    # computed from the database (core/cache.py).
    key = f"{CACHE_PREFIX}{name}:{safe_cache.get(VERSION_KEY, 0)}:{_data_stamp()}"
    found = safe_cache.get(key)
    if found is None:
        found = compute()
        safe_cache.set(key, found, settings.DASHBOARD_CACHE_SECONDS)
    return found


def new_version() -> None:
    """Make every cached value stale (tests call it after putting data back behind the
    signals' back)."""
    # Runs after the commit: it must never turn a saved change into an error page. With Redis
    # down the bump is lost (logged); figures cached before are then served until they expire
    # (DASHBOARD_CACHE_SECONDS) unless Redis lost them too.
    safe_cache.set(VERSION_KEY, time.time_ns(), None)


def data_changed(**kwargs) -> None:
    """Receiver of post_save/post_delete of the tracked models (and called by code that
    bulk-updates them): after the commit, a new version makes every cached value stale (once
    per transaction, however many rows)."""
    if any(entry[1] is new_version for entry in connection.run_on_commit):
        return
    transaction.on_commit(new_version, robust=True)


def region_versions(region_ids: list[int] | None) -> str:
    """The versions of these regions (None: of the whole country), in one cache read."""
    if region_ids is None:
        keys = [NATIONAL_VERSION_KEY]
    else:
        keys = [REGION_VERSION_KEY.format(pk) for pk in sorted(set(region_ids))]
    keys.append(GENERATION_KEY)
    found = safe_cache.get_many(keys)
    return "-".join(str(found.get(key, 0)) for key in keys)


def region_cached(name: str, region_ids: list[int] | None, compute: Callable[[], T]) -> T:
    """`compute()` (aggregates of the regions `region_ids`, None for the whole country), from
    the cache when none of those regions changed since it was stored under `name`."""
    if connection.in_atomic_block:
        return compute()
    key = f"{CACHE_PREFIX}{name}:{region_versions(region_ids)}"
    found = safe_cache.get(key)
    if found is None:
        found = compute()
        safe_cache.set(key, found, settings.DASHBOARD_CACHE_SECONDS)
    return found


def bump_regions(region_ids) -> None:
    """The figures of these regions (and so the national ones) changed: after the commit of
    the summaries' refresh. Never raises (with Redis down, the bump is lost, logged)."""
    now = time.time_ns()
    values = {REGION_VERSION_KEY.format(pk): now for pk in region_ids if pk is not None}
    values[NATIONAL_VERSION_KEY] = now
    safe_cache.set_many(values, None)


def forget_everything() -> None:
    """Make every cached value stale, per-region ones included."""
    safe_cache.set(GENERATION_KEY, time.time_ns(), None)
    new_version()
