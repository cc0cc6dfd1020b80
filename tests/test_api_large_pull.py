"""A 50,000-row pull through cursor pages of 1,000 (issue 21: page caps and time-outs on large
pulls are what users of other systems complain about): complete, without duplicates, in a
stable order while rows are edited during the pull, in flat memory, and the next
`updated_since` pull picks up exactly what was edited meanwhile."""

from __future__ import annotations

import gc
import time
import tracemalloc
from urllib.parse import quote

import pytest
from django.utils import timezone

from core.change_time import with_change_time
from participants.models import Participant, ParticipantCategory

from .factories import region
from .test_api import api

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

ROWS = 50_000
PAGE = 1_000
# Pages whose memory is measured: the first five and the last eleven.
TRACED = {*range(1, 6), *range(40, 51)}


def _people(count: int) -> None:
    """`count` people, written in batches (no save(): the pull, not the set-up, is tested)."""
    home = region("KZ-47")
    category = ParticipantCategory.objects.get(code="akimat")
    batch = 5_000
    for start in range(0, count, batch):
        Participant.objects.bulk_create(
            Participant(
                full_name=f"Участник Большой {n}",
                name_normalised=f"участник большой {n}",
                sex="F" if n % 2 else "M",
                birth_year=1970 + n % 40,
                region=home,
                category=category,
            )
            for n in range(start, min(start + batch, count))
        )


def _edit(pks: list[int]) -> None:
    Participant.objects.filter(pk__in=pks).update(
        **with_change_time(Participant, {"position": "edited during the pull"})
    )


def test_a_50000_row_pull_is_complete_ordered_and_in_flat_memory(demo):
    since = timezone.now()
    _people(ROWS)
    ids = list(
        Participant.objects.filter(updated_at__gte=since)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    assert len(ids) == ROWS
    behind, ahead = ids[100:110], ids[-110:-100]  # already read / not yet read at page 10
    client = api("undp.staff")
    url = f"/api/v1/participants/?page_size={PAGE}&updated_since={quote(since.isoformat())}"

    # Only constant-size facts about the rows are kept (count, sums, last id), so the test's
    # own bookkeeping does not grow with the pull and the memory measured is the server's.
    count = total = squares = 0
    last = 0
    edited_seen = 0
    peaks: dict[int, int] = {}
    retained: dict[int, int] = {}
    pull_started = timezone.now()
    started = time.monotonic()
    page = 0
    try:
        while url:
            page += 1
            traced = page in TRACED
            if traced:
                # The test client's responses are reference cycles: collect them first, so
                # what is measured is what this page holds, not the previous pages' garbage.
                gc.collect()
                if not tracemalloc.is_tracing():
                    tracemalloc.start()
                tracemalloc.reset_peak()
            response = client.get(url)
            assert response.status_code == 200, response.content
            body = response.json()
            for row in body["results"]:
                assert row["id"] > last  # stable order: strictly by id, so no duplicates
                last = row["id"]
                count += 1
                total += row["id"]
                squares += row["id"] ** 2
                edited_seen += row["position"] == "edited during the pull"
            url = body["next"]
            del response, body
            if traced:
                gc.collect()
                current, peaks[page] = tracemalloc.get_traced_memory()
                retained[page] = current
                if page + 1 not in TRACED:
                    tracemalloc.stop()  # tracing slows Python down: only the two windows
            if page == 10:  # someone edits rows already read and rows not read yet
                _edit(behind + ahead)
    finally:
        tracemalloc.stop()
    elapsed = time.monotonic() - started

    # Complete and without duplicates: every id once (count, sum and sum of squares agree).
    assert page == ROWS // PAGE
    assert count == ROWS
    assert total == sum(ids)
    assert squares == sum(pk**2 for pk in ids)
    # The rows ahead were read as edited; the ones behind come back in the next pull.
    assert edited_seen == len(ahead)
    again = client.get(
        f"/api/v1/participants/?page_size={PAGE}&updated_since={quote(pull_started.isoformat())}"
    ).json()
    assert {row["id"] for row in again["results"]} == set(behind + ahead)
    assert again["next"] is None

    # Flat memory: a late page costs what an early one does, and nothing piles up per page.
    early = max(peaks[p] for p in range(1, 6))
    late = max(peaks[p] for p in range(40, 51))
    assert late <= early * 1.25 + 512 * 1024, (early, late)
    assert retained[50] - retained[40] < 1024 * 1024, retained
    assert elapsed < 90, elapsed
