"""Administration pages of Qadam itself (admins only): users and roles, and the audit trail.
A person's data requests (export, erasure, retention review) are participants' pages
(participants/privacy_views.py)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from core.listing import paginate
from core.params import int_param

from . import services
from .forms import AuditFilterForm, DeactivateForm, UserCreateForm, UserForm
from .models import Role, SecurityEvent, User
from .scope import admin_required
from .selectors import AuditTrail, model_choices, security_events, users_list


# Users --------------------------------------------------------------------------------------
@admin_required
def user_list(request):
    page = paginate(request, users_list(), 50)
    return render(request, "accounts/user_list.html", {"page": page})


@admin_required
@require_http_methods(["GET", "POST"])
def user_create(request):
    form = UserCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        user = services.create_user(
            username=data["username"],
            role=data["role"],
            regions=list(data["regions"]),
            password=data["password1"] or None,
            by=request.user,
            first_name=data["first_name"],
            last_name=data["last_name"],
            email=data["email"],
        )
        messages.success(request, _("User %(name)s created.") % {"name": user.username})
        if not data["password1"]:
            link = services.set_password_link(user, request.build_absolute_uri("/"))
            return render(request, "accounts/user_link.html", {"account": user, "link": link})
        return redirect("accounts:user_list")
    return render(request, "accounts/user_form.html", {"form": form, "creating": True})


@admin_required
@require_http_methods(["GET", "POST"])
def user_edit(request, pk: int):
    account = get_object_or_404(User, pk=pk)
    form = UserForm(request.POST or None, instance=account)
    if (
        request.method == "POST"
        and form.is_valid()
        and account.pk == request.user.pk
        and form.cleaned_data["role"] != Role.ADMIN
    ):
        # An administrator demoting themselves could leave nobody to manage users.
        form.add_error("role", _("You cannot take the administrator role from yourself."))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        regions = list(data.pop("regions"))
        # The form already set the fields on `account`; the service validates, saves, audits.
        services.update_user(user=account, by=request.user, regions=regions)
        messages.success(request, _("User %(name)s saved.") % {"name": account.username})
        return redirect("accounts:user_list")
    return render(
        request, "accounts/user_form.html", {"form": form, "account": account, "creating": False}
    )


@admin_required
@require_http_methods(["GET", "POST"])
def user_set_password_link(request, pk: int):
    account = get_object_or_404(User, pk=pk, is_active=True)
    if request.method == "POST":
        link = services.set_password_link(account, request.build_absolute_uri("/"))
        return render(request, "accounts/user_link.html", {"account": account, "link": link})
    return render(request, "accounts/user_link_confirm.html", {"account": account})


@admin_required
@require_http_methods(["GET", "POST"])
def user_deactivate(request, pk: int):
    account = get_object_or_404(User, pk=pk)
    form = DeactivateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if account == request.user:
            messages.error(request, _("You cannot deactivate your own account."))
        else:
            services.deactivate_user(user=account, by=request.user)
            messages.success(request, _("%(name)s can no longer log in.") % {"name": account})
        return redirect("accounts:user_list")
    return render(request, "accounts/user_deactivate.html", {"form": form, "account": account})


class SetPasswordView(auth_views.PasswordResetConfirmView):
    """The one-time link an administrator gives a new user to choose their password."""

    template_name = "registration/set_password.html"
    success_url = reverse_lazy("login")

    def form_valid(self, form):
        messages.success(self.request, _("Your password is set. You can log in now."))
        return super().form_valid(form)


# Audit trail --------------------------------------------------------------------------------
ACTIONS_SHOWN = 100  # recorded actions listed on the per-record / per-user audit page


@admin_required
def audit_log(request):
    """Who created, changed or deleted which record, in words, newest first; filtered by user,
    kind of record, dates and text. For one record (?model=&object_id=) or one user (?user=)
    also the actions recorded about it or by them (status changes, merges, data requests,
    downloads), so nothing needs looking up twice; logins only when asked for (they are on the
    security log). Admins only: the log spans every region."""
    form = AuditFilterForm(request.GET or None, model_choices=model_choices())
    filters = {}
    actions = None
    record_name = ""
    if form.is_valid():
        data = form.cleaned_data
        filters = {
            "model_label": data["model"],
            "user_id": data["user"].pk if data["user"] else None,
            "object_id": data["object_id"],
            "date_from": data["date_from"],
            "date_to": data["date_to"],
        }
        if filters["user_id"] or filters["object_id"]:
            actions = list(security_events(**filters, with_logins=data["logins"])[:ACTIONS_SHOWN])
        filters["text"] = data["q"].strip()
    page = paginate(request, AuditTrail(**filters), 25)
    if filters.get("object_id") and page.object_list:
        record_name = page.object_list[0].object_name
    return render(
        request,
        "accounts/audit_log.html",
        {
            "form": form,
            "page": page,
            "actions": actions,
            "actions_shown": ACTIONS_SHOWN,
            "one_record": bool(filters.get("object_id")),
            "record_name": record_name,
        },
    )


@admin_required
def security_log(request):
    kind = request.GET.get("kind", "")
    if kind not in SecurityEvent.Kind.values:
        kind = ""
    user_id = request.GET.get("user", "")
    user_id = int_param(user_id)
    events = security_events(user_id=user_id, kind=kind)
    page = paginate(request, events, 50)
    return render(
        request,
        "accounts/security_log.html",
        {
            "page": page,
            "kinds": SecurityEvent.Kind.choices,
            "kind": kind,
            "users": User.objects.order_by("username").only("pk", "username"),
            "user_id": user_id,
        },
    )
