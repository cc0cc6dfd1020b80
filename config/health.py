"""/healthz/: is the database reachable, the broker up, and a worker consuming our queue?"""

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


@never_cache
def healthz(request):
    checks = {"database": _database(), "broker": _broker()}
    checks["worker"] = _worker() if checks["broker"] != "down" else "down"
    healthy = all(v != "down" for v in checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "down", **checks}, status=200 if healthy else 503
    )
