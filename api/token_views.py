"""The signed-in user's API tokens: create one (its secret is shown on this response only),
list them, revoke one. Admins revoke anyone's in the Django admin."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from . import services
from .forms import TokenForm
from .models import ApiToken


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def token_list(request):
    form = TokenForm(request.POST or None)
    secret = ""
    new_token = None
    if request.method == "POST" and form.is_valid():
        new_token, secret = services.create_token(
            user=request.user,
            name=form.cleaned_data["name"],
            days=form.cleaned_data["days"],
            by=request.user,
        )
        form = TokenForm()
    tokens = ApiToken.objects.filter(user=request.user).order_by("-created", "-pk")
    return render(
        request,
        "api/tokens.html",
        {"form": form, "tokens": tokens, "secret": secret, "new_token": new_token},
    )


@login_required
@require_POST
def token_revoke(request, pk: int):
    # Only one's own tokens: another user's token is "not found".
    token = get_object_or_404(ApiToken, pk=pk, user=request.user)
    services.revoke_token(token=token, by=request.user)
    messages.success(request, _("The token “%(name)s” no longer works.") % {"name": token.name})
    return redirect("api:tokens")
