"""Exports at scale: the web request's time and the background job's time and peak memory.

    REDIS_URL=redis://127.0.0.1:6379/9 CELERY_QUEUE=bench-exports \
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/qadam_<name>_bench \
        .venv/bin/python -m benchmarks.export_memory [--direct]

For each export (people CSV and XLSX, attendance CSV and XLSX), as programme staff:

1. request: a fresh process presses the export button (POST, as the list page does) through a
   real broker (REDIS_URL; the task waits in the CELERY_QUEUE queue, which no worker reads and
   which is emptied at the end), and prints the request's time and status: it must answer in
   well under a second, whatever the size of the export.
2. job: another fresh process does what the Celery worker does with that job
   (participants.export_jobs.run_export) and prints rows, bytes, seconds, the RSS before and
   the peak RSS (resource.getrusage ru_maxrss): constant memory means the peak does not grow
   with the rows.

`--direct` also measures the old path for comparison: the GET answering the whole export in
the request (EXPORT_DIRECT_MAX_ROWS raised so that it does), peak RSS of that process.
Without REDIS_URL the request would run the job in-process (the embedded default), so the
script refuses to run.
"""

import json
import os
import subprocess
import sys
import time

EXPORTS = [
    ("participants", "csv"),
    ("participants", "xlsx"),
    ("attendance", "csv"),
    ("attendance", "xlsx"),
]


def _setup():
    from benchmarks.common import django_setup

    django_setup()
    from django.test.utils import setup_test_environment

    setup_test_environment()


def _rss_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child_request(kind: str, fmt: str) -> None:
    _setup()
    from django.test import Client
    from django.urls import reverse

    from accounts.models import User
    from participants.models import ExportJob

    client = Client()
    client.force_login(User.objects.get(username="undp.staff"))
    url = reverse(f"imports:export_{kind}", args=[fmt])
    client.get(reverse("exports:list"))  # warm: the first request loads templates
    # The first POST of a process also opens the broker connection and imports the task
    # modules (once per web worker); the second is what every later request costs.
    t = time.perf_counter()
    client.post(url)
    first = time.perf_counter() - t
    ExportJob.objects.order_by("-pk").first().delete()
    t = time.perf_counter()
    response = client.post(url)
    seconds = time.perf_counter() - t
    job = ExportJob.objects.order_by("-pk").first()
    print(
        json.dumps(
            {
                "phase": "request",
                "export": f"{kind}.{fmt}",
                "status": response.status_code,
                "location": response.get("Location"),
                "seconds_first": round(first, 3),
                "seconds": round(seconds, 3),
                "job": job.pk,
                "job_status": job.status,
            }
        )
    )


def child_job(job_id: str) -> None:
    _setup()
    from participants.export_jobs import run_export

    before = _rss_mb()
    t = time.perf_counter()
    job = run_export(int(job_id))
    seconds = time.perf_counter() - t
    print(
        json.dumps(
            {
                "phase": "job",
                "export": f"{job.kind}.{job.format}",
                "status": job.status,
                "error": job.error or None,
                "rows": job.rows_total,
                "rows_done": job.rows_done,
                "bytes": job.size,
                "seconds": round(seconds, 1),
                "rss_before_mb": round(before, 1),
                "peak_rss_mb": round(_rss_mb(), 1),
            }
        )
    )
    job.file.delete(save=False)
    job.delete()


def child_direct(kind: str, fmt: str) -> None:
    _setup()
    from django.test import Client
    from django.urls import reverse

    from accounts.models import User

    client = Client()
    client.force_login(User.objects.get(username="undp.staff"))
    before = _rss_mb()
    t = time.perf_counter()
    response = client.get(reverse(f"imports:export_{kind}", args=[fmt]))
    size = 0
    for chunk in response.streaming_content if response.streaming else [response.content]:
        size += len(chunk)
    print(
        json.dumps(
            {
                "phase": "direct GET",
                "export": f"{kind}.{fmt}",
                "status": response.status_code,
                "bytes": size,
                "seconds": round(time.perf_counter() - t, 1),
                "rss_before_mb": round(before, 1),
                "peak_rss_mb": round(_rss_mb(), 1),
            }
        )
    )


def _run(*args: str, env: dict | None = None) -> dict | None:
    out = subprocess.run(
        [sys.executable, "-m", "benchmarks.export_memory", *args],
        capture_output=True,
        text=True,
        check=False,
        env=env,
    )
    lines = [line for line in out.stdout.splitlines() if line.startswith("{")]
    if not lines:
        print(f"{args} failed: {out.stderr[-800:]}")
        return None
    print(lines[-1], flush=True)
    return json.loads(lines[-1])


def _purge_queue() -> None:
    _setup()
    from celery import current_app

    with current_app.connection_for_write() as conn:
        removed = current_app.amqp.queues[current_app.conf.task_default_queue](conn).purge()
    print(json.dumps({"purged_messages": removed}))


def main() -> None:
    if not os.environ.get("REDIS_URL"):
        sys.exit("REDIS_URL is needed (without a broker the request would run the job itself)")
    if os.environ.get("CELERY_QUEUE", "qadam") == "qadam":
        sys.exit("set CELERY_QUEUE to a queue no worker reads (e.g. bench-exports)")
    print(json.dumps({"load_average": os.getloadavg()}))
    for kind, fmt in EXPORTS:
        request = _run("--request", kind, fmt)
        if request and request.get("job"):
            _run("--job", str(request["job"]))
        # The old path for the three exports docs/performance.md measured before (the direct
        # attendance XLSX, ~1M rows, would take minutes more for nothing new).
        if "--direct" in sys.argv and (kind, fmt) != ("attendance", "xlsx"):
            env = {**os.environ, "EXPORT_DIRECT_MAX_ROWS": str(10**9)}
            _run("--direct", kind, fmt, env=env)
    print(json.dumps({"load_average": os.getloadavg()}))
    _purge_queue()


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--request":
        child_request(sys.argv[2], sys.argv[3])
    elif len(sys.argv) == 3 and sys.argv[1] == "--job":
        child_job(sys.argv[2])
    elif len(sys.argv) == 4 and sys.argv[1] == "--direct":
        child_direct(sys.argv[2], sys.argv[3])
    else:
        main()
