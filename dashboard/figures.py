"""The dashboard (home page): what happened in the user's regions in a period. Every number is
a database aggregate over a Scope, so the page runs the same few queries however much data
there is, and viewers (aggregates only) see it too. The aggregates are cached until the data
changes (see "Cache of the aggregates")."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

from django import forms
from django.db.models import Count, Max, QuerySet
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _

from accounts.scope import Scope
from core import periods
from core.dataversion import region_cached, track
from core.periods import Period
from participants import disability, summaries
from participants.aggregates import LIKERT, feedback_summary, knowledge_gain, people_reached_qs
from participants.models import (
    Assessment,
    Attendance,
    DisabilityAnswers,
    Enrolment,
    Feedback,
    Participant,
    ParticipantCategory,
    Sex,
)
from participants.selectors import count_people_visible
from trainings.models import Session, TrainingEvent
from trainings.selectors import events_visible


# Periods -----------------------------------------------------------------------------------
def _held(events: QuerySet[TrainingEvent]) -> QuerySet[TrainingEvent]:
    return events.exclude(status=TrainingEvent.Status.PLANNED)


def default_period(scope: Scope, today: date | None = None) -> Period:
    """The current quarter, or, when nothing was held in it yet, the latest quarter in which
    an event was held (so a new quarter does not open on an empty page)."""
    today = today or timezone.localdate()
    current = periods.quarter_of(today)
    latest = (
        _held(events_visible(scope))
        .filter(start_date__lte=current.end)
        .aggregate(last=Max("start_date"))["last"]
    )
    if latest is None or latest >= current.start:
        return current
    return periods.quarter_of(latest)


def period_choices(today: date | None = None) -> list[tuple[str, Any]]:
    today = today or timezone.localdate()
    # Every quarter of this year, so planned events of the coming quarters can be looked at.
    quarters = periods.quarter_choices(date(today.year, 12, 31))
    years = [(str(y), str(y)) for y in periods.menu_years(today)]
    return [
        (_("Quarter"), quarters),
        (_("Year"), years),
        ("custom", _("Custom dates")),
    ]


class PeriodForm(forms.Form):
    """The dashboard's period: a quarter, a year, or dates of one's own (GET parameters)."""

    period = forms.ChoiceField(label=_("Period"), required=False)
    start = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["period"].choices = period_choices()
        (_q, self.quarters), (_y, self.years), _custom = self.fields["period"].choices

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("period") == "custom":
            start, end = cleaned.get("start"), cleaned.get("end")
            if not start or not end:
                raise forms.ValidationError(_("Enter both dates of the custom period."))
            if end < start:
                raise forms.ValidationError(_("The end date cannot be before the start date."))
            if (end - start).days > 366 * 10:
                raise forms.ValidationError(_("Choose a period of at most ten years."))
        return cleaned

    def chosen_period(self) -> Period | None:
        """The period asked for, or None (then the default applies)."""
        if not self.is_bound or not self.is_valid():
            return None
        key = self.cleaned_data.get("period")
        if key == "custom":
            return periods.custom(self.cleaned_data["start"], self.cleaned_data["end"])
        if key:
            return periods.parse(key)
        return None


# Numbers -----------------------------------------------------------------------------------
def events_held_in(scope: Scope, period: Period) -> QuerySet[TrainingEvent]:
    """Events of the scope held (or reported) that started in the period."""
    return _held(events_visible(scope)).filter(start_date__range=(period.start, period.end))


def attendance_numbers(events: QuerySet[TrainingEvent]) -> dict[str, Any]:
    """Events, possible attendances (people on the roster x sessions, per event) and actual
    attendances: the attendance rate is present / possible. Four grouped queries over index
    scans (a correlated subquery per event cost ~0.5 s for a national quarter)."""
    ids = events.order_by().values("pk")

    def per_event(model) -> dict[int, int]:
        rows = model.objects.filter(event__in=ids).order_by().values_list("event")
        return dict(rows.annotate(n=Count("pk")))

    roster, sessions = per_event(Enrolment), per_event(Session)
    possible = sum(n * sessions.get(event_id, 0) for event_id, n in roster.items())
    numbers = {
        "events": events.order_by().count(),
        "possible": possible,
        "present": Attendance.objects.filter(session__event__in=ids).count(),
    }
    numbers["rate"] = round(100 * numbers["present"] / possible, 1) if possible else None
    return numbers


def reach(scope: Scope, period: Period) -> dict[str, Any]:
    """The people reached in the period (participants.aggregates.people_reached_qs), in total,
    by sex, by category and by disability (WG-SS, participants.disability), in ONE query: the
    people (a semi-join, each counted once) grouped by (sex, category, disability status); each
    person is in exactly one group, so the groups add up to the totals."""
    rows = (
        people_reached_qs(scope, period.start, period.end)
        .order_by()
        .annotate(wgss=disability.status_expression())
        .values("sex", "wgss", "category_id")
        .annotate(n=Count("pk"))
    )
    return _reach_of_groups(list(rows))


def _reach_of_groups(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Totals by sex, category and disability from groups of people ("sex", "wgss",
    "category_id", "n"), each person in exactly one group."""
    totals: dict[str, Any] = {
        "total": sum(row["n"] for row in rows),
        "female": sum(row["n"] for row in rows if row["sex"] == Sex.FEMALE),
        "male": sum(row["n"] for row in rows if row["sex"] == Sex.MALE),
        "by_disability": {
            status: sum(row["n"] for row in rows if row["wgss"] == status)
            for status in disability.Status.values
        },
    }
    categories = ParticipantCategory.objects.in_bulk({row["category_id"] for row in rows})
    by_category: dict[str, dict[str, Any]] = {}
    for row in rows:
        category = categories[row["category_id"]]
        entry = by_category.setdefault(
            category.code,
            {
                "code": category.code,
                "names": {lang: getattr(category, f"name_{lang}") for lang in ("kk", "ru", "en")},
                "n": 0,
                "order": category.order,
            },
        )
        entry["n"] += row["n"]
    totals["by_category"] = [
        {k: v for k, v in entry.items() if k != "order"}
        for entry in sorted(by_category.values(), key=lambda e: (e["order"], e["code"]))
    ]
    return totals


