import os

import pytest
from django.conf import settings as django_settings
from django.db import DEFAULT_DB_ALIAS, connection
from django.test import TransactionTestCase, override_settings
from django.utils import translation

from config.celery import app as celery_app

from .browser_fixtures import *  # noqa: F403
from .redis_server import redis_of_our_own
from .services import DEEP, browser_missing_reason, redis_missing_reason, unavailable
from .smtp import smtp_server  # noqa: F401 (a fixture: a real SMTP server, tests/smtp.py)


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
def _default_language():
    """Each test starts in the default language: a page requested in Russian (LocaleMiddleware
    activates the language for the thread) must not leave Russian to the next test."""
    translation.activate(django_settings.LANGUAGE_CODE)
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def pytest_collection_modifyitems(config, items):
    """Cases marked `deep` belong to the deeper profile (QADAM_DEEP_TESTS=1, tests/services.py):
    left out of the ordinary run, said as "deselected" in its summary, never skipped."""
    if DEEP:
        return
    deep = [item for item in items if item.get_closest_marker("deep")]
    if deep:
        config.hook.pytest_deselected(items=deep)
        items[:] = [item for item in items if not item.get_closest_marker("deep")]


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
FAST_HASHER = "django.contrib.auth.hashers.MD5PasswordHasher"
_put_back_seeded_database = None  # set by django_db_setup for the session
_django_flush = TransactionTestCase._fixture_teardown


@pytest.fixture(scope="session", autouse=True)
def _fast_password_hasher():
    """A fast hasher for the whole session (as cookiecutter-django's test settings do): the
    real one is slow on purpose, and the demo, the factories and every login hash a password."""
    with override_settings(PASSWORD_HASHERS=[FAST_HASHER]):
        yield


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker, _fast_password_hasher):
    """The test database holds the demo data set (August 2024) from the start: it is the
    common fixture of the suite, seeded once and then snapshotted (tests/snapshot.py).
    Ordinary tests roll back their writes; a transactional one (live server, real worker)
    ends with the snapshot put back in place of pytest-django's flush, so every test starts
    from the same seeded data (docs/decisions/0008)."""
    global _put_back_seeded_database
    from core.dataversion import forget_everything as _new_version
    from demo.seed import seed_demo

    from .snapshot import DatabaseSnapshot

    with django_db_blocker.unblock():
        seed_demo(password=DEMO_PASSWORD)
        snapshot = DatabaseSnapshot(connection)

    def put_back() -> None:
        with django_db_blocker.unblock():
            snapshot.restore()
            # As after a flush: the next test opens its own connection. (One left open here
            # can belong to another context, e.g. under Playwright, and outlive the session.)
            connection.close()
        # No signal saw the data change back: cached dashboard figures must not be reused.
        _new_version()

    _put_back_seeded_database = put_back
    TransactionTestCase._fixture_teardown = _put_back_instead_of_flush
    yield
    TransactionTestCase._fixture_teardown = _django_flush
    _put_back_seeded_database = None


def _put_back_instead_of_flush(test_case: TransactionTestCase) -> None:
    """A transactional test (a TransactionTestCase to pytest-django) ends with the seeded data
    put back instead of Django's flush: the flush (a TRUNCATE of every table, then the content
    types and permissions made again by post_migrate) was followed by the put-back, which
    empties every table itself, so it only cost time (docs/decisions/0008). Django's flush
    stays for the cases the snapshot does not cover."""
    if (
        _put_back_seeded_database is None
        or test_case.available_apps is not None
        or test_case.serialized_rollback
        or set(test_case._databases_names(include_mirrors=False)) != {DEFAULT_DB_ALIAS}
    ):
        _django_flush(test_case)
        return
    _put_back_seeded_database()


@pytest.fixture
def demo(db):
    """The demo data set as `seed_demo` loads it: always there (see `django_db_setup`); a test
    asks for it to say it relies on it."""


@pytest.fixture
def login_as(client, db):
    """Log a user in and return the client: `login_as("coord.mangystau").get(url)`.

    The one way tests log in (a demo username or a User made by a factory); pass `client=` for
    a client of the test's own (e.g. one that enforces CSRF checks). Tests of the login form
    itself post to /login/ instead."""
    from accounts.models import User

    def log_in(user, *, client=client):
        if isinstance(user, str):
            user = User.objects.get(username=user)
        client.force_login(user)
        return client

    return log_in


@pytest.fixture
def admin_client(login_as):
    """The demo administrator's client (pytest-django's own would create a second "admin")."""
    return login_as("admin")


@pytest.fixture
def region(db):
    from regions.models import Region

    return lambda code: Region.objects.get(code=code)


os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API in tests


@pytest.fixture
def own_redis(settings, tmp_path, demo):
    """A redis-server of the test's own (never the machine's), so the test may stop, restart
    or flush it; the cache and the broker point at it while the test runs."""
    with redis_of_our_own(settings, tmp_path) as server:
        yield server
