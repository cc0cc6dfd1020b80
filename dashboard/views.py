from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils.translation import get_language

from accounts.scope import scope_for
from regions.selectors import regions_visible

from .figures import PeriodForm, dashboard, dashboard_charts, default_period


@login_required
def home(request):
    """The dashboard: the user's regions and what happened there in a period (default: this
    quarter, or the latest quarter with events held). Aggregates only, so viewers see it too."""
    scope = scope_for(request.user)
    form = PeriodForm(request.GET or None)
    period = form.chosen_period() or default_period(scope)
    if not form.is_bound:
        form = PeriodForm(initial={"period": period.key})
    data = dashboard(scope, period)
    context = {
        **data,
        "form": form,
        "charts": dashboard_charts(data, get_language()),
        "regions": regions_visible(scope) if not scope.all_regions else None,
        "people_reached": data["reach"]["total"],
        # Counted with the cached aggregates; shown to those who may see people.
        "people_registered": data["people_registered"] if scope.can_see_people else None,
    }
    return render(request, "dashboard/home.html", context)
