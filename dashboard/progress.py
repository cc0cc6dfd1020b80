"""Are we on track? The active programme's indicators against their targets, a quarter-by-quarter
trend, the regions side by side and a tile-grid map of Kazakhstan, for a Scope and a period.

Every figure is counted by the report's rules (reports/builder.py, reports/indicators.py: the
programme's held or reported events that END in the period), so the dashboard and a donor report
of the same period and regions show the same numbers. The queries are a fixed number (a few per
indicator, one GROUP BY per trend or region figure), cached like the rest of the dashboard."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db.models import Avg, Count
from django.db.models.functions import ExtractQuarter
from django.utils.translation import gettext as _

from accounts.scope import Scope
from core import periods
from core.dataversion import data_cached, track
from core.names import localised_fields, localised_value
from core.periods import Period
from participants.models import Attendance
from regions.models import Region
from reports import disclosure, numbers
from reports.builder import indicator_progress, resolve_programme
from reports.indicators import counted_events_q, feedback_in, held_events
from reports.models import Indicator, IndicatorTarget
from reports.renderers.tables import status_label
from trainings.models import Programme

# Where each of the 20 units sits on the tile grid (column, row; 1-based, 7 x 5), roughly as on
# the map: west to east, north to south. Astana inside Akmola, Almaty city under its region,
# Shymkent under Turkistan; Abai, Jetisu and Ulytau (2022) where they were carved out.
TILES: dict[str, tuple[int, int]] = {
    "KZ-27": (1, 1),  # West Kazakhstan
    "KZ-39": (3, 1),  # Kostanay
    "KZ-59": (4, 1),  # North Kazakhstan
    "KZ-55": (5, 1),  # Pavlodar
    "KZ-23": (1, 2),  # Atyrau
    "KZ-15": (2, 2),  # Aktobe
    "KZ-11": (4, 2),  # Akmola
    "KZ-71": (5, 2),  # Astana
    "KZ-10": (6, 2),  # Abai
    "KZ-63": (7, 2),  # East Kazakhstan
    "KZ-47": (1, 3),  # Mangystau
    "KZ-62": (3, 3),  # Ulytau
    "KZ-35": (4, 3),  # Karaganda
    "KZ-33": (6, 3),  # Jetisu
    "KZ-43": (2, 4),  # Kyzylorda
    "KZ-61": (3, 4),  # Turkistan
    "KZ-31": (4, 4),  # Jambyl
    "KZ-19": (5, 4),  # Almaty Region
    "KZ-79": (3, 5),  # Shymkent
    "KZ-75": (5, 5),  # Almaty
}
SHADES = 4  # shades of people reached above zero (shade 0: nobody reached)


def connect_signals() -> None:
    # Targets, indicators and the active programme change what "on track" means.
    track(Programme, Indicator, IndicatorTarget)


# Figures (cached) ----------------------------------------------------------------------------
def _basis(programme: Programme | None) -> dict[str, Any]:
    """What the report's own sections count: the programme's events (no indicator filters)."""
    return {"programme": programme.pk} if programme else {}


def trend(scope: Scope, year: int, basis: dict[str, Any]) -> list[dict[str, Any]]:
    """People reached and events held in each quarter of `year` (a person once per quarter),
    by the report's rules: two GROUP BY queries, whatever the data."""
    start, end = date(year, 1, 1), date(year, 12, 31)
    people = dict(
        Attendance.objects.filter(counted_events_q(scope, start, end, basis, "session__event__"))
        .order_by()
        .annotate(quarter=ExtractQuarter("session__event__end_date"))
        .values_list("quarter")
        .annotate(n=Count("enrolment__participant", distinct=True))
    )
    events = dict(
        held_events(scope, start, end, basis)
        .order_by()
        .annotate(quarter=ExtractQuarter("end_date"))
        .values_list("quarter")
        .annotate(n=Count("pk"))
    )
    return [
        {
            "key": periods.quarter(year, q).key,
            "people": people.get(q, 0),
            "events": events.get(q, 0),
        }
        for q in (1, 2, 3, 4)
    ]


