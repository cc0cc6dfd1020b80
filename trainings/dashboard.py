"""The dashboard (home page): what happened in the user's regions in a period. Every number is
a database aggregate over a Scope, so the page runs the same few queries however much data
there is, and viewers (aggregates only) see it too."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django import forms
from django.db.models import Count, F, IntegerField, Max, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.scope import Scope
from participants.feedback_selectors import LIKERT_ITEMS, feedback_summary, knowledge_gain
from participants.models import Assessment, Attendance, Enrolment, Feedback, Sex

from .models import Session, TrainingEvent
from .selectors import events_visible

FIRST_YEAR = 2020  # the period menu starts here


# Periods -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Period:
    start: date
    end: date
    key: str  # "2024Q3", "2024" or "custom"

    @property
    def label(self) -> str:
        if self.key == "custom":
            return f"{self.start:%d.%m.%Y} – {self.end:%d.%m.%Y}"
        if "Q" in self.key:
            year, q = self.key.split("Q")
            return f"{year} Q{q}"
        return self.key


def quarter(day: date) -> Period:
    """The calendar quarter containing `day`."""
    q = (day.month - 1) // 3 + 1
    start = date(day.year, 3 * q - 2, 1)
    next_start = date(day.year + (q == 4), 1 if q == 4 else 3 * q + 1, 1)
    return Period(start, next_start - timedelta(days=1), f"{day.year}Q{q}")


def year(y: int) -> Period:
    return Period(date(y, 1, 1), date(y, 12, 31), str(y))


def _held(events: QuerySet[TrainingEvent]) -> QuerySet[TrainingEvent]:
    return events.exclude(status=TrainingEvent.Status.PLANNED)


def default_period(scope: Scope, today: date | None = None) -> Period:
    """The current quarter, or, when nothing was held in it yet, the latest quarter in which
    an event was held (so a new quarter does not open on an empty page)."""
    today = today or timezone.localdate()
    current = quarter(today)
    latest = (
        _held(events_visible(scope))
        .filter(start_date__lte=current.end)
        .aggregate(last=Max("start_date"))["last"]
    )
    if latest is None or latest >= current.start:
        return current
    return quarter(latest)


def period_choices(today: date | None = None) -> list[tuple[str, Any]]:
    today = today or timezone.localdate()
    quarters = [
        (f"{y}Q{q}", f"{y} Q{q}")
        for y in range(today.year, FIRST_YEAR - 1, -1)
        for q in (4, 3, 2, 1)
        if date(y, 3 * q - 2, 1) <= today + timedelta(days=366)
    ]
    years = [(str(y), str(y)) for y in range(today.year, FIRST_YEAR - 1, -1)]
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
            return Period(self.cleaned_data["start"], self.cleaned_data["end"], "custom")
        if key and "Q" in key:
            y, q = key.split("Q")
            return quarter(date(int(y), 3 * int(q) - 2, 1))
        if key:
            return year(int(key))
        return None


# Numbers -----------------------------------------------------------------------------------
def events_held_in(scope: Scope, period: Period) -> QuerySet[TrainingEvent]:
    """Events of the scope held (or reported) that started in the period."""
    return _held(events_visible(scope)).filter(start_date__range=(period.start, period.end))


def attendance_numbers(events: QuerySet[TrainingEvent]) -> dict[str, Any]:
    """Events, possible attendances (people on the roster x sessions, per event) and actual
    attendances, in one query: the attendance rate is present / possible."""

    def per_event(model, field):
        return Coalesce(
            Subquery(
                model.objects.filter(**{field: OuterRef("pk")})
                .order_by()
                .values(field)
                .annotate(n=Count("pk"))
                .values("n"),
                output_field=IntegerField(),
            ),
            0,
        )

    numbers = events.annotate(
        n_roster=per_event(Enrolment, "event"),
        n_sessions=per_event(Session, "event"),
        n_present=per_event(Attendance, "session__event"),
    ).aggregate(
        events=Count("pk"),
        possible=Coalesce(Sum(F("n_roster") * F("n_sessions")), 0),
        present=Coalesce(Sum("n_present"), 0),
    )
    possible = numbers["possible"]
    numbers["rate"] = round(100 * numbers["present"] / possible, 1) if possible else None
    return numbers


def reach(scope: Scope, period: Period) -> dict[str, Any]:
    """Unique people with at least one attendance in the period (as people_reached counts
    them), in total and by sex, in one query; and by category in a second."""
    attended = Attendance.objects.filter(
        scope.region_q("session__event__region"),
        session__date__range=(period.start, period.end),
    )
    person = "enrolment__participant"
    totals = attended.aggregate(
        total=Count(person, distinct=True),
        female=Count(person, distinct=True, filter=Q(**{f"{person}__sex": Sex.FEMALE})),
        male=Count(person, distinct=True, filter=Q(**{f"{person}__sex": Sex.MALE})),
    )
    category = f"{person}__category"
    rows = (
        attended.order_by()
        .values(
            f"{category}__code",
            f"{category}__name_kk",
            f"{category}__name_ru",
            f"{category}__name_en",
            f"{category}__order",
        )
        .annotate(n=Count(person, distinct=True))
        .order_by(f"{category}__order", f"{category}__code")
    )
    totals["by_category"] = [
        {
            "code": row[f"{category}__code"],
            "names": {
                "kk": row[f"{category}__name_kk"],
                "ru": row[f"{category}__name_ru"],
                "en": row[f"{category}__name_en"],
            },
            "n": row["n"],
        }
        for row in rows
    ]
    return totals


def dashboard(scope: Scope, period: Period, today: date | None = None) -> dict[str, Any]:
    """Everything the dashboard shows for a scope and period (a fixed number of queries)."""
    today = today or timezone.localdate()
    held = events_held_in(scope, period)
    numbers = attendance_numbers(held)
    feedback = feedback_summary(Feedback.objects.filter(event__in=held))
    scores = knowledge_gain(Assessment.objects.filter(enrolment__event__in=held))
    upcoming = (
        events_visible(scope)
        .filter(status=TrainingEvent.Status.PLANNED, start_date__gte=min(today, period.start))
        .select_related("region", "district")
        .order_by("start_date", "pk")[:5]
    )
    recent = held.select_related("region", "district").order_by("-start_date", "pk")[:5]
    return {
        "period": period,
        "events_held": numbers["events"],
        "attendance": numbers,
        "reach": reach(scope, period),
        "feedback": feedback,
        "scores": scores,
        "upcoming": list(upcoming),
        "recent": list(recent),
    }


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
                "display": "–" if value is None else f"{v:.{digits}f}",
                "width": f"{min(100.0, 100 * v / top):.1f}",
            }
        )
    return out


LIKERT_LABELS = {
    "satisfaction": _("Satisfaction"),
    "relevance": _("Relevance to work"),
    "usefulness": _("Usefulness"),
    "intent_to_apply": _("Intent to apply"),
}


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
        "feedback": bar_chart(
            [(LIKERT_LABELS[item], data["feedback"][f"avg_{item}"]) for item in LIKERT_ITEMS],
            scale_max=5,
            digits=2,
        ),
    }
