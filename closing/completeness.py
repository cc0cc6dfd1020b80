"""What is still missing in a programme's quarter, per region, before it can be submitted or
approved. Reads only (aggregate queries over the quarter's events, three queries for every
region at once); the submit service and the pages ask the same checklist.

An event belongs to the quarter its end date falls in (docs/decisions/0011), like the lock
(trainings.selectors.region_quarter_of) and the reports."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from django.db.models import Count, Exists, IntegerField, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.scope import Scope
from core.periods import Period
from participants.models import Assessment, Attendance, Consent, Enrolment, Feedback
from regions.models import Region
from reports.models import Narrative
from trainings.models import Programme, RegionQuarter, Session, TrainingEvent

# Which evidence an event type is expected to have (Kirkpatrick levels 1 and 2): a training
# collects feedback and a post-test, a camp feedback; a workshop neither.
EXPECTS_FEEDBACK = {TrainingEvent.Type.TRAINING, TrainingEvent.Type.CAMP}
EXPECTS_POST_TEST = {TrainingEvent.Type.TRAINING}
# Below this share of attendees giving feedback the checklist warns.
LOW_RESPONSE_RATE = 50


@dataclass(frozen=True)
class Item:
    """One thing missing: what, where to fix it, and whether it blocks submission."""

    text: str
    url: str
    blocking: bool


@dataclass
class RegionChecklist:
    region: Region
    region_quarter: RegionQuarter | None
    n_events: int = 0
    n_attended: int = 0
    n_feedback: int = 0
    items: list[Item] = field(default_factory=list)

    @property
    def status(self) -> str:
        return self.region_quarter.status if self.region_quarter else RegionQuarter.Status.OPEN

    @property
    def status_label(self) -> str:
        return RegionQuarter.Status(self.status).label

    @property
    def blocking(self) -> list[Item]:
        return [i for i in self.items if i.blocking]

    @property
    def warnings(self) -> list[Item]:
        return [i for i in self.items if not i.blocking]

    @property
    def response_rate(self) -> int | None:
        """Feedback forms per 100 people present (numerator over denominator, half up)."""
        if not self.n_attended:
            return None
        return (200 * self.n_feedback + self.n_attended) // (2 * self.n_attended)


def _count(queryset) -> Coalesce:
    return Coalesce(
        Subquery(queryset.order_by().values("n")[:1], output_field=IntegerField()),
        0,
    )


def quarter_events(programme: Programme, period: Period, region_ids=None):
    events = TrainingEvent.objects.filter(
        programme=programme, end_date__range=(period.start, period.end)
    )
    if region_ids is not None:
        events = events.filter(region_id__in=region_ids)
    return events


def _annotated(events):
    """Each event with the counts the checklist needs (one query)."""
    per_event = {"event": OuterRef("pk")}
    silent_sessions = (
        Session.objects.filter(**per_event)
        .filter(~Exists(Attendance.objects.filter(session=OuterRef("pk"))))
        .values("event")
        .annotate(n=Count("*"))
    )
    no_consent = (
        Enrolment.objects.filter(**per_event)
        .filter(~Exists(Consent.objects.filter(participant=OuterRef("participant"), given=True)))
        .values("event")
        .annotate(n=Count("*"))
    )
    attended = (
        Enrolment.objects.filter(**per_event)
        .filter(Exists(Attendance.objects.filter(enrolment=OuterRef("pk"))))
        .values("event")
        .annotate(n=Count("*"))
    )
    feedback = (
        Feedback.objects.filter(**per_event, is_duplicate=False)
        .values("event")
        .annotate(n=Count("*"))
    )
    post_tests = (
        Assessment.objects.filter(enrolment__event=OuterRef("pk"), post_score__isnull=False)
        .values("enrolment__event")
        .annotate(n=Count("*"))
    )
    return events.annotate(
        n_sessions=Count("sessions", distinct=True),
        n_silent_sessions=_count(silent_sessions),
        n_no_consent=_count(no_consent),
        n_attended=_count(attended),
        n_feedback=_count(feedback),
        n_post_tests=_count(post_tests),
    ).order_by("start_date", "pk")


def _event_items(event, today: date) -> list[Item]:
    page = event.get_absolute_url()
    items = []
    if event.status == TrainingEvent.Status.PLANNED and event.end_date < today:
        items.append(
            Item(
                _("“%(event)s” ended on %(day)s but is still planned: record its attendance.")
                % {"event": event.title, "day": f"{event.end_date:%d.%m.%Y}"},
                reverse("participants:attendance_grid", args=[event.pk]),
                True,
            )
        )
    held = event.status != TrainingEvent.Status.PLANNED
    if held and event.n_sessions == 0:
        items.append(
            Item(
                _("“%(event)s” has no sessions.") % {"event": event.title},
                reverse("trainings:event_sessions", args=[event.pk]),
                True,
            )
        )
    elif held and event.n_silent_sessions:
        items.append(
            Item(
                ngettext(
                    "“%(event)s”: %(n)s session has no attendance.",
                    "“%(event)s”: %(n)s sessions have no attendance.",
                    event.n_silent_sessions,
                )
                % {"event": event.title, "n": event.n_silent_sessions},
                reverse("participants:attendance_grid", args=[event.pk]),
                True,
            )
        )
    if event.n_no_consent:
        items.append(
            Item(
                ngettext(
                    "“%(event)s”: %(n)s person has no consent on file.",
                    "“%(event)s”: %(n)s people have no consent on file.",
                    event.n_no_consent,
                )
                % {"event": event.title, "n": event.n_no_consent},
                page + "#roster",
                False,
            )
        )
    if held and event.event_type in EXPECTS_FEEDBACK and not event.n_feedback:
        items.append(
            Item(
                _("“%(event)s” has no feedback.") % {"event": event.title},
                reverse("participants:event_feedback_entry", args=[event.pk]),
                False,
            )
        )
    if held and event.event_type in EXPECTS_POST_TEST and not event.n_post_tests:
        items.append(
            Item(
                _("“%(event)s” has no post-test scores.") % {"event": event.title},
                reverse("participants:event_scores_entry", args=[event.pk]),
                False,
            )
        )
    return items


def quarter_checklists(
    scope: Scope, *, programme: Programme, period: Period, today: date | None = None
) -> list[RegionChecklist]:
    """One checklist per region of the scope that has events in the programme's quarter (or
    a region-quarter row), in region order."""
    today = today or timezone.localdate()
    region_ids = None if scope.all_regions else scope.region_ids
    events = list(_annotated(quarter_events(programme, period, region_ids)))
    quarters = {
        rq.region_id: rq
        for rq in RegionQuarter.objects.filter(
            Q(scope.region_q("region")), programme=programme, quarter=period.key
        )
    }
    narratives = set(
        Narrative.objects.filter(
            programme=programme, period_label=period.key, region__isnull=False
        ).values_list("region_id", flat=True)
    )
    by_region = defaultdict(list)
    for event in events:
        by_region[event.region_id].append(event)
    regions = Region.objects.filter(pk__in=set(by_region) | set(quarters)).order_by("code")
    checklists = []
    for region in regions:
        checklist = RegionChecklist(region=region, region_quarter=quarters.get(region.pk))
        for event in by_region.get(region.pk, []):
            checklist.n_events += 1
            checklist.n_attended += event.n_attended
            checklist.n_feedback += event.n_feedback
            checklist.items.extend(_event_items(event, today))
        rate = checklist.response_rate
        if rate is not None and rate < LOW_RESPONSE_RATE:
            checklist.items.append(
                Item(
                    _(
                        "Feedback response rate is %(rate)s%% (%(n)s forms from %(people)s "
                        "people present)."
                    )
                    % {"rate": rate, "n": checklist.n_feedback, "people": checklist.n_attended},
                    reverse("trainings:event_list")
                    + f"?region={region.code}&programme={programme.pk}"
                    + f"&from={period.start:%Y-%m-%d}&to={period.end:%Y-%m-%d}",
                    False,
                )
            )
        if region.pk not in narratives:
            checklist.items.append(
                Item(
                    _("The region's narrative for %(quarter)s is not written.")
                    % {"quarter": period.label},
                    reverse("closing:region_narrative", args=[programme.pk, period.key, region.pk]),
                    False,
                )
            )
        checklists.append(checklist)
    return checklists


def region_checklist(
    scope: Scope, *, programme: Programme, region: Region, period: Period
) -> RegionChecklist:
    """The checklist of one region's quarter (empty when it has no events)."""
    for checklist in quarter_checklists(
        Scope.for_regions([region.pk]) if scope.all_regions else scope,
        programme=programme,
        period=period,
    ):
        if checklist.region.pk == region.pk:
            return checklist
    return RegionChecklist(
        region=region,
        region_quarter=RegionQuarter.objects.filter(
            programme=programme, region=region, quarter=period.key
        ).first(),
    )
