"""Report run pages: the list of past runs, the request form, a run's live progress, retry and
file downloads. Thin: the rules live in reports/services.py."""

from __future__ import annotations

import mimetypes
from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from accounts.audit import record_download
from accounts.scope import scope_for
from core import periods
from core.access import require, visible_or_404
from core.listing import paginate, read_sort
from participants.feedback_selectors import quotes_awaiting_review

from . import framework, iati_validation, numbers, services
from .files import download_name
from .models import ReportRun
from .run_forms import ReportRequestForm, format_label

STAGES = {
    "queued": gettext_lazy("Waiting for a worker"),
    "starting": gettext_lazy("Starting"),
    "computing": gettext_lazy("Counting the numbers"),
    "fingerprint": gettext_lazy("Checking the data"),
    "indicators": gettext_lazy("Computing the indicators"),
    "people": gettext_lazy("Counting people reached"),
    "events": gettext_lazy("Listing the events"),
    "feedback": gettext_lazy("Summarising feedback"),
    "knowledge": gettext_lazy("Comparing test scores"),
    "narrative": gettext_lazy("Adding the narrative"),
    "computed": gettext_lazy("Numbers ready"),
    "activity": gettext_lazy("Adding every quarter of the programme for IATI"),
    "storing": gettext_lazy("Saving the files"),
    "done": gettext_lazy("Finished"),
}
CONTENT_TYPES = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
    "zip": "application/zip",
    "xml": "application/xml",
}
SORTS = {
    "-created": "-created_at",
    "created": "created_at",
    "-period": "-period_start",
    "period": "period_start",
    "status": "status",
}


def stage_label(stage: str) -> str:
    if stage.startswith("rendering "):
        return _("Writing the %(format)s file") % {"format": stage.split(" ", 1)[1].upper()}
    return str(STAGES.get(stage, stage.replace("_", " ")))


