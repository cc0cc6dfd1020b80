"""Report runs: request one, build it (in a Celery worker or in-process), recover runs whose
worker died, retry failed ones, and draft each quarter's report on a schedule.

Progress and outcome live on the ReportRun row (stage, percent, heartbeat), so a page reload or
another worker sees them. A run is immutable once done: its snapshot of the computed numbers,
its inputs hash and its files are never written again."""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable, Iterable, Sequence
from datetime import date, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.mail import send_mail
from django.db import InterfaceError, OperationalError, transaction
from django.db.models.functions import Coalesce
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import User
from accounts.scope import PROGRAMME_ROLES, Scope, scope_for
from core import dbsession, domain_events, periods, taskqueue
from regions.models import Region
from trainings.models import Programme

from . import iati_validation, renderers
from .builder import build_report_data, inputs_hash, resolve_programme
from .files import stored_name
from .iati_activity import with_activity
from .models import ReportFile, ReportRun

logger = logging.getLogger(__name__)
Status = ReportRun.Status

LANGUAGES = ("kk", "ru", "en")
UNAVAILABLE = gettext_lazy(
    "Reports are unavailable right now (the background service does not answer). "
    "Your request is kept and will be sent automatically when the service is back."
)
# A run recorded but not yet handed to the broker (its request is committing) is left alone
# for this long before the recovery sends it.
UNSENT_GRACE = timedelta(seconds=10)
# Errors of the database that pass (a restart, a dropped connection): the task retries them.
TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (OperationalError, InterfaceError)


def stale_after() -> timedelta:
    """A run with no sign of life for this long has lost its worker (running) or its message
    (queued, and no longer in the broker)."""
    return timedelta(seconds=settings.TASK_STALE_AFTER)


def max_attempts() -> int:
    return settings.TASK_MAX_ATTEMPTS


def available_formats() -> list[str]:
    return list(renderers.FORMATS)


def default_programme() -> Programme | None:
    """The programme reports are about when none is named (the builder's choice)."""
    return resolve_programme(None)


# Who may see which run ----------------------------------------------------------------------
def runs_visible(scope: Scope):
    """Report runs the scope may see. Staff and admins: all. Viewers: finished runs only.
    Coordinators: runs limited to their own regions (never a programme-wide run, which holds
    other regions' numbers)."""
    runs = ReportRun.objects.all()
    if scope.sees_finished_runs_only:
        return runs.filter(status=Status.DONE)
    if scope.region_ids is None:
        return runs
    others = Region.objects.exclude(pk__in=scope.region_ids)
    return runs.filter(regions__isnull=False).exclude(regions__in=others).distinct()


def runs_with_details(scope: Scope):
    """`runs_visible` with what a run's pages show joined: who asked, the programme, the
    regions and the files."""
    return (
        runs_visible(scope)
        .select_related("requested_by", "programme")
        .prefetch_related("regions", "files")
    )


# Requesting ---------------------------------------------------------------------------------
def _validate_request(
    scope: Scope,
    *,
    start: date,
    end: date,
    region_ids: Iterable[int] | None,
    formats: Sequence[str],
    language: str,
) -> list[int]:
    """Check a request against the user's scope; return the region ids the run covers
    ([] = every region)."""
    errors: dict[str, list[str]] = {}
    if end < start:
        errors.setdefault("end", []).append(_("The period cannot end before it starts."))
    known = set(available_formats())
    if not formats:
        errors.setdefault("formats", []).append(_("Choose at least one format."))
    elif unknown := [f for f in formats if f not in known]:
        errors.setdefault("formats", []).append(
            _("Unknown format: %(formats)s.") % {"formats": ", ".join(unknown)}
        )
    if language not in LANGUAGES:
        errors.setdefault("language", []).append(_("Choose Kazakh, Russian or English."))
    ids = sorted({int(pk) for pk in region_ids or []})
    if ids and Region.objects.filter(pk__in=ids).count() != len(ids):
        errors.setdefault("regions", []).append(_("Unknown region."))
    if scope.region_ids is not None:
        if not ids:
            ids = sorted(scope.region_ids)  # "all" for a coordinator: all of their regions
        if not ids:
            errors.setdefault("regions", []).append(_("You have no regions to report on."))
        elif not set(ids) <= scope.region_ids:
            errors.setdefault("regions", []).append(
                _("You can build reports for your own regions only.")
            )
    if errors:
        raise ValidationError(errors)
    return ids


