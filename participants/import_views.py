"""Pages of the spreadsheet import: templates, upload, preview with errors, confirm, progress.
Thin: the work is in participants/imports/services.py."""

from __future__ import annotations

from pathlib import PurePosixPath

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from accounts.audit import record_download
from accounts.scope import scope_for
from core.access import require, visible_or_404
from core.params import int_param
from participants.models import ImportBatch
from trainings.selectors import events_visible

from .imports.blank import template_response
from .imports.columns import KINDS
from .imports.selectors import batches_visible
from .imports.services import choose_sheet, confirm_import, import_refusal, start_import
from .imports.sources import choices as column_sources

LANGS = [("kk", "Қазақша"), ("ru", "Русский"), ("en", "English")]
KIND_CHOICES = [
    ("participants", _("Participants and enrolment")),
    ("attendance", _("Attendance per session")),
    ("feedback", _("Feedback")),
    ("scores", _("Pre/post test scores")),
]


class LanguageSelect(forms.Select):
    """Each language named in itself, marked with its language (a screen reader says "English"
    in English on a Kazakh page)."""

    def create_option(self, *args, **kwargs):
        option = super().create_option(*args, **kwargs)
        option["attrs"]["lang"] = option["value"]
        return option


class TemplateForm(forms.Form):
    kind = forms.ChoiceField(label=_("What the file holds"), choices=KIND_CHOICES)
    lang = forms.ChoiceField(
        label=_("Language of the headers"), choices=LANGS, widget=LanguageSelect
    )
    fmt = forms.ChoiceField(label=_("Format"), choices=[("xlsx", "Excel (.xlsx)"), ("csv", "CSV")])


class UploadForm(forms.Form):
    file = forms.FileField(
        label=_("Spreadsheet (.xlsx or .csv)"),
        help_text=_("Up to 10 MB and 60,000 rows. Headers in Kazakh, Russian or English."),
    )
    columns = forms.ChoiceField(
        label=_("Columns"),
        required=False,
        help_text=_("An export of a connected KoboToolbox form is read with that form's mapping."),
    )

    def __init__(self, *args, sources: list[tuple[str, str]] = (), **kwargs):
        super().__init__(*args, **kwargs)
        if sources:
            self.fields["columns"].choices = [("", _("Qadam's template columns")), *sources]
        else:
            del self.fields["columns"]

    def clean_file(self):
        upload = self.cleaned_data["file"]
        limit = settings.IMPORT_MAX_BYTES
        if upload.size > limit:
            raise forms.ValidationError(
                _("The file is too large: the limit is %(mb)s MB. Split it in parts.")
                % {"mb": round(limit / 1048576, 1)}
            )
        if upload.size == 0:
            raise forms.ValidationError(_("The file is empty."))
        return upload


@login_required
def import_home(request):
    scope = scope_for(request.user)
    require(scope.can_edit and scope.can_see_people)
    batches = batches_visible(scope).select_related("event", "created_by")[:30]
    events = events_visible(scope).order_by("-start_date")[:50]
    return render(
        request,
        "imports/home.html",
        {"batches": batches, "events": events, "template_form": TemplateForm()},
    )


@login_required
def template_download(request):
    scope = scope_for(request.user)
    require(scope.can_edit and scope.can_see_people)
    form = TemplateForm(request.GET or None)
    if not form.is_valid():
        return redirect("imports:home")
    event = None
    if request.GET.get("event"):  # an id that is not a number is no event either: 404
        event = visible_or_404(events_visible(scope), pk=int_param(request.GET["event"]))
    data = form.cleaned_data
    return template_response(data["kind"], data["lang"], data["fmt"], event)


@login_required
def upload(request, pk: int):
    scope = scope_for(request.user)
    require(scope.can_edit and scope.can_see_people)
    event = visible_or_404(events_visible(scope), pk=pk)
    refusal = import_refusal(scope, event)
    if refusal:  # a reported event is locked for coordinators: no form, nothing stored
        messages.error(request, refusal)
        return redirect(event)
    form = UploadForm(request.POST or None, request.FILES or None, sources=column_sources(scope))
    if request.method == "POST" and form.is_valid():
        upload_file = form.cleaned_data["file"]
        try:
            batch = start_import(
                event=event,
                data=upload_file.read(),
                filename=upload_file.name,
                user=request.user,
                columns=form.cleaned_data.get("columns", ""),
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return redirect(event)
        return redirect(batch)
    return render(
        request,
        "imports/upload.html",
        {"event": event, "form": form, "template_form": TemplateForm(), "kinds": KINDS},
    )


def _batch_context(scope, batch: ImportBatch) -> dict:
    """The batch and, for a preview, why this user may not confirm it (a locked event)."""
    refusal = ""
    if batch.status == ImportBatch.Status.PREVIEW:
        refusal = import_refusal(scope, batch.event)
    return {"batch": batch, "refusal": refusal}


@login_required
def batch_detail(request, pk: int):
    scope = scope_for(request.user)
    batch = visible_or_404(batches_visible(scope).select_related("event", "created_by"), pk=pk)
    return render(request, "imports/batch_detail.html", _batch_context(scope, batch))


@login_required
def batch_progress(request, pk: int):
    scope = scope_for(request.user)
    batch = visible_or_404(batches_visible(scope).select_related("event", "created_by"), pk=pk)
    return render(request, "imports/partials/progress.html", _batch_context(scope, batch))


@login_required
def batch_file(request, pk: int):
    """The spreadsheet as uploaded, for those who may see the batch's event and its people; it
    holds names, so the download is recorded. Gone once the import is written (404)."""
    scope = scope_for(request.user)
    batch = visible_or_404(batches_visible(scope).select_related("event", "created_by"), pk=pk)
    if not batch.file:
        raise Http404
    try:
        handle = batch.file.open("rb")
    except FileNotFoundError as missing:
        raise Http404 from missing
    extension = PurePosixPath(batch.original_name).suffix.lower().lstrip(".")
    # Named by the batch's id, never as uploaded: a file name may hold a person's name.
    record_download(
        request,
        "import",
        fmt=extension if extension in ("xlsx", "xls", "csv") else "",
        obj=batch,
        object_repr=f"{batch._meta.label_lower}:{batch.pk}",
    )
    return FileResponse(
        handle,
        as_attachment=True,
        filename=batch.original_name,
        # Never rendered by the browser, whatever the uploader named it.
        content_type="application/octet-stream",
    )


@login_required
@require_POST
def batch_confirm(request, pk: int):
    scope = scope_for(request.user)
    batch = visible_or_404(batches_visible(scope).select_related("event", "created_by"), pk=pk)
    require(scope.can_edit and scope.can_see_people)
    try:
        confirm_import(batch, user=request.user)
    except ValidationError as error:  # e.g. the event was reported since the preview
        messages.error(request, " ".join(error.messages))
    return redirect(batch)


@login_required
@require_POST
def batch_sheet(request, pk: int):
    """Check the workbook again on the sheet picked in the preview."""
    scope = scope_for(request.user)
    batch = visible_or_404(batches_visible(scope).select_related("event", "created_by"), pk=pk)
    require(scope.can_edit and scope.can_see_people)
    try:
        choose_sheet(batch, sheet=request.POST.get("sheet", ""), user=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect(batch)
