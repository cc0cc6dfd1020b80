"""The management pages (/manage/, admins only): regions and districts, partner organisations
and the programme's reference lists. Most lists are `crud.Resource`s; regions, district
merges and a partner's page are written out here."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from accounts.audit import record_download
from accounts.scope import admin_required, scope_for
from core.listing import paginate, read_sort, search_term, sort_headers
from core.names import localised_fields
from participants.models import ParticipantCategory
from regions.models import District, PartnerOrganisation, Region
from trainings.models import ActivityLine, Facilitator, Programme, Topic

from . import filters, forms, selectors, services
from .crud import Column, Resource, export

_l = gettext_lazy


def _active(obj) -> bool:
    return obj.is_active


NAMES = [
    Column(_l("Name (Kazakh)"), lambda o: o.name_kk, export_only=True),
    Column(_l("Name (Russian)"), lambda o: o.name_ru, export_only=True),
    Column(_l("Name (English)"), lambda o: o.name_en, export_only=True),
]

# The names admins entered, in the exports of lists whose names are translated (core.names).
LOCAL_NAMES = [
    Column(_l("Name (original)"), lambda o: o.name, export_only=True),
    Column(_l("Name (Kazakh)"), lambda o: o.name_kk, export_only=True),
    Column(_l("Name (Russian)"), lambda o: o.name_ru, export_only=True),
]

DISTRICTS = Resource(
    key="district",
    segment="districts",
    model=District,
    form_class=forms.DistrictForm,
    queryset=selectors.districts_with_counts,
    filterset_class=filters.DistrictFilter,
    search_fields=("name_kk", "name_ru", "name_en"),
    default_sort="region__code",
    columns=[
        Column(_l("Name"), lambda d: d.name, sort="name_{lang}"),
        Column(_l("Region"), lambda d: d.region.name, sort="region__code"),
        Column(_l("Kind"), lambda d: d.get_kind_display(), sort="kind"),
        Column(_l("Events"), lambda d: d.n_events, sort="n_events"),
        Column(_l("People registered"), lambda d: d.n_people, sort="n_people"),
        Column(_l("Active"), _active, sort="is_active"),
        *NAMES,
    ],
    extra_actions=lambda d: [(_l("Merge"), reverse("manage:district_merge", args=[d.pk]))],
    success_url=lambda d: d.region.get_absolute_url(),
    help_text=_l(
        "A district with events or people cannot be deleted: deactivate it, or merge it into "
        "another district of the same region."
    ),
)

PARTNERS = Resource(
    key="partner",
    segment="partners",
    model=PartnerOrganisation,
    form_class=forms.PartnerForm,
    queryset=selectors.partners_with_counts,
    filterset_class=filters.PartnerFilter,
    search_fields=(
        *localised_fields("name"),
        *localised_fields("short_name"),
        "contact_person",
        "address",
        "notes",
    ),
    default_sort="name",
    detail_url=lambda p: p.get_absolute_url(),
    success_url=lambda p: p.get_absolute_url(),
    columns=[
        Column(_l("Name"), lambda p: p.display_name, sort="name"),
        Column(_l("Short name"), lambda p: p.display_short_name, export_only=True),
        Column(_l("Type"), lambda p: p.get_type_display(), sort="type"),
        Column(
            _l("Region"),
            lambda p: p.region.name if p.region else _("National or international"),
            sort="region__code",
        ),
        Column(_l("Address"), lambda p: p.address, export_only=True),
        Column(_l("Contact person"), lambda p: p.contact_person, sort="contact_person"),
        Column(_l("Contact's role"), lambda p: p.contact_role, export_only=True),
        Column(_l("Agreement from"), lambda p: p.mou_start, sort="mou_start", export_only=True),
        Column(_l("Agreement until"), lambda p: p.mou_end, sort="mou_end"),
        Column(_l("Events"), lambda p: p.n_events, sort="n_events"),
        Column(_l("People sent"), lambda p: p.n_people, sort="n_people"),
        Column(_l("Active"), _active, sort="is_active"),
        Column(_l("Notes"), lambda p: p.notes, export_only=True),
        *LOCAL_NAMES,
        Column(_l("Short name (original)"), lambda p: p.short_name, export_only=True),
        Column(_l("Short name (Kazakh)"), lambda p: p.short_name_kk, export_only=True),
        Column(_l("Short name (Russian)"), lambda p: p.short_name_ru, export_only=True),
    ],
)

PROGRAMMES = Resource(
    key="programme",
    segment="programmes",
    model=Programme,
    form_class=forms.ProgrammeForm,
    queryset=selectors.programmes_with_counts,
    filterset_class=filters.ProgrammeFilter,
    search_fields=(*localised_fields("name"), "code", "budget_code", "sdg_target", "outcome"),
    default_sort="code",
    columns=[
        Column(_l("Code"), lambda p: p.code, sort="code"),
        Column(_l("Name"), lambda p: p.display_name, sort="name"),
        Column(_l("Donor"), lambda p: p.donor or "", sort="donor__name"),
        Column(_l("Budget code"), lambda p: p.budget_code, export_only=True),
        Column(_l("SDG target"), lambda p: p.sdg_target, sort="sdg_target"),
        Column(_l("Outcome"), lambda p: p.outcome, export_only=True),
        Column(_l("Start date"), lambda p: p.start_date, sort="start_date"),
        Column(_l("End date"), lambda p: p.end_date, sort="end_date"),
        Column(_l("Events"), lambda p: p.n_events, sort="n_events"),
        Column(_l("Active"), _active, sort="is_active"),
        *LOCAL_NAMES,
    ],
)

ACTIVITY_LINES = Resource(
    key="activityline",
    segment="activity-lines",
    model=ActivityLine,
    form_class=forms.ActivityLineForm,
    queryset=selectors.activity_lines_with_counts,
    filterset_class=filters.ActivityLineFilter,
    search_fields=(*localised_fields("name"), "code", "programme__code"),
    default_sort="programme__code",
    columns=[
        Column(_l("Programme"), lambda a: a.programme.code, sort="programme__code"),
        Column(_l("Code"), lambda a: a.code, sort="code"),
        Column(_l("Name"), lambda a: a.display_name, sort="name"),
        Column(_l("Events"), lambda a: a.n_events, sort="n_events"),
        Column(_l("Active"), _active, sort="is_active"),
        *LOCAL_NAMES,
    ],
)

CATEGORIES = Resource(
    key="category",
    segment="categories",
    model=ParticipantCategory,
    form_class=forms.CategoryForm,
    queryset=selectors.categories_with_counts,
    filterset_class=filters.CategoryFilter,
    search_fields=("name_kk", "name_ru", "name_en", "code", "group"),
    default_sort="order",
    columns=[
        Column(_l("Name"), lambda c: c.name, sort="name_{lang}"),
        Column(_l("Code"), lambda c: c.code, sort="code"),
        Column(_l("Group"), lambda c: c.group, sort="group"),
        Column(_l("Order"), lambda c: c.order, sort="order"),
        Column(_l("People"), lambda c: c.n_people, sort="n_people"),
        Column(_l("Active"), _active, sort="is_active"),
        *NAMES,
    ],
    help_text=_l("The cohorts people are counted by in reports. Names in all three languages."),
)

TOPICS = Resource(
    key="topic",
    segment="topics",
    model=Topic,
    form_class=forms.TopicForm,
    queryset=selectors.topics_with_counts,
    filterset_class=filters.TopicFilter,
    search_fields=localised_fields("name"),
    default_sort="name",
    columns=[
        Column(_l("Name"), lambda t: t.display_name, sort="name"),
        Column(_l("Events"), lambda t: t.n_events, sort="n_events"),
        Column(_l("Active"), _active, sort="is_active"),
        *LOCAL_NAMES,
    ],
)

FACILITATORS = Resource(
    key="facilitator",
    segment="facilitators",
    model=Facilitator,
    form_class=forms.FacilitatorForm,
    queryset=selectors.facilitators_with_counts,
    filterset_class=filters.FacilitatorFilter,
    search_fields=("name", "expertise", "organisation__name"),
    default_sort="name",
    columns=[
        Column(_l("Name"), lambda f: f.name, sort="name"),
        Column(_l("Expertise"), lambda f: f.expertise, sort="expertise"),
        Column(_l("Organisation"), lambda f: f.organisation or "", sort="organisation__name"),
        Column(_l("Events"), lambda f: f.n_events, sort="n_events"),
        Column(_l("Active"), _active, sort="is_active"),
    ],
)

RESOURCES = [PARTNERS, DISTRICTS, PROGRAMMES, ACTIVITY_LINES, CATEGORIES, TOPICS, FACILITATORS]


# Index --------------------------------------------------------------------------------------
@admin_required
def index(request):
    counts = selectors.manage_summary()
    sections = [
        (_("Regions and districts"), reverse("manage:region_list"), counts["region"]),
        *((r.title_plural.capitalize(), r.url("list"), counts[r.key]) for r in RESOURCES),
    ]
    return render(request, "manage/index.html", {"sections": sections})


# Regions ------------------------------------------------------------------------------------
REGION_COLUMNS = [
    Column(_l("Code"), lambda r: r.code),
    Column(_l("KATO"), lambda r: r.kato),
    Column(_l("Name"), lambda r: r.name),
    Column(_l("Kind"), lambda r: r.get_kind_display()),
    Column(_l("Districts"), lambda r: len([d for d in r.district_list if d.is_active])),
    Column(_l("Events"), lambda r: r.n_events),
    Column(_l("People reached"), lambda r: r.n_people),
    *NAMES,
]
REGION_SORTS = {
    "code": lambda r: r.code,
    "name": lambda r: r.name.casefold(),
    "events": lambda r: r.n_events,
    "people": lambda r: r.n_people,
}
REGION_HEADERS = [
    ("code", _l("Code")),
    ("name", _l("Name")),
    ("", _l("Districts")),
    ("events", _l("Events")),
    ("people", _l("People reached")),
]


@admin_required
def region_list(request):
    regions = selectors.region_overview()
    q = search_term(request).casefold()
    if q:
        regions = [
            r
            for r in regions
            if q in r.code.casefold()
            or any(q in n.casefold() for n in (r.name_kk, r.name_ru, r.name_en))
        ]
    sort = read_sort(request, REGION_SORTS, "code")
    regions.sort(key=REGION_SORTS[sort.removeprefix("-")], reverse=sort.startswith("-"))
    fmt = request.GET.get("export")
    if fmt in ("csv", "xlsx"):
        return export(_AsQueryset(regions), REGION_COLUMNS, "regions", fmt)
    return render(
        request,
        "manage/regions.html",
        {
            "regions": regions,
            "q": request.GET.get("q", ""),
            "sort": sort,
            # Counts sort the largest first.
            "headers": sort_headers(REGION_HEADERS, sort, descending_first={"events", "people"}),
        },
    )


class _AsQueryset(list):
    """A list of already loaded rows, exported like a queryset."""

    def iterator(self, chunk_size: int = 0):
        return iter(self)


@admin_required
@require_http_methods(["GET", "POST"])
def region_edit(request, pk: int):
    region = get_object_or_404(Region, pk=pk)
    form = forms.RegionForm(request.POST or None, instance=region)
    if request.method == "POST" and form.is_valid():
        services.save_record(form.save(commit=False), by=request.user)
        messages.success(request, _("%(obj)s saved.") % {"obj": region})
        return redirect("manage:region_list")
    districts = selectors.districts_with_counts().filter(region=region).order_by("-is_active")
    return render(
        request,
        "manage/region_form.html",
        {"region": region, "form": form, "districts": sorted(districts, key=_district_key)},
    )


def _district_key(d):
    return (not d.is_active, d.name.casefold())


@admin_required
@require_http_methods(["GET", "POST"])
def district_merge(request, pk: int):
    """Choose the district to merge into, confirm with the counts that will move, merge."""
    source = get_object_or_404(selectors.districts_with_counts(), pk=pk)
    form = forms.DistrictMergeForm(request.POST or None, source=source)
    confirm = False
    if request.method == "POST" and form.is_valid():
        target = form.cleaned_data["target"]
        if request.POST.get("confirm") == "yes":
            try:
                result = services.merge_districts(source=source, target=target, by=request.user)
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(
                    request,
                    _(
                        "%(source)s merged into %(target)s: %(events)d events and %(people)d "
                        "people moved."
                    )
                    % {
                        "source": source,
                        "target": target,
                        "events": result.events,
                        "people": result.people,
                    },
                )
                return redirect(target.region.get_absolute_url())
        else:
            confirm = True
    return render(
        request,
        "manage/district_merge.html",
        {"source": source, "form": form, "confirm": confirm},
    )


# Partners -----------------------------------------------------------------------------------
PARTNER_EVENT_COLUMNS = [
    Column(_l("Title"), lambda e: e.title),
    Column(_l("Start date"), lambda e: e.start_date),
    Column(_l("End date"), lambda e: e.end_date),
    Column(_l("Where"), lambda e: e.district or e.region),
    Column(_l("Host"), lambda e: e.as_host),
    Column(_l("Implementer"), lambda e: e.as_implementer),
    Column(_l("Status"), lambda e: e.get_status_display()),
]
PARTNER_PEOPLE_COLUMNS = [
    Column(_l("Full name"), lambda p: p.full_name),
    Column(_l("Position"), lambda p: p.position),
    Column(_l("Category"), lambda p: p.category.name),
    Column(_l("Region"), lambda p: p.region.name),
]


@admin_required
def partner_detail(request, pk: int):
    partner = get_object_or_404(selectors.partners_with_counts(), pk=pk)
    scope = scope_for(request.user)
    events = selectors.partner_events(scope, partner)
    people = selectors.partner_people(scope, partner)
    fmt = request.GET.get("export")
    if fmt in ("csv", "xlsx"):
        if request.GET.get("list") == "people":
            response = export(people, PARTNER_PEOPLE_COLUMNS, f"partner-{partner.pk}-people", fmt)
            record_download(
                request,
                "partner_people",
                fmt=fmt,
                obj=partner,
                object_repr=f"{partner._meta.label_lower}:{partner.pk} {partner}",
            )
            return response
        return export(events, PARTNER_EVENT_COLUMNS, f"partner-{partner.pk}-events", fmt)
    return render(
        request,
        "manage/partner_detail.html",
        {
            "partner": partner,
            "events": paginate(request, events, 25, param="events_page"),
            "people": paginate(request, people, 25),
            "references": partner.n_events or partner.n_people,
        },
    )