def request_report(
    *,
    user: User,
    period_label: str,
    start: date,
    end: date,
    region_ids: Iterable[int] | None,
    formats: Sequence[str],
    language: str,
    programme: Programme | None = None,
) -> ReportRun:
    """Record a report request and hand it to a worker once the transaction commits.

    Raises PermissionDenied for users who may not build reports and ValidationError (keyed by
    form field) for a period, scope, format or language they may not ask for. If the broker
    cannot be reached the run stays queued with an error saying so; `retry_run` sends it again."""
    scope = scope_for(user)
    if not scope.can_build_reports:
        raise PermissionDenied
    ids = _validate_request(
        scope, start=start, end=end, region_ids=region_ids, formats=formats, language=language
    )
    with transaction.atomic():
        run = ReportRun.objects.create(
            programme=programme or default_programme(),
            period_label=period_label[:30],
            period_start=start,
            period_end=end,
            formats=list(dict.fromkeys(formats)),
            language=language,
            requested_by=user,
            stage="queued",
        )
        if ids:
            run.regions.set(ids)
        transaction.on_commit(lambda: dispatch(run.pk))
    run.refresh_from_db()
    return run


def dispatch(run_id: int) -> bool:
    """Send a queued run to the workers (`heartbeat_at` then says when it was sent). False if
    the broker is unreachable: the run is kept, queued, with the reason on the row, and the
    recovery sends it again when the broker is back."""
    from celery import uuid

    from .tasks import build_report_run

    task_id = uuid()
    queued = ReportRun.objects.filter(pk=run_id, status=Status.QUEUED)
    if not queued.update(task_id=task_id, heartbeat_at=timezone.now()):
        return False  # taken by a worker, or finished, meanwhile
    if taskqueue.send(build_report_run, args=[run_id], task_id=task_id):
        return True
    ReportRun.objects.filter(pk=run_id, status=Status.QUEUED, task_id=task_id).update(
        task_id="", error=str(UNAVAILABLE), updated_at=timezone.now()
    )
    return False


def is_stuck(run: ReportRun, *, now=None) -> bool:
    """Queued or running with no sign of life for TASK_STALE_AFTER: its worker or its message
    was lost (the recovery will act; a person may send it again now)."""
    if run.status not in (Status.QUEUED, Status.RUNNING):
        return False
    last_sign = run.heartbeat_at or run.started_at or run.created_at
    return last_sign is not None and last_sign < (now or timezone.now()) - stale_after()


def can_retry(run: ReportRun) -> bool:
    """Whether "send again" applies: failed, never sent (broker down), or stuck."""
    return (
        run.status == Status.FAILED
        or (run.status == Status.QUEUED and not run.task_id)
        or is_stuck(run)
    )


def retry_run(run: ReportRun, *, by: User) -> ReportRun:
    """Send a failed run, a queued one the broker never got, or a stuck one (no sign of life
    for TASK_STALE_AFTER) to the workers again. A done run, or one a live worker is building,
    is refused."""
    scope = scope_for(by)
    if not scope.can_build_reports or not runs_visible(scope).filter(pk=run.pk).exists():
        raise PermissionDenied
    with transaction.atomic():
        locked = ReportRun.objects.select_for_update().get(pk=run.pk)
        if not can_retry(locked):
            raise ValidationError(_("Only a failed, unsent or stuck report can be sent again."))
        if locked.status == Status.FAILED:
            locked.status = Status.QUEUED
            locked.attempts = 0
        elif is_stuck(locked):
            # Attempts are kept: a worker thought lost that comes back finds a newer attempt.
            locked.status = Status.QUEUED
        locked.stage = "queued"
        locked.percent = 0
        locked.error = ""
        locked.finished_at = None
        locked.save()
        transaction.on_commit(lambda: dispatch(locked.pk))
    locked.refresh_from_db()
    return locked


# Building -----------------------------------------------------------------------------------
class RunSuperseded(Exception):
    """Another attempt took the run over (this worker was thought dead): stop quietly."""