def live_figures(scope: Scope, period: Period) -> dict[str, Any]:
    """The aggregates of the dashboard counted from the records (plain numbers, cacheable): a
    fixed number of queries, but over every attendance row of the period (custom periods; the
    reference the summaries are tested against)."""
    held = events_held_in(scope, period)
    numbers = attendance_numbers(held)
    return {
        "events_held": numbers["events"],
        "attendance": numbers,
        "reach": reach(scope, period),
        "feedback": feedback_summary(Feedback.objects.filter(event__in=held)),
        "scores": knowledge_gain(Assessment.objects.filter(enrolment__event__in=held)),
        **_totals(scope),
    }


def _totals(scope: Scope) -> dict[str, int]:
    people = replace(scope, can_see_people=True)
    return {
        "events_total": events_visible(scope).count(),
        "people_registered": count_people_visible(people),
    }


def summary_figures(scope: Scope, period: Period) -> dict[str, Any]:
    """The same aggregates as `live_figures` for a quarter or a year, read from the summaries
    (participants/summaries.py): sums over one row per event held, and people reached counted
    once per place and period beforehand. A handful of small queries."""
    totals = summaries.event_totals(events_held_in(scope, period))
    possible = totals["possible"]
    numbers = {
        "events": totals["events"],
        "possible": possible,
        "present": totals["present"],
        "rate": round(100 * totals["present"] / possible, 1) if possible else None,
    }
    region_ids = None if scope.all_regions else list(scope.region_ids or ())
    groups = summaries.reach_groups(region_ids, period.key)
    return {
        "events_held": numbers["events"],
        "attendance": numbers,
        "reach": _reach_of_groups(groups),
        "feedback": totals["feedback"],
        "scores": totals["scores"],
        "events_total": events_visible(scope).count(),
        "people_registered": summaries.people_seen(region_ids),
    }


