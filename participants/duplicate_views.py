"""Possible cross-region duplicates for programme staff: the list, and "not the same person".
Merging goes through the registry's merge page. For anyone else these pages do not exist
(404): a coordinator must not learn that someone outside their regions resembles a record."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.scope import scope_for
from core.access import require, visible_or_404
from core.listing import paginate

from .duplicates import dismiss_possible_duplicate, possible_duplicates_open


def merge_url(duplicate) -> str:
    """The registry's merge page for the pair, keeping the older record by default."""
    url = reverse("participants:person_merge", args=[duplicate.existing_id])
    return f"{url}?{urlencode({'other': duplicate.new_person_id})}"


@login_required
def possible_duplicates(request):
    scope = scope_for(request.user)
    require(scope.can_review_duplicates, hidden=True)
    page = paginate(request, possible_duplicates_open(scope), 25)
    for duplicate in page.object_list:
        duplicate.merge_url = merge_url(duplicate)
    return render(request, "participants/possible_duplicates.html", {"page": page})


@login_required
def possible_duplicate_dismiss(request, pk: int):
    """Confirm, then record that the two records are different people."""
    scope = scope_for(request.user)
    require(scope.can_review_duplicates, hidden=True)
    duplicate = visible_or_404(possible_duplicates_open(scope), pk=pk)
    if request.method == "POST":
        dismiss_possible_duplicate(duplicate=duplicate, by=request.user)
        messages.success(
            request,
            _("%(a)s and %(b)s are recorded as different people.")
            % {"a": duplicate.existing, "b": duplicate.new_person},
        )
        return redirect("participants:possible_duplicates")
    duplicate.merge_url = merge_url(duplicate)
    return render(request, "participants/possible_duplicate_dismiss.html", {"duplicate": duplicate})
