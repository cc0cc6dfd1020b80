"""Optional two-factor login (TOTP, django-otp) for programme staff and administrators.

A user adds an authenticator app on /account/two-factor/ (QR code); from then on, after the
password, every login asks for the 6-digit code before any page opens (OTPRequiredMiddleware)."""

from __future__ import annotations

import segno
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.signals import user_logged_in
from django.db import transaction
from django.db.models.signals import post_delete
from django.dispatch import receiver
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods
from django_otp import login as otp_login
from django_otp import user_has_device
from django_otp.plugins.otp_totp.models import TOTPDevice

from core.access import require

from .audit import record_event
from .models import SecurityEvent
from .scope import scope_for
from .sessions import end_other_sessions


class TokenForm(forms.Form):
    token = forms.CharField(
        label=gettext_lazy("6-digit code from your authenticator app"),
        max_length=8,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


@transaction.atomic
def two_factor_start(*, user) -> TOTPDevice:
    """The user's authenticator waiting for its first code: the one already started, or a new
    unconfirmed device (a new secret) when there is none."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice(user=user, name="authenticator", confirmed=False)
        device.full_clean()
        device.save()
    return device


def two_factor_confirm(*, request, device: TOTPDevice, token: str) -> bool:
    """Turn two-factor login on if `token` is the device's current code: the device is
    confirmed, this session counts as verified under a new key, and every other session of the
    user ends (whoever else was logged in with the password alone has to log in again)."""
    if not device.verify_token(token.strip()):
        return False
    with transaction.atomic():
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        otp_login(request, device)
        request.session[SESSION_FLAG] = True
        ended = end_other_sessions(
            user_id=device.user_id, keep_session_key=request.session.session_key
        )
        request.session.cycle_key()
        record_event(
            SecurityEvent.Kind.USER_CHANGED,
            user=device.user,
            request=request,
            object_repr=str(device.user),
            obj=device.user,
            detail={"two_factor": "on", "other_sessions_ended": ended},
        )
    return True


@login_required
@require_http_methods(["GET", "POST"])
def setup(request):
    """Add an authenticator app in two steps: "Set up" (POST) makes a new unconfirmed device,
    then the page shows its QR code until the first code confirms it. Opening the page
    changes nothing."""
    require(scope_for(request.user).can_use_two_factor)
    confirmed = TOTPDevice.objects.filter(user=request.user, confirmed=True).exists()
    device = None
    if not confirmed:
        device = TOTPDevice.objects.filter(user=request.user, confirmed=False).first()
    form = TokenForm(request.POST if request.method == "POST" and device else None)
    if request.method == "POST" and request.POST.get("action") == "start" and not confirmed:
        two_factor_start(user=request.user)
        return redirect("accounts:two_factor_setup")
    if request.method == "POST" and device is None:  # already on, or not set up yet
        return redirect("accounts:two_factor_setup")
    if request.method == "POST" and form.is_valid():
        if two_factor_confirm(request=request, device=device, token=form.cleaned_data["token"]):
            messages.success(
                request,
                _(
                    "Two-factor login is on for your account. Anyone logged in as you on "
                    "another browser or device has been logged out."
                ),
            )
            return redirect("home")
        form.add_error("token", _("This code is not right. Check the time on your phone."))
    qr = segno.make(device.config_url, error="m").svg_data_uri(scale=4) if device else None
    return render(
        request,
        "accounts/two_factor_setup.html",
        {"form": form, "qr": qr, "confirmed": confirmed, "device": device},
    )


@receiver(post_delete, sender=TOTPDevice, dispatch_uid="qadam_two_factor_removed")
def _end_sessions_when_an_authenticator_is_removed(sender, instance, **kwargs):
    """An administrator removing someone's authenticator (two-factor off) logs that person out
    everywhere: their sessions would otherwise keep asking for a code no device can give."""
    if instance.confirmed:
        user_id = instance.user_id
        transaction.on_commit(lambda: end_other_sessions(user_id=user_id))


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
                return HttpResponseRedirect(next_url)  # a URL, never a view name to reverse
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
