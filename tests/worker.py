"""Start and stop a real `celery worker` process against the test database."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

from django.conf import settings
from django.db import connection

from config.celery import app

ROOT = Path(__file__).resolve().parent.parent


def test_database_url() -> str:
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    user = db.get("USER") or ""
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    auth = f"{user}{password}@" if user else ""
    return f"postgres://{auth}{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{db['NAME']}"


class WorkerProcess:
    """A celery worker consuming its own queue, so parallel runs and a developer's own worker
    never take each other's tasks."""

    def __init__(self, queue: str | None = None):
        self.queue = queue or f"qadam-test-{uuid.uuid4().hex[:8]}"
        self.process: subprocess.Popen | None = None
        self.log_path = ROOT / f".pytest_cache/worker-{self.queue}.log"

    def start(self, timeout: float = 40) -> WorkerProcess:
        env = {
            **os.environ,
            "DATABASE_URL": test_database_url(),
            "REDIS_URL": settings.REDIS_URL,
            "CACHE_URL": settings.CACHES["default"].get("LOCATION", ""),
            "CELERY_QUEUE": self.queue,
            "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        }
        self.log_path.parent.mkdir(exist_ok=True)
        log = open(self.log_path, "wb")  # noqa: SIM115 - closed with the process
        self.process = subprocess.Popen(  # noqa: S603 - fixed arguments
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "--pool=solo",
                "-Q",
                self.queue,
                "-n",
                f"{self.queue}@%h",
                "--without-gossip",
                "--without-mingle",
                "-l",
                "info",
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"celery worker exited: see {self.log_path}")
            if self.serving():
                return self
            time.sleep(0.5)
        self.stop()
        raise RuntimeError(f"celery worker did not start in {timeout}s: see {self.log_path}")

    def serving(self) -> bool:
        replies = app.control.inspect(timeout=0.5).active_queues() or {}
        return any(q.get("name") == self.queue for qs in replies.values() for q in qs)

    def stop(self, kill: bool = False) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill() if kill else self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


class BeatProcess:
    """`celery beat` sending the periodic tasks (the recoveries) to a worker's queue, with its
    schedule file in `workdir`. `env`: settings for it (e.g. TASK_RECOVERY_SECONDS)."""

    def __init__(self, queue: str, workdir: Path, env: dict[str, str] | None = None):
        self.queue = queue
        self.workdir = workdir
        self.env = env or {}
        self.process: subprocess.Popen | None = None
        self.log_path = ROOT / f".pytest_cache/beat-{queue}.log"

    def start(self) -> BeatProcess:
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.log_path.parent.mkdir(exist_ok=True)
        env = {
            **os.environ,
            "DATABASE_URL": test_database_url(),
            "REDIS_URL": settings.REDIS_URL,
            "CACHE_URL": settings.CACHES["default"].get("LOCATION", ""),
            "CELERY_QUEUE": self.queue,
            **self.env,
        }
        log = open(self.log_path, "wb")  # noqa: SIM115 - closed with the process
        self.process = subprocess.Popen(  # noqa: S603 - fixed arguments
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "beat",
                "--schedule",
                str(self.workdir / "beat-schedule"),
                "--max-interval",
                "2",
                "-l",
                "info",
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        return self

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
