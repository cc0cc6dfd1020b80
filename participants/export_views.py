""" "My exports": the user's own export jobs, their progress (polled by htmx while at work),
download, retry and delete. Nobody sees another user's jobs (404, admins included); a download
also needs the owner's current Scope to cover what the file holds (404 otherwise)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.audit import record_download
from accounts.scope import CONTACT_ROLES, scope_for
from core.listing import paginate

from . import export_jobs
from .export_middleware import set_ready, watch
from .exports import audit_filters
from .models import ExportJob

CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def _mine(request, pk: int) -> ExportJob:
    return get_object_or_404(export_jobs.jobs_of(request.user), pk=pk)


def _ready_count(request) -> None:
    ready = export_jobs.jobs_of(request.user).filter(
        status=ExportJob.Status.DONE, downloaded_at__isnull=True
    )
    set_ready(request, ready.count())


@login_required
def export_list(request):
    """The user's exports, newest first: four queries whatever their number."""
    jobs = export_jobs.jobs_of(request.user).defer("params", "scope")
    page = paginate(request, jobs, 20)
    return render(request, "participants/export_list.html", {"page": page, "jobs": page})


@login_required
def export_progress(request, pk: int):
    """One row of the list, polled by htmx while the job is queued or running."""
    job = _mine(request, pk)
    return render(request, "participants/partials/export_row.html", {"job": job})


@login_required
def export_download(request, pk: int):
    """The job's file, to its owner only, while their Scope still covers it; audited."""
    job = _mine(request, pk)
    if job.status != ExportJob.Status.DONE or not job.file:
        raise Http404
    if not export_jobs.still_covered(job, scope_for(request.user)):
        raise Http404
    try:
        handle = job.file.open("rb")
    except FileNotFoundError as missing:
        raise Http404 from missing
    if job.kind != ExportJob.Kind.EVENTS:  # files holding people's names are audited
        params = export_jobs.params_of(job)
        detail = {"job": job.pk, "filters": audit_filters(params)}
        if job.kind == ExportJob.Kind.PARTICIPANTS:
            detail["contacts"] = _has_contacts(job)
        event = params.get("event") if job.kind == ExportJob.Kind.ATTENDANCE else None
        record_download(
            request,
            job.kind,
            fmt=job.format,
            object_repr=f"trainings.trainingevent:{event}" if event else "",
            **detail,
        )
    if job.downloaded_at is None:
        ExportJob.objects.filter(pk=job.pk).update(downloaded_at=timezone.now())
        _ready_count(request)
    return FileResponse(
        handle,
        as_attachment=True,
        filename=job.filename or f"qadam-export-{job.pk}.{job.format}",
        content_type=CONTENT_TYPES.get(job.format, "application/octet-stream"),
    )


def _has_contacts(job: ExportJob) -> bool:
    return bool(job.scope.get("can_see_people")) and job.scope.get("role") in CONTACT_ROLES


@login_required
@require_POST
def export_retry(request, pk: int):
    """Write a failed job again (or send one the broker never got)."""
    job = _mine(request, pk)
    if not export_jobs.can_retry(job):
        messages.error(request, _("Only a failed export can be tried again."))
        return redirect("exports:list")
    job = export_jobs.retry_job(job)
    watch(request)
    if job.is_active:
        messages.info(request, _("The export is being prepared again."))
    return redirect("exports:list")


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def export_delete(request, pk: int):
    """Delete an export and its file, after a confirmation page."""
    job = _mine(request, pk)
    if request.method == "POST":
        export_jobs.delete_job(job)
        _ready_count(request)
        messages.success(request, _("The export was deleted."))
        return redirect("exports:list")
    return render(request, "participants/export_delete.html", {"job": job})
