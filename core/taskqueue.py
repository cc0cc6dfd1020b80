"""Sending work to the Celery workers when the broker (Redis) may be down, and finding out
whether a sent task is still waiting in it (after Redis lost its data, it is not).

Work that must not be lost is recorded in the database first (a report run, an import batch);
these helpers only carry it to the workers. When the broker does not answer, `send` says so
instead of raising, the row keeps a clear state, and the recovery task sends it again."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from typing import Any

from celery import current_app
from django.db import connection

logger = logging.getLogger(__name__)

# Two quick retries: a person waits on the page while this runs.
SEND_RETRY_POLICY = {"max_retries": 2, "interval_start": 0.2, "interval_step": 0.5}


def broker_errors() -> tuple[type[BaseException], ...]:
    """What sending a task raises when the broker cannot be reached."""
    from kombu.exceptions import OperationalError as KombuOperationalError
    from redis.exceptions import RedisError

    return (KombuOperationalError, RedisError, ConnectionError, TimeoutError, OSError)


def send(task, *, args: list[Any], task_id: str) -> bool:
    """Send `task` with `args` under `task_id`; False (logged) if the broker is unreachable."""
    try:
        task.apply_async(args=args, task_id=task_id, retry=True, retry_policy=SEND_RETRY_POLICY)
    except broker_errors() as error:
        logger.warning("task %s%s not sent, broker unreachable: %s", task.name, args, error)
        return False
    return True


def _task_id(raw: bytes | str, unacked: bool) -> str | None:
    try:
        payload = json.loads(raw)
        message = payload[0] if unacked else payload
        return message["headers"]["id"]
    except (ValueError, KeyError, IndexError, TypeError):
        return None


def waiting_task_ids(queue: str | None = None) -> set[str] | None:
    """Ids of the tasks the broker holds for `queue` (the default queue): waiting in it, or
    delivered to a worker and not yet acknowledged. None when that cannot be known (tasks run
    in-process, the broker is not Redis, or it does not answer): then nothing is resent."""
    app = current_app
    if app.conf.task_always_eager or not str(app.conf.broker_url).startswith("redis"):
        return None
    queue = queue or app.conf.task_default_queue
    try:
        with app.connection_for_read() as conn:
            channel = conn.default_channel
            client = channel.client
            ids: set[str] = set()
            # kombu keeps one list per priority step; the default priority is the plain name.
            for step in channel.priority_steps:
                name = channel._q_for_pri(queue, step)
                ids.update(filter(None, (_task_id(m, False) for m in client.lrange(name, 0, -1))))
            for raw in client.hvals(channel.unacked_key):
                ids.update(filter(None, [_task_id(raw, True)]))
            return ids
    except broker_errors() as error:
        logger.warning("cannot read the broker's queue %s: %s", queue, error)
        return None


class Heartbeat:
    """While a task works, call `beat()` every `every` seconds from a thread, so that the row it
    works on shows a recent sign of life even during a long stage, and a worker that is killed
    is noticed within TASK_STALE_AFTER. `beat` returns False when the work was taken over; the
    thread then stops (the work itself finds out at its next progress write)."""

    def __init__(self, beat: Callable[[], bool], *, every: float):
        self.beat = beat
        self.every = every
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="heartbeat", daemon=True)

    def _run(self) -> None:
        try:
            while not self._stop.wait(self.every):
                try:
                    if not self.beat():
                        return
                except Exception:  # noqa: BLE001 - a missed beat is logged; the work goes on
                    logger.warning("heartbeat failed", exc_info=True)
        finally:
            connection.close()  # this thread's own database connection

    def __enter__(self) -> Heartbeat:
        if self.every > 0:
            self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=self.every + 5)
