from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import get_language

from accounts.scope import scope_for
from core.periods import Period
from regions.selectors import regions_visible

from .figures import PeriodForm, dashboard, dashboard_charts, default_period
from .progress import on_track_context


def _period(request, scope) -> tuple[PeriodForm, Period]:
    """The period asked for in the query string (or the default) and its form."""
    form = PeriodForm(request.GET or None)
    period = form.chosen_period() or default_period(scope)
    if not form.is_bound:
        form = PeriodForm(initial={"period": period.key})
    return form, period


def _on_track_url(period: Period) -> str:
    if period.kind == "custom":
        query = {"period": "custom", "start": period.start, "end": period.end}
    else:
        query = {"period": period.key}
    return f"{reverse('on_track')}?{urlencode(query)}"


@login_required
def home(request):
    """The dashboard: the user's regions and what happened there in a period (default: this
    quarter, or the latest quarter with events held). Aggregates only, so viewers see it too."""
    scope = scope_for(request.user)
    form, period = _period(request, scope)
    data = dashboard(scope, period)
    context = {
        **data,
        "form": form,
        "charts": dashboard_charts(data, get_language()),
        "regions": regions_visible(scope) if not scope.all_regions else None,
        "people_reached": data["reach"]["total"],
        # Counted with the cached aggregates; shown to those who may see people.
        "people_registered": data["people_registered"] if scope.can_see_people else None,
        # "Are we on track?" is loaded into the page by htmx (its own request: the
        # indicators cost a few queries each); without JavaScript, a link to its page.
        "on_track_url": _on_track_url(period),
    }
    return render(request, "dashboard/home.html", context)


@login_required
def on_track(request):
    """Are we on track? The programme's indicators against their targets, the trend by quarter,
    the regions side by side and the map, for the user's scope and period, counted by the
    report's rules. A fragment for the dashboard (htmx), a page of its own otherwise."""
    scope = scope_for(request.user)
    form, period = _period(request, scope)
    context = {"form": form, "period": period, "on_track": on_track_context(scope, period)}
    if request.htmx:
        return render(request, "dashboard/on_track.html", context)
    return render(request, "dashboard/on_track_page.html", context)
