"""/healthz/: is the database reachable, the broker up, a worker consuming our queue, and is
background work moving (no report run or import stuck without a sign of life)?"""

import logging

from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache

from .celery import app

logger = logging.getLogger(__name__)


def _database() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return "ok"
    except Exception:  # any failure means "down"; the reason goes to the log
        logger.exception("health: database check failed")
        return "down"


def _broker() -> str:
    if app.conf.task_always_eager:
        return "in-process"
    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
        return "ok"
    except Exception:
        logger.warning("health: broker unreachable", exc_info=True)
        return "down"


def _worker() -> str:
    if app.conf.task_always_eager:
        return "in-process"
    queue = app.conf.task_default_queue
    try:
        replies = app.control.inspect(timeout=1.0).active_queues() or {}
    except Exception:
        logger.warning("health: worker inspection failed", exc_info=True)
        return "down"
    for queues in replies.values():
        if any(q.get("name") == queue for q in queues):
            return "ok"
    return "down"


def _stuck_work() -> dict[str, int] | None:
    """Report runs and import batches with no sign of life for twice TASK_STALE_AFTER: the
    recovery (beat) has not moved them. None if the database cannot say."""
    from participants.imports.services import stuck_batches
    from reports.services import stuck_runs

    try:
        return {"report_runs": stuck_runs(), "imports": stuck_batches()}
    except Exception:
        logger.exception("health: stuck work count failed")
        return None


@never_cache
def healthz(request):
    checks = {"database": _database(), "broker": _broker()}
    checks["worker"] = _worker() if checks["broker"] != "down" else "down"
    stuck = _stuck_work() if checks["database"] == "ok" else None
    checks["work"] = "unknown" if stuck is None else ("stuck" if any(stuck.values()) else "ok")
    if any(v == "down" for v in checks.values()):
        status = "down"
    else:  # stuck work: the site answers, but something must be looked at (503 for monitors)
        status = "degraded" if checks["work"] == "stuck" else "ok"
    body = {"status": status, **checks, "stuck": stuck}
    return JsonResponse(body, status=200 if status == "ok" else 503)