def figures(scope: Scope, period: Period) -> dict[str, Any]:
    """The aggregates of the dashboard: from the summaries for quarters and years, counted
    from the records for dates of one's own and inside a transaction that changed what they
    count (its writes reach the summaries after its commit)."""
    if period.kind in ("quarter", "year") and not summaries.has_pending():
        return summary_figures(scope, period)
    return live_figures(scope, period)


def dashboard(scope: Scope, period: Period, today: date | None = None) -> dict[str, Any]:
    """Everything the dashboard shows for a scope and period (a fixed number of queries); the
    aggregates come from the cache when the data has not changed since (see cached_figures)."""
    today = today or timezone.localdate()
    held = events_held_in(scope, period)
    upcoming = (
        events_visible(scope)
        .filter(status=TrainingEvent.Status.PLANNED, start_date__gte=min(today, period.start))
        .select_related("region", "district")
        .order_by("start_date", "pk")[:5]
    )
    recent = held.select_related("region", "district").order_by("-start_date", "pk")[:5]
    return {
        **cached_figures(scope, period),
        "period": period,
        "upcoming": list(upcoming),
        "recent": list(recent),
    }


# Cache of the aggregates --------------------------------------------------------------------
# Kept in the cache (Redis in production) for each set of regions and period, under a key that
# holds the data version of each region of the scope (core/dataversion.py): the summaries'
# refresh after a write bumps the versions of the regions it touched (and the national one),
# so a write in one region leaves every other region's cached figures alone. A miss costs a
# handful of small queries over the summaries (docs/performance.md, "Dashboard cache misses").
def _scope_key(scope: Scope) -> str:
    if scope.all_regions:
        return "all"
    return ",".join(str(pk) for pk in sorted(scope.region_ids)) or "none"


def cached_figures(scope: Scope, period: Period) -> dict[str, Any]:
    name = f"figures:{_scope_key(scope)}:{period.start:%Y%m%d}-{period.end:%Y%m%d}"
    regions = None if scope.all_regions else list(scope.region_ids or ())
    return region_cached(name, regions, lambda: figures(scope, period))


# "Are we on track?" (progress.py) and the report's IATI file are still cached under the
# global data version and stamp of these tables (core/dataversion.py, data_cached).
STAMPED = (
    TrainingEvent,
    Session,
    Enrolment,
    Attendance,
    Feedback,
    Assessment,
    Participant,
    DisabilityAnswers,
)


def connect_signals() -> None:
    track(*STAMPED)


# Charts ------------------------------------------------------------------------------------
def bar_chart(rows: list[tuple[str, float | int | None]], *, scale_max=None, digits=0):
    """Rows of a horizontal bar chart: label, value, shown value and the bar's width in % (a
    plain string with a point, for the SVG attribute whatever the page's language)."""
    values = [v or 0 for _label, v in rows]
    top = scale_max or max(values, default=0) or 1
    out = []
    for label, value in rows:
        v = value or 0
        out.append(
            {
                "label": label,
                "value": value,
                "display": "–" if value is None else number_format(v, digits),
                "width": f"{min(100.0, 100 * v / top):.1f}",
            }
        )
    return out


def dashboard_charts(data: dict[str, Any], language: str) -> dict[str, list[dict]]:
    reach_ = data["reach"]
    lang = (language or "en")[:2]
    return {
        "sex": bar_chart([(Sex.FEMALE.label, reach_["female"]), (Sex.MALE.label, reach_["male"])]),
        "category": bar_chart(
            [
                (row["names"].get(lang) or row["names"]["en"], row["n"])
                for row in reach_["by_category"]
            ]
        ),
        # Older cached figures have no disability breakdown: an empty chart until recounted.
        "disability": bar_chart(
            [
                (label, reach_.get("by_disability", {}).get(status, 0))
                for status, label in disability.Status.choices
            ]
        ),
        "feedback": bar_chart(
            [(item.label, data["feedback"][f"avg_{item.key}"]) for item in LIKERT],
            scale_max=5,
            digits=2,
        ),
    }
