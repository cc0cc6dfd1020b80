import os

import pytest
from django.db import connection

from config.celery import app as celery_app

from .browser_fixtures import *  # noqa: F403
from .services import browser_missing_reason, redis_missing_reason, unavailable


@pytest.fixture(autouse=True)
def _tasks_in_process_unless_celery(request, settings):
    """Unit tests run tasks in-process; tests marked `celery` send them to a real worker."""
    real = request.node.get_closest_marker("celery") is not None
    eager = not real or not settings.REDIS_URL
    old = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = eager
    yield
    celery_app.conf.task_always_eager = old


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def pytest_runtest_setup(item):
    if item.get_closest_marker("postgres") and connection.vendor != "postgresql":
        unavailable("needs PostgreSQL: set DATABASE_URL=postgres://...")
    if item.get_closest_marker("celery"):
        reason = redis_missing_reason()
        if reason:
            unavailable(reason)
    if item.get_closest_marker("browser"):
        reason = browser_missing_reason()
        if reason:
            unavailable(reason)


@pytest.fixture(scope="session")
def celery_worker(django_db_setup, django_db_blocker):
    """A real `celery worker` process on Redis, sharing the test database, for the session."""
    reason = redis_missing_reason()
    if reason:
        unavailable(reason)
    from .worker import WorkerProcess

    with django_db_blocker.unblock():
        worker = WorkerProcess().start()
    old_queue = celery_app.conf.task_default_queue
    celery_app.conf.task_default_queue = worker.queue
    yield worker
    celery_app.conf.task_default_queue = old_queue
    worker.stop()


DEMO_PASSWORD = "demo-pass-123"


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """The test database holds the demo data set (August 2024) from the start: it is the
    common fixture of the suite, loaded once. Tests that write roll back as usual.

    Transactional tests (run last) flush the database when they end; mark them
    `django_db(transaction=True, serialized_rollback=True)` and use `demo` to load it again."""
    from trainings.demo import seed_demo

    with django_db_blocker.unblock():
        seed_demo(password=DEMO_PASSWORD)


@pytest.fixture
def demo(db):
    """The demo data set as `seed_demo` loads it (already there unless a flush removed it)."""
    from trainings.demo import seed_demo

    seed_demo(password=DEMO_PASSWORD)


@pytest.fixture
def region(db):
    from regions.models import Region

    return lambda code: Region.objects.get(code=code)


os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API in tests
