"""Optional two-factor login (TOTP, django-otp) for programme staff and administrators.

A user adds an authenticator app on /account/two-factor/ (QR code); from then on, after the
password, every login asks for the 6-digit code before any page opens (OTPRequiredMiddleware)."""

from __future__ import annotations

import segno
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.signals import user_logged_in
from django.core.exceptions import PermissionDenied
from django.dispatch import receiver
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods
from django_otp import login as otp_login
from django_otp import user_has_device
from django_otp.plugins.otp_totp.models import TOTPDevice

from .models import Role

TWO_FACTOR_ROLES = {Role.ADMIN, Role.STAFF}


class TokenForm(forms.Form):
    token = forms.CharField(
        label=gettext_lazy("6-digit code from your authenticator app"),
        max_length=8,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


def may_use_two_factor(user) -> bool:
    return user.is_superuser or user.role in TWO_FACTOR_ROLES


@login_required
@require_http_methods(["GET", "POST"])
def setup(request):
    """Add an authenticator app: show the QR code of a new (unconfirmed) device and confirm it
    with a first code."""
    if not may_use_two_factor(request.user):
        raise PermissionDenied
    confirmed = TOTPDevice.objects.filter(user=request.user, confirmed=True).exists()
    device = TOTPDevice.objects.filter(user=request.user, confirmed=False).first()
    if device is None and not confirmed:
        device = TOTPDevice.objects.create(user=request.user, name="authenticator", confirmed=False)
    form = TokenForm(request.POST or None)
    if device is not None and request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["token"].strip()):
            device.confirmed = True
            device.save()
            otp_login(request, device)
            messages.success(request, _("Two-factor login is on for your account."))
            return redirect("home")
        form.add_error("token", _("This code is not right. Check the time on your phone."))
    qr = segno.make(device.config_url, error="m").svg_data_uri(scale=4) if device else None
    return render(
        request,
        "accounts/two_factor_setup.html",
        {"form": form, "qr": qr, "confirmed": confirmed, "device": device},
    )


@login_required
@require_http_methods(["GET", "POST"])
def verify(request):
    """The second step of a login for a user with an authenticator app."""
    form = TokenForm(request.POST or None)
    next_url = request.POST.get("next") or request.GET.get("next") or reverse("home")
    if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}):
        next_url = reverse("home")
    if request.method == "POST" and form.is_valid():
        token = form.cleaned_data["token"].strip()
        for device in TOTPDevice.objects.filter(user=request.user, confirmed=True):
            if device.verify_token(token):
                otp_login(request, device)
                return redirect(next_url)
        form.add_error("token", _("This code is not right."))
    return render(request, "accounts/two_factor_verify.html", {"form": form, "next": next_url})


SESSION_FLAG = "qadam_otp_required"


@receiver(user_logged_in, dispatch_uid="qadam_otp_required_flag")
def _remember_whether_a_code_is_needed(sender, request, user, **kwargs):
    """Looked up once at login, so pages do not query the devices on every request."""
    if request is not None and hasattr(request, "session"):
        request.session[SESSION_FLAG] = user_has_device(user, confirmed=True)


class OTPRequiredMiddleware:
    """After the password, a user with a confirmed authenticator reaches no page but the code
    page (and logout, static files) until the code is given."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and request.session.get(SESSION_FLAG)
            and not user.is_verified()
            and not request.path.startswith(("/static/", "/healthz/"))
            and request.path not in (reverse("two_factor_verify"), reverse("logout"))
        ):
            return redirect(f"{reverse('two_factor_verify')}?next={request.path}")
        return self.get_response(request)
