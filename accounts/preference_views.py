"""The signed-in user's own preferences (today: how the quarterly close's mail reaches them)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from . import services
from .forms import MailPreferencesForm


@login_required
@require_http_methods(["GET", "POST"])
def mail_preferences(request):
    # An unticked box posts nothing: the form is bound on any POST, not on a non-empty one.
    data = request.POST if request.method == "POST" else None
    form = MailPreferencesForm(data, instance=request.user)
    if request.method == "POST" and form.is_valid():
        services.set_mail_preferences(
            user=request.user, email_digest=form.cleaned_data["email_digest"]
        )
        messages.success(request, _("Your mail settings are saved."))
        return redirect("accounts:mail_preferences")
    return render(request, "accounts/mail_preferences.html", {"form": form})
