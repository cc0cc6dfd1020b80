"""A person's data requests (administrators only): export their data as JSON, erase it on
request, and the periodic retention review. The work is done by participants/privacy.py;
these views check access and render. URLs under /privacy/ (participants/privacy_urls.py)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts.scope import admin_required, scope_for
from core.access import visible_or_404
from core.listing import paginate

from .forms import EraseForm
from .privacy import erase_person, export_person_json, people_due_for_review
from .selectors import people_visible


@admin_required
def person_export(request, pk: int):
    person = visible_or_404(people_visible(scope_for(request.user)), pk=pk)
    body = export_person_json(person, by=request.user, request=request)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="person-{person.pk}.json"'
    return response


@admin_required
@require_http_methods(["GET", "POST"])
def person_erase(request, pk: int):
    person = visible_or_404(people_visible(scope_for(request.user)), pk=pk)
    if person.is_anonymised:
        messages.info(request, _("This record is already anonymised."))
    form = EraseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        erase_person(person, request.user, request=request, reason=form.cleaned_data["reason"])
        messages.success(request, _("The person's data was erased; the counts are kept."))
        return redirect(person.get_absolute_url())
    return render(request, "participants/person_erase.html", {"form": form, "person": person})


@admin_required
def retention(request):
    people = people_due_for_review(people_visible(scope_for(request.user)))
    page = paginate(request, people, 50)
    return render(
        request,
        "participants/retention.html",
        {"page": page, "years": settings.PERSONAL_DATA_RETENTION_YEARS},
    )
