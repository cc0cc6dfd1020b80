"""/healthz/ and a real Celery worker on Redis."""

import pytest

from config.celery import app
from config.tasks import ping

from .worker import WorkerProcess


@pytest.mark.django_db
def test_healthz_reports_database_and_in_process_tasks_without_redis(client):
    assert app.conf.task_always_eager  # as when REDIS_URL is unset (unit tests run in-process)
    response = client.get("/healthz/")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "database": "ok",
        "broker": "in-process",
        "worker": "in-process",
        "work": "ok",
        "stuck": {"report_runs": 0, "imports": 0},
    }


@pytest.mark.celery
@pytest.mark.django_db(transaction=True)
def test_a_task_sent_through_redis_returns_its_result_from_a_real_worker(celery_worker):
    result = ping.delay("salem")
    assert result.get(timeout=30) == "salem"
    assert result.successful()


@pytest.mark.celery
@pytest.mark.django_db(transaction=True)
def test_healthz_is_200_with_a_worker_and_503_when_it_stops(client, settings):
    worker = WorkerProcess().start()
    old_queue = app.conf.task_default_queue
    app.conf.task_default_queue = worker.queue
    try:
        up = client.get("/healthz/")
        assert up.status_code == 200, up.json()
        assert up.json()["worker"] == "ok"
        worker.stop()
        down = client.get("/healthz/")
        assert down.status_code == 503
        assert down.json()["worker"] == "down"
        assert down.json()["database"] == "ok"
    finally:
        worker.stop()
        app.conf.task_default_queue = old_queue


@pytest.mark.celery
@pytest.mark.django_db
def test_healthz_is_503_when_the_broker_is_unreachable(client, settings):
    app.conf.broker_url = "redis://127.0.0.1:1/0"
    try:
        with app.connection_for_write() as conn:
            assert conn.as_uri().endswith(":1/0")
        response = client.get("/healthz/")
    finally:
        app.conf.broker_url = settings.CELERY_BROKER_URL
    assert response.status_code == 503
    assert response.json()["broker"] == "down"