def _claim(run_id: int) -> tuple[ReportRun | None, int]:
    """Mark the run running for this attempt, or return None when there is nothing to do:
    done or failed, or running with a fresh heartbeat (another worker is on it)."""
    now = timezone.now()
    with transaction.atomic():
        run = ReportRun.objects.select_for_update().filter(pk=run_id).first()
        if run is None or run.status in (Status.DONE, Status.FAILED):
            return None, 0
        if run.status == Status.RUNNING and (run.heartbeat_at or now) > now - stale_after():
            return None, 0
        if run.attempts >= max_attempts():
            _fail(
                run, _("The report could not be built after %(n)s attempts.") % {"n": run.attempts}
            )
            return None, 0
        run.status = Status.RUNNING
        run.attempts += 1
        run.started_at = now
        run.heartbeat_at = now
        run.finished_at = None
        run.stage = "starting"
        run.percent = 0
        run.error = ""
        run.save()
        return run, run.attempts


def _fail(run: ReportRun, reason: str) -> None:
    run.status = Status.FAILED
    run.error = reason[:2000]
    run.finished_at = timezone.now()
    run.save()
    domain_events.emit(domain_events.REPORT_FINISHED, run)
    if run.requested_by_id is None:
        transaction.on_commit(lambda: notify_staff(run.pk))


def _progress_writer(run_id: int, attempt: int) -> Callable[[str, int], None]:
    delay = settings.REPORT_STAGE_DELAY

    def write(stage: str, percent: int) -> None:
        updated = ReportRun.objects.filter(
            pk=run_id, status=Status.RUNNING, attempts=attempt
        ).update(
            stage=str(stage)[:40],
            percent=max(0, min(100, int(percent))),
            heartbeat_at=timezone.now(),
            updated_at=timezone.now(),
        )
        if not updated:
            raise RunSuperseded
        if delay:
            time.sleep(delay)  # REPORT_STAGE_DELAY: tests slow a run down to kill its worker

    return write


def run_report(run_id: int, *, heartbeat: bool = False) -> ReportRun | None:
    """Build a queued run: compute, snapshot, render each format, store the files, done.

    Idempotent: a done or failed run, or one another worker is building, is left alone.
    Transient database errors propagate (the task retries them); any other error marks the
    run failed with the reason. `heartbeat`: touch the row every TASK_HEARTBEAT_SECONDS
    meanwhile (in a worker, so that a killed one is noticed within TASK_STALE_AFTER even in a
    long stage)."""
    run, attempt = _claim(run_id)
    if run is None:
        return ReportRun.objects.filter(pk=run_id).first()
    progress = _progress_writer(run.pk, attempt)

    def beat() -> bool:
        alive = ReportRun.objects.filter(pk=run_id, status=Status.RUNNING, attempts=attempt)
        return bool(alive.update(heartbeat_at=timezone.now()))

    try:
        every = settings.TASK_HEARTBEAT_SECONDS if heartbeat else 0
        with (
            translation.override(run.language),
            taskqueue.Heartbeat(beat, every=every),
            dbsession.work_mem(settings.REPORT_WORK_MEM),
        ):
            _build(run, progress)
    except RunSuperseded:
        logger.info("report run %s attempt %s superseded by a newer attempt", run_id, attempt)
        return ReportRun.objects.filter(pk=run_id).first()
    except TRANSIENT_ERRORS:
        logger.warning("report run %s: transient database error, will retry", run_id)
        ReportRun.objects.filter(pk=run_id, status=Status.RUNNING, attempts=attempt).update(
            status=Status.QUEUED,
            stage="queued",
            error=_("A temporary error: retrying."),
            updated_at=timezone.now(),
        )
        raise
    except Exception as exc:  # noqa: BLE001 - any bug or bad data: the run fails with the reason
        logger.exception("report run %s failed", run_id)
        with transaction.atomic():
            current = ReportRun.objects.select_for_update().get(pk=run_id)
            if current.status == Status.RUNNING and current.attempts == attempt:
                _fail(current, _("The report could not be built: %(error)s") % {"error": exc})
    return ReportRun.objects.filter(pk=run_id).first()


def run_scope(run: ReportRun) -> Scope:
    """What a stored run counts over: its regions, or every region when it has none. No user
    is asking any more (the requester's rights were checked when the run was requested)."""
    return Scope.for_regions(sorted(run.regions.values_list("pk", flat=True)) or None)


