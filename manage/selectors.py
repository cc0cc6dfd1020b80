"""Reads of the management pages (admins): the regions overview, the reference lists with how
much refers to each row, a partner's events and people, and the index's counts."""

from __future__ import annotations

from django.db.models import Count, Exists, IntegerField, OuterRef, Q, QuerySet, Subquery

from accounts.scope import Scope
from core.dataversion import region_cached
from participants.aggregates import people_reached_by_place
from participants.models import Participant, ParticipantCategory
from participants.selectors import people_visible
from participants.summaries import has_pending, people_ever_reached, people_per_category
from regions.models import District, PartnerOrganisation, Region
from trainings.models import ActivityLine, Facilitator, Programme, Topic, TrainingEvent
from trainings.selectors import events_visible


class CountOf(Subquery):
    """COUNT(DISTINCT id) of a correlated subquery (`qs.values("id")`): a per-row count as one
    annotation, so a list costs the same number of queries however many rows it shows."""

    template = "(SELECT COUNT(DISTINCT _counted.id) FROM (%(subquery)s) _counted)"
    output_field = IntegerField()


class RowsOf(CountOf):
    """COUNT(*) of a correlated subquery of one table filtered on a foreign key (no join that
    could repeat a row): the same number as `CountOf`, read from the foreign key's index alone.
    DISTINCT made PostgreSQL sort every id it counted: the districts' page (25 districts,
    about 170,000 people at 1,000,000) took 170-180 ms; COUNT(*) of the same rows 13 ms, and
    all 180 districts sorted by people 29 ms."""

    template = "(SELECT COUNT(*) FROM (%(subquery)s) _counted)"


def region_overview() -> list[Region]:
    """The 20 top-level units, each with `n_events`, `n_people` (unique people reached at its
    events, as `participants.aggregates.people_reached_by_place` counts them, read from the
    summaries of participants/summaries.py) and its districts (`district_list`, each with the
    same two counts). Five queries whatever the number of rows (two when the counts are
    cached)."""

    def grouped(qs, field: str, measure):
        return dict(qs.order_by().values_list(field).annotate(n=measure))

    def counts():
        events = TrainingEvent.objects.all()
        return (
            grouped(events, "region", Count("pk")),
            grouped(events.filter(district__isnull=False), "district", Count("pk")),
            *(
                (people_reached_by_place("region"), people_reached_by_place("district"))
                if has_pending()  # this transaction's writes are not in the summaries yet
                else people_ever_reached()
            ),
        )

    # Cached until the data of any region changes, like the dashboard's national figures.
    cached = region_cached("region-overview", None, counts)
    ev_region, ev_district, ppl_region, ppl_district = cached
    regions = list(Region.objects.prefetch_related("districts").order_by("code"))
    for region in regions:
        region.n_events = ev_region.get(region.pk, 0)
        region.n_people = ppl_region.get(region.pk, 0)
        region.district_list = sorted(
            region.districts.all(), key=lambda d: (not d.is_active, d.name)
        )
        for district in region.district_list:
            district.n_events = ev_district.get(district.pk, 0)
            district.n_people = ppl_district.get(district.pk, 0)
    return regions


def districts_with_counts() -> QuerySet[District]:
    """Districts with the events held there and the people registered there (what a merge
    moves)."""
    return District.objects.select_related("region").annotate(
        n_events=RowsOf(
            TrainingEvent.objects.filter(district=OuterRef("pk")).order_by().values("id")
        ),
        n_people=RowsOf(
            Participant.objects.filter(district=OuterRef("pk")).order_by().values("id")
        ),
    )


def partners_with_counts() -> QuerySet[PartnerOrganisation]:
    """Partners with the events they hosted or implemented and the people they sent."""
    return PartnerOrganisation.objects.select_related("region").annotate(
        n_events=CountOf(
            TrainingEvent.objects.filter(
                Q(host_partners=OuterRef("pk")) | Q(implementing_partners=OuterRef("pk"))
            )
            .order_by()
            .values("id")
        ),
        n_people=RowsOf(
            Participant.objects.filter(organisation=OuterRef("pk")).order_by().values("id")
        ),
    )


def partner_events(scope: Scope, partner: PartnerOrganisation):
    """Events of the scope that `partner` hosted or implemented, with `as_host` and
    `as_implementer` flags, newest first."""
    hosted = PartnerOrganisation.hosted_events.through.objects.filter(
        trainingevent=OuterRef("pk"), partnerorganisation=partner
    )
    implemented = PartnerOrganisation.implemented_events.through.objects.filter(
        trainingevent=OuterRef("pk"), partnerorganisation=partner
    )
    return (
        events_visible(scope)
        .filter(Q(host_partners=partner) | Q(implementing_partners=partner))
        .distinct()
        .select_related("region", "district")
        .annotate(as_host=Exists(hosted), as_implementer=Exists(implemented))
        .order_by("-start_date", "title")
    )


def partner_people(scope: Scope, partner: PartnerOrganisation):
    """People of the scope who came from `partner` (empty for scopes without personal data)."""
    return (
        people_visible(scope)
        .filter(organisation=partner)
        .select_related("region", "category")
        .order_by("full_name", "pk")
    )


def _events_of(count=CountOf, **lookup):
    return count(TrainingEvent.objects.filter(**lookup).order_by().values("id"))


def programmes_with_counts():
    return Programme.objects.select_related("donor").annotate(
        n_events=_events_of(RowsOf, programme=OuterRef("pk"))
    )


def activity_lines_with_counts():
    return ActivityLine.objects.select_related("programme").annotate(
        n_events=_events_of(RowsOf, activity_line=OuterRef("pk"))
    )


def categories_with_counts():
    """Categories with the people registered in each: from the summaries (a few rows per
    category) unless this transaction has written what they do not show yet."""
    if has_pending():
        n_people = RowsOf(
            Participant.objects.filter(category=OuterRef("pk")).order_by().values("id")
        )
    else:
        n_people = people_per_category()
    return ParticipantCategory.objects.annotate(n_people=n_people)


def topics_with_counts():
    return Topic.objects.annotate(n_events=_events_of(topics=OuterRef("pk")))


def facilitators_with_counts():
    return Facilitator.objects.select_related("organisation").annotate(
        n_events=_events_of(facilitators=OuterRef("pk"))
    )


def manage_summary() -> dict[str, int]:
    """How many of each managed record there are (active ones), for the management index."""
    models = {
        "region": Region,
        "district": District,
        "partner": PartnerOrganisation,
        "programme": Programme,
        "activityline": ActivityLine,
        "category": ParticipantCategory,
        "topic": Topic,
        "facilitator": Facilitator,
    }
    return {key: model.objects.filter(is_active=True).count() for key, model in models.items()}