def duration_text(run: ReportRun) -> str:
    if not (run.started_at and run.finished_at):
        return ""
    seconds = max(0, int((run.finished_at - run.started_at) / timedelta(seconds=1)))
    if seconds < 60:
        return _("%(s)s s") % {"s": seconds}
    return _("%(m)s min %(s)s s") % {"m": seconds // 60, "s": seconds % 60}


SUMMARY = (
    ("people", gettext_lazy("People reached (unique)")),
    ("women", gettext_lazy("Women")),
    ("men", gettext_lazy("Men")),
    ("events", gettext_lazy("Events held")),
    ("sessions", gettext_lazy("Sessions delivered")),
    ("partners", gettext_lazy("Partners engaged")),
    ("respondents", gettext_lazy("Feedback respondents")),
    ("satisfied_pct", gettext_lazy("Satisfied respondents, %")),
    ("knowledge_gain", gettext_lazy("Mean knowledge gain, points")),
)


# Places of each headline number (counts none); the gain is a change, shown with its sign.
SUMMARY_PLACES = {"satisfied_pct": numbers.PLACES[numbers.PERCENT]}


def summary_rows(run: ReportRun) -> list[tuple[str, str]]:
    """The headline numbers frozen in the run's snapshot, printed as the donor files print
    them (reports/numbers.py)."""
    summary = (run.snapshot or {}).get("summary") or {}
    rows = []
    for key, label in SUMMARY:
        value = summary.get(key)
        if value is None:
            continue
        if key == "knowledge_gain":
            shown = numbers.signed(value, numbers.PLACES[numbers.POINTS])
        else:
            shown = numbers.show(value, SUMMARY_PLACES.get(key, 0))
        rows.append((label, shown))
    return rows


def _run_context(run: ReportRun) -> dict:
    order = {fmt: i for i, fmt in enumerate(run.formats)}
    files = sorted(run.files.all(), key=lambda f: (order.get(f.format, 99), f.format))
    findings = [iati_validation.Finding.from_json(f) for f in run.iati_findings or []]
    return {
        "iati_errors": iati_validation.errors(findings),
        "iati_warnings": iati_validation.warnings(findings),
        "summary": summary_rows(run) if run.status == ReportRun.Status.DONE else [],
        "run": run,
        "stage": stage_label(run.stage),
        "duration": duration_text(run),
        "files": [(f, format_label(f.format)) for f in files],
        "is_active": run.status in (ReportRun.Status.QUEUED, ReportRun.Status.RUNNING),
        "unsent": run.status == ReportRun.Status.QUEUED and not run.task_id,
        "stuck": services.is_stuck(run),
    }


@login_required
def run_list(request):
    """Past report runs the user may see, newest first, with their files."""
    scope = scope_for(request.user)
    runs = services.runs_visible(scope).select_related("requested_by", "programme")
    status = request.GET.get("status", "")
    if status in ReportRun.Status.values:
        runs = runs.filter(status=status)
    sort = read_sort(request, SORTS, "-created", reversible=False)
    runs = runs.order_by(SORTS[sort], "-pk")
    page = paginate(request, runs.prefetch_related("regions", "files"), 20)
    rows = [_run_context(run) for run in page.object_list]
    return render(
        request,
        "reports/run_list.html",
        {
            "page": page,
            "rows": rows,
            "status": status,
            "sort": sort,
            "statuses": ReportRun.Status.choices,
            "can_request": scope.can_build_reports,
        },
    )


@login_required
def run_new(request):
    """The request form; a valid request is queued and the user sent to its progress page."""
    scope = scope_for(request.user)
    require(scope.can_build_reports)
    form = ReportRequestForm(request.POST or None, scope=scope)
    if request.method == "POST" and form.is_valid() and form.cleaned_data["period"]:
        label, start, end = form.cleaned_data["period"]
        try:
            run = services.request_report(
                user=request.user,
                period_label=label,
                start=start,
                end=end,
                region_ids=form.region_ids(),
                formats=form.cleaned_data["formats"],
                language=form.cleaned_data["language"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            if run.status == ReportRun.Status.QUEUED and not run.task_id:
                messages.error(request, services.UNAVAILABLE)
            else:
                messages.success(request, _("Your report has been requested."))
            return redirect(run)
    return render(
        request,
        "reports/run_new.html",
        {"form": form, **_quotes_to_review(scope), **_missing_texts(request, scope, form)},
    )


def _missing_texts(request, scope, form) -> dict:
    """The texts a report of the quarter would lack (?check=2024Q3, else the form's quarter)."""
    key = request.GET.get("check") or form.data.get("quarter") or form.fields["quarter"].initial
    period = periods.parse(key)
    if period is None or period.kind != "quarter":
        period = periods.parse(form.fields["quarter"].initial)
    programme = services.default_programme()
    return {
        "check_period": period,
        "check_choices": form.fields["quarter"].choices,
        "missing_texts": framework.missing_texts(scope, programme=programme, period=period),
    }


def _quotes_to_review(scope, **filters) -> dict:
    """How many consented quotes (of the scope, and of a run's period and regions) are still
    awaiting review: reports leave them out until programme staff approve them."""
    return {
        "pending_quotes": quotes_awaiting_review(scope, **filters),
        "can_review_quotes": scope.can_edit_framework,
    }


@login_required
def run_detail(request, pk: int):
    scope = scope_for(request.user)
    run = visible_or_404(services.runs_with_details(scope), pk=pk)
    context = _run_context(run)
    if scope.can_build_reports:
        region_ids = [r.pk for r in run.regions.all()] or None
        context |= _quotes_to_review(
            scope, start=run.period_start, end=run.period_end, region_ids=region_ids
        )
        context["review_period"] = run.period_label if periods.parse(run.period_label) else ""
    return render(request, "reports/run_detail.html", context)


@login_required
def run_progress(request, pk: int):
    """The progress fragment htmx polls while a run is queued or running."""
    run = visible_or_404(services.runs_with_details(scope_for(request.user)), pk=pk)
    return render(request, "reports/partials/run_progress.html", _run_context(run))


@login_required
@require_POST
def run_retry(request, pk: int):
    """Send a failed, never sent or stuck run to the workers again."""
    run = visible_or_404(services.runs_with_details(scope_for(request.user)), pk=pk)
    try:
        run = services.retry_run(run, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        if run.status == ReportRun.Status.QUEUED and not run.task_id:
            messages.error(request, services.UNAVAILABLE)
        else:
            messages.success(request, _("The report is being built again."))
    return redirect(run)


@login_required
def run_download(request, pk: int, fmt: str):
    """One file of a finished run, streamed from storage; every download is audited."""
    return run_file_response(request, scope_for(request.user), pk, fmt)


def run_file_response(request, scope, pk: int, fmt: str) -> FileResponse:
    """The checked, audited download of one file of a run: this page's link and the API's
    (api/views.py) both answer through it."""
    require(scope.can_download_reports)
    run = visible_or_404(services.runs_with_details(scope), pk=pk)
    if run.status != ReportRun.Status.DONE:
        raise Http404
    report_file = next((f for f in run.files.all() if f.format == fmt), None)
    if report_file is None or not report_file.file:
        raise Http404
    name = download_name(report_file)
    extension = name.rsplit(".", 1)[-1].lower()
    content_type = (
        CONTENT_TYPES.get(extension) or mimetypes.guess_type(name)[0] or "application/octet-stream"
    )
    try:
        handle = report_file.file.open("rb")
    except FileNotFoundError as missing:
        raise Http404 from missing
    record_download(
        request,
        "report",
        fmt=fmt,
        obj=run,
        object_repr=f"{run._meta.label_lower}:{run.pk} {run.period_label}",
        file=name,
    )
    return FileResponse(handle, as_attachment=True, filename=name, content_type=content_type)