def _build(run: ReportRun, progress: Callable[[str, int], None]) -> None:
    scope = run_scope(run)
    progress("computing", 2)
    data = build_report_data(
        start=run.period_start,
        end=run.period_end,
        scope=scope,
        language=run.language,
        period_label=run.period_label,
        programme=run.programme,
        progress=lambda stage, percent: progress(
            "computed" if stage == "done" else stage, 2 + int(percent * 0.6)
        ),
    )
    if "iati" in run.formats:
        # The IATI file holds every quarter of the programme so far, not only this period.
        progress("activity", 63)
        data = with_activity(data, programme=run.programme, scope=scope)
    snapshot = data.to_json()
    digest = getattr(data, "inputs_hash", "") or inputs_hash(
        start=run.period_start,
        end=run.period_end,
        scope=scope,
        language=run.language,
        programme=run.programme,
    )
    # Files of an earlier, interrupted attempt are replaced.
    for old in ReportFile.objects.filter(run=run):
        old.file.delete(save=False)
        old.delete()
    total = len(run.formats) or 1
    stored = []
    findings: list[iati_validation.Finding] = []
    data = renderers.cleaned(data, as_json=snapshot)  # once for every format
    for i, fmt in enumerate(run.formats):
        progress(f"rendering {fmt}", 65 + int(30 * i / total))
        rendered = renderers.render(data, fmt, clean=False)
        if fmt == "iati":
            findings = iati_validation.validate(rendered.content)
            if iati_validation.errors(findings):
                # Not offered: the run page lists the rules it breaks.
                logger.warning(
                    "report run %s: IATI file withheld, %s",
                    run.pk,
                    ", ".join(f.rule for f in iati_validation.errors(findings)),
                )
                continue
        report_file = ReportFile(
            run=run,
            format=fmt,
            size=len(rendered.content),
            sha256=hashlib.sha256(rendered.content).hexdigest(),
        )
        # A random name in storage; the readable one is given on download (reports/files.py).
        name = stored_name(run_id=run.pk, filename=rendered.filename)
        report_file.file.save(name, ContentFile(rendered.content), save=False)
        report_file.save()
        stored.append(report_file)
    progress("storing", 98)
    with transaction.atomic():
        current = ReportRun.objects.select_for_update().get(pk=run.pk)
        if current.status != Status.RUNNING or current.attempts != run.attempts:
            for f in stored:
                f.file.delete(save=False)
            raise RunSuperseded
        current.snapshot = snapshot
        current.iati_findings = [f.to_json() for f in findings]
        current.inputs_hash = digest
        current.status = Status.DONE
        current.stage = "done"
        current.percent = 100
        current.error = ""
        current.finished_at = timezone.now()
        current.heartbeat_at = current.finished_at
        current.save()
        domain_events.emit(domain_events.REPORT_FINISHED, current)
        if current.requested_by_id is None:
            transaction.on_commit(lambda: notify_staff(current.pk))


def fail_run(run_id: int, reason: str) -> None:
    """Mark a run failed (the task gave up retrying); a done run is left alone."""
    with transaction.atomic():
        run = ReportRun.objects.select_for_update().filter(pk=run_id).first()
        if run is not None and run.status in (Status.QUEUED, Status.RUNNING):
            _fail(run, reason)