def by_region(scope: Scope, period: Period, basis: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """People reached, events held and mean satisfaction (1-5) per region where the events were
    held, by the report's rules: the figures of a report of that one region. Three GROUP BYs.
    A person reached in two regions counts in each (the regions do not add up to the total)."""
    start, end = period.start, period.end
    people = dict(
        Attendance.objects.filter(counted_events_q(scope, start, end, basis, "session__event__"))
        .order_by()
        .values_list("session__event__region__code")
        .annotate(n=Count("enrolment__participant", distinct=True))
    )
    events = dict(
        held_events(scope, start, end, basis)
        .order_by()
        .values_list("region__code")
        .annotate(n=Count("pk"))
    )
    satisfaction = {
        code: (n, avg)
        for code, n, avg in feedback_in(scope, start, end, basis)
        .order_by()
        .values_list("event__region__code")
        .annotate(n=Count("pk"), avg=Avg("satisfaction"))
    }
    out = {}
    for code in set(people) | set(events) | set(satisfaction):
        answers, mean = satisfaction.get(code, (0, None))
        out[code] = {
            "people": people.get(code, 0),
            "events": events.get(code, 0),
            "answers": answers,
            # As the report shows a mean: rounded, withheld when fewer than 5 answered.
            "satisfaction": disclosure.protect_rate(
                numbers.rounded(mean, numbers.PLACES[numbers.MEAN]), answers
            ),
        }
    return out


def on_track(scope: Scope, period: Period) -> dict[str, Any]:
    """The figures of "are we on track?" (plain values, cacheable): a fixed number of queries."""
    programme = resolve_programme()
    basis = _basis(programme)
    return {
        "programme": (
            {"code": programme.code, **{f: getattr(programme, f) for f in localised_fields("name")}}
            if programme
            else None
        ),
        "indicators": indicator_progress(programme, scope, period.start, period.end, period.key),
        "trend": trend(scope, period.end.year, basis),
        "regions": by_region(scope, period, basis),
    }


def cached_on_track(scope: Scope, period: Period) -> dict[str, Any]:
    regions = "all" if scope.all_regions else ",".join(map(str, sorted(scope.region_ids)))
    name = f"on-track:{regions or 'none'}:{period.start:%Y%m%d}-{period.end:%Y%m%d}"
    return data_cached(name, lambda: on_track(scope, period))


# What the page shows -------------------------------------------------------------------------
def _columns(values: list[int]) -> list[str]:
    """Heights of a column chart in % of the tallest (strings with a point, for SVG)."""
    top = max(values, default=0) or 1
    return [f"{100 * v / top:.1f}" for v in values]


def _bounds(top: int) -> list[int]:
    """The upper end of each shade: the largest region's count cut in SHADES steps."""
    return [-(-top * i // SHADES) for i in range(1, SHADES + 1)]


def _shade(value: int, top: int) -> int:
    """0 for nobody reached, else the first shade whose upper end holds the value."""
    if not value or not top:
        return 0
    return next(shade for shade, high in enumerate(_bounds(top), 1) if value <= high)


def _legend(top: int) -> list[dict[str, Any]]:
    """The map's legend: the range of people reached each shade stands for."""
    legend = [{"shade": 0, "low": 0, "high": 0}]
    low = 1
    for shade, high in enumerate(_bounds(top) if top else [], 1):
        if low <= high:
            legend.append({"shade": shade, "low": low, "high": high})
            low = high + 1
    return legend


def _status_figures(figures: dict[str, Any]) -> dict[str, Any]:
    return figures | {"status_label": status_label(figures["status"])}


def on_track_context(scope: Scope, period: Period) -> dict[str, Any]:
    """The page's view of the figures: labels in the active language, the trend's columns, the
    regions in scope side by side and the 20 tiles of the map (every unit: those outside the
    scope are drawn without a number)."""
    data = cached_on_track(scope, period)
    regions = list(Region.objects.order_by("code"))
    year_start = date(period.end.year, 1, 1)
    rows = []
    for ind in data["indicators"]:
        rows.append(
            ind
            | {
                "name": localised_value(ind, "name"),
                "figures": [
                    (period.label, _status_figures(ind["period"])),
                    (
                        _("%(year)s to date") % {"year": period.end.year},
                        _status_figures(ind["ytd"]),
                    ),
                    (_("Life of programme"), _status_figures(ind["lop"])),
                ],
            }
        )
    quarters = data["trend"]
    people_h = _columns([q["people"] for q in quarters])
    events_h = _columns([q["events"] for q in quarters])
    trend = [
        q | {"label": periods.parse(q["key"]).label, "people_h": ph, "events_h": eh}
        for q, ph, eh in zip(quarters, people_h, events_h, strict=True)
    ]
    figures = data["regions"]
    in_scope = [r for r in regions if scope.covers_region(r.pk)]
    top = max((figures.get(r.code, {}).get("people", 0) for r in in_scope), default=0)
    empty = {"people": 0, "events": 0, "answers": 0, "satisfaction": None}
    side_by_side = sorted(
        ({"region": r, **figures.get(r.code, empty)} for r in in_scope if r.is_active),
        key=lambda row: (-row["people"], row["region"].name),
    )
    tiles = []
    for r in regions:
        if r.code not in TILES:
            continue
        column, row = TILES[r.code]
        shown = scope.covers_region(r.pk)
        people = figures.get(r.code, empty)["people"] if shown else None
        tiles.append(
            {
                "region": r,
                "column": column,
                "row": row,
                "in_scope": shown,
                "people": people,
                "shade": _shade(people, top) if shown else None,
            }
        )
    programme = data["programme"]
    return {
        "programme": programme and programme | {"name": localised_value(programme, "name")},
        "indicators": rows,
        "trend": trend,
        "trend_year": year_start.year,
        "regions_side_by_side": side_by_side,
        "tiles": sorted(tiles, key=lambda t: (t["row"], t["column"])),
        "legend": _legend(top),
    }
