"""/manage/report-logos/: admins upload the logos printed on the donor report's first page
(the implementing agency's and the donor's; docs/decisions/0014). The work is in
reports/branding.py; the images leave only through `report_logo_image` (admins)."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from accounts.scope import admin_required
from core import uploads
from reports import branding
from reports.models import ReportLogo


class LogoForm(forms.Form):
    name = forms.CharField(
        label=gettext_lazy("Name"),
        max_length=200,
        help_text=gettext_lazy("Whose logo it is, e.g. “UNDP Kazakhstan”."),
    )
    image = forms.FileField(label=gettext_lazy("Image (PNG, JPEG or WebP)"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["image"].help_text = _(
            "Up to %(size)s. A PNG with a transparent background prints best."
        ) % {"size": uploads.size_in_words(settings.REPORT_LOGO_MAX_BYTES)}
        self.fields["image"].widget.attrs["accept"] = "image/png,image/jpeg,image/webp"


def _slots(forms_by_role: dict[str, LogoForm]) -> list[dict]:
    found = branding.logos()
    return [
        {"role": role, "label": label, "logo": found.get(role), "form": forms_by_role[role]}
        for role, label in ReportLogo.Role.choices
    ]


@admin_required
@require_http_methods(["GET", "POST"])
def report_logos(request):
    """Both slots, each with its logo (if any) and a form to upload or replace it."""
    current = branding.logos()
    forms_by_role = {
        role: LogoForm(
            prefix=role, initial={"name": current[role].name} if role in current else None
        )
        for role in ReportLogo.Role.values
    }
    role = request.POST.get("role", "")
    if request.method == "POST":
        if role not in forms_by_role:
            raise Http404
        form = LogoForm(request.POST, request.FILES, prefix=role)
        forms_by_role[role] = form
        if form.is_valid():
            try:
                branding.set_logo(
                    role=role,
                    name=form.cleaned_data["name"],
                    data=form.cleaned_data["image"].read(),
                    by=request.user,
                )
            except ValidationError as error:
                for field, errors in error.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                messages.success(request, _("The logo is saved: new reports print it."))
                return redirect("manage:report_logos")
        messages.error(request, _("Please correct the errors below."))
    return render(request, "manage/report_logos.html", {"slots": _slots(forms_by_role)})


@admin_required
@require_POST
def report_logo_remove(request, pk: int):
    logo = get_object_or_404(ReportLogo, pk=pk)
    branding.remove_logo(role=logo.role)
    messages.success(request, _("The logo is removed: new reports print none."))
    return redirect("manage:report_logos")


@admin_required
def report_logo_image(request, pk: int):
    logo = get_object_or_404(ReportLogo, pk=pk)
    try:
        handle = logo.image.open("rb")
    except (FileNotFoundError, ValueError) as missing:
        raise Http404 from missing
    response = FileResponse(handle, content_type=logo.content_type)
    response["Cache-Control"] = "private, max-age=600"
    return response