# Recovery -----------------------------------------------------------------------------------
def recover_stale_runs(*, now=None) -> dict[str, int]:
    """Runs whose worker died: "running" without a heartbeat for TASK_STALE_AFTER are sent
    again (while attempts remain) or failed with the reason. Queued runs whose message the
    broker does not hold (never sent while it was down, or lost with Redis's data) are sent
    again. No run stays "queued" or "running" forever."""
    now = now or timezone.now()
    limit = now - stale_after()
    counts = {"requeued": 0, "failed": 0, "resent": 0}
    stale = ReportRun.objects.filter(status=Status.RUNNING, heartbeat_at__lt=limit)
    stale_ids = list(stale.values_list("pk", flat=True))
    stale_ids += list(
        ReportRun.objects.filter(
            status=Status.RUNNING, heartbeat_at__isnull=True, started_at__lt=limit
        ).values_list("pk", flat=True)
    )
    for run_id in stale_ids:
        with transaction.atomic():
            run = ReportRun.objects.select_for_update().get(pk=run_id)
            beat = run.heartbeat_at or run.started_at
            if run.status != Status.RUNNING or (beat and beat >= limit):
                continue
            if run.attempts >= max_attempts():
                _fail(
                    run,
                    _(
                        "The report build stopped (its worker was lost) %(n)s times; "
                        "it was not finished."
                    )
                    % {"n": run.attempts},
                )
                counts["failed"] += 1
                continue
            run.status = Status.QUEUED
            run.stage = "queued"
            run.percent = 0
            run.error = _("The worker building this report stopped; it is being built again.")
            run.save()
            transaction.on_commit(lambda pk=run.pk: dispatch(pk))
            counts["requeued"] += 1
    queued = ReportRun.objects.filter(status=Status.QUEUED)
    unsent = queued.filter(task_id="", created_at__lt=now - UNSENT_GRACE)
    for run_id in list(unsent.values_list("pk", flat=True)):
        ReportRun.objects.filter(pk=run_id, status=Status.QUEUED, task_id="").update(
            error="", updated_at=timezone.now()
        )
        counts["resent"] += dispatch(run_id)
    sent_long_ago = list(
        queued.exclude(task_id="").filter(heartbeat_at__lt=limit).values_list("pk", "task_id")
    )
    # Waiting its turn in the broker is fine; gone from it (Redis restarted without its data,
    # or FLUSHALL) means no worker will ever get it. Unknown (broker down): left for later.
    in_broker = taskqueue.waiting_task_ids() if sent_long_ago else None
    if in_broker is not None:
        for run_id, task_id in sent_long_ago:
            if task_id not in in_broker:
                logger.warning("report run %s: its task %s was lost by the broker", run_id, task_id)
                counts["resent"] += dispatch(run_id)
    if any(counts.values()):
        logger.warning("stale report runs: %s", counts)
    return counts


def stuck_runs(*, now=None) -> int:
    """Runs queued or running with no sign of life for twice TASK_STALE_AFTER: the recovery
    has not moved them (no beat, no worker, or the broker is down). /healthz/ reports them."""
    now = now or timezone.now()
    last_sign = Coalesce("heartbeat_at", "started_at", "created_at")
    return (
        ReportRun.objects.filter(status__in=[Status.QUEUED, Status.RUNNING])
        .alias(last_sign=last_sign)
        .filter(last_sign__lt=now - 2 * stale_after())
        .count()
    )


# The quarterly draft ------------------------------------------------------------------------
def draft_quarterly_report(*, today: date | None = None) -> ReportRun | None:
    """After a quarter ends, queue the programme-wide report of that quarter (once) in every
    format; staff get an e-mail with its link when it is built. None if already drafted."""
    today = today or timezone.localdate()
    label, start, end = periods.last_ended_quarter(today)
    programme = default_programme()
    with transaction.atomic():
        exists = ReportRun.objects.filter(
            period_label=label,
            programme=programme,
            requested_by__isnull=True,
            regions__isnull=True,
        ).exists()
        if exists:
            return None
        run = ReportRun.objects.create(
            programme=programme,
            period_label=label,
            period_start=start,
            period_end=end,
            formats=available_formats(),
            language=settings.LANGUAGE_CODE if settings.LANGUAGE_CODE in LANGUAGES else "en",
            requested_by=None,
            stage="queued",
        )
        transaction.on_commit(lambda: dispatch(run.pk))
    logger.info("drafted the %s report (run %s)", label, run.pk)
    return run


def staff_emails() -> list[str]:
    return list(
        User.objects.filter(is_active=True, role__in=PROGRAMME_ROLES)
        .exclude(email="")
        .order_by("pk")
        .values_list("email", flat=True)
    )


def notify_staff(run_id: int) -> int:
    """E-mail programme staff the link of a scheduled report run (built or failed)."""
    run = ReportRun.objects.get(pk=run_id)
    recipients = staff_emails()
    if not recipients:
        return 0
    link = settings.SITE_URL.rstrip("/") + run.get_absolute_url()
    if run.status == Status.DONE:
        subject = _("Qadam: the %(period)s report is ready") % {"period": run.period_label}
        body = _(
            "The quarterly donor report for %(period)s has been drafted in every format.\n"
            "Review it and download the files here:\n%(link)s\n"
        ) % {"period": run.period_label, "link": link}
    else:
        subject = _("Qadam: the %(period)s report could not be built") % {
            "period": run.period_label
        }
        body = _("The report for %(period)s failed: %(error)s\nRetry it here:\n%(link)s\n") % {
            "period": run.period_label,
            "error": run.error,
            "link": link,
        }
    return send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, recipients)
