"""What a delivery says: the record as it was when the change happened, built inside the
change's transaction from the instance the service announced (core.domain_events).

Field names follow the REST API's (docs/api.md), so a receiver can read a webhook and an API
record with the same code. Ids and codes, dates, statuses and counts; no names of people:
attendance names its cells by participant, enrolment and session ids only, and a quarter's
step by the id of the user who took it. A payload is plain JSON (DjangoJSONEncoder's
rendering of dates and times)."""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.urls import reverse

from core import domain_events as kinds
from participants.models import Enrolment
from reports.models import ReportRun
from trainings.models import RegionQuarter, TrainingEvent


def _plain(data: dict[str, Any]) -> dict[str, Any]:
    """Dates, times and decimals as the JSON body will carry them."""
    return json.loads(json.dumps(data, cls=DjangoJSONEncoder))


def _ids(manager) -> list[int]:
    return sorted(manager.values_list("pk", flat=True))


def event_data(event: TrainingEvent) -> dict[str, Any]:
    """A training event as the API's /api/v1/events/ shows it."""
    return {
        "id": event.pk,
        "programme": event.programme_id,
        "programme_code": event.programme.code,
        "activity_line": event.activity_line_id,
        "title": event.title,
        "event_type": event.event_type,
        "description": event.description,
        "start_date": event.start_date,
        "end_date": event.end_date,
        "region": event.region_id,
        "region_code": event.region.code,
        "district": event.district_id,
        "venue": event.venue,
        "modality": event.modality,
        "status": event.status,
        "planned_participants": event.planned_participants,
        "topics": _ids(event.topics),
        "facilitators": _ids(event.facilitators),
        "host_partners": _ids(event.host_partners),
        "implementing_partners": _ids(event.implementing_partners),
        "created_at": event.created_at,
        "updated_at": event.updated_at,
    }


def _event_payload(event: TrainingEvent, details: dict[str, Any]) -> dict[str, Any]:
    return {"event": event_data(event)}


def _cells(pairs, participant_of: dict[int, int]) -> list[dict[str, int]]:
    return [{"participant": participant_of.get(e), "enrolment": e, "session": s} for e, s in pairs]


def _attendance_payload(event: TrainingEvent, details: dict[str, Any]) -> dict[str, Any]:
    present, absent = details.get("present", []), details.get("absent", [])
    enrolments = {e for e, _s in [*present, *absent]}
    participant_of = dict(
        Enrolment.objects.filter(pk__in=enrolments).values_list("pk", "participant_id")
    )
    return {
        "event": {
            "id": event.pk,
            "region": event.region_id,
            "region_code": event.region.code,
            "status": event.status,
        },
        "present": _cells(present, participant_of),
        "absent": _cells(absent, participant_of),
        "counts": {"present": len(present), "absent": len(absent)},
    }


def _quarter_payload(rq: RegionQuarter, details: dict[str, Any]) -> dict[str, Any]:
    step = details.get("step")
    return {
        "region_quarter": {
            "id": rq.pk,
            "programme": rq.programme_id,
            "programme_code": rq.programme.code,
            "region": rq.region_id,
            "region_code": rq.region.code,
            "quarter": rq.quarter,
            "status": rq.status,
        },
        "step": {
            "id": step.pk,
            "from_status": step.from_status,
            "to_status": step.to_status,
            "by": step.by_id,
            "at": step.at,
            "comment": step.comment,
        }
        if step is not None
        else None,
    }


def _report_payload(run: ReportRun, details: dict[str, Any]) -> dict[str, Any]:
    done = run.status == ReportRun.Status.DONE
    files = sorted(run.files.all(), key=lambda f: f.format) if done else []
    site = settings.SITE_URL.rstrip("/")
    return {
        "report_run": {
            "id": run.pk,
            "programme": run.programme_id,
            "period_label": run.period_label,
            "period_start": run.period_start,
            "period_end": run.period_end,
            "regions": _ids(run.regions),
            "formats": run.formats,
            "language": run.language,
            "status": run.status,
            "error": run.error,
            "created_at": run.created_at,
            "started_at": run.started_at,
            "finished_at": run.finished_at,
            "files": [
                {
                    "format": f.format,
                    "size": f.size,
                    "sha256": f.sha256,
                    "download_url": site + reverse("api:report_file", args=[run.pk, f.format]),
                }
                for f in files
            ],
        }
    }


BUILDERS = {
    kinds.EVENT_CREATED: _event_payload,
    kinds.EVENT_HELD: _event_payload,
    kinds.EVENT_REPORTED: _event_payload,
    kinds.ATTENDANCE_CHANGED: _attendance_payload,
    kinds.QUARTER_SUBMITTED: _quarter_payload,
    kinds.QUARTER_APPROVED: _quarter_payload,
    kinds.REPORT_FINISHED: _report_payload,
}


def build(kind: str, instance: Any, details: dict[str, Any]) -> dict[str, Any]:
    """The `data` part of a delivery of `kind` about `instance`."""
    return _plain(BUILDERS[kind](instance, details))
