"""The Celery app, configured from Django settings (CELERY_ namespace).

Without REDIS_URL, settings turn on task_always_eager, so the same code runs in-process."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("qadam")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
app.conf.imports = ("config.tasks",)
