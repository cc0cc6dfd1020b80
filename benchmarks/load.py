"""Bounded load test: gunicorn on 127.0.0.1 (random free port) + locust headless.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/qadam_bench \
        .venv/bin/python -m benchmarks.load --users 50 --minutes 5 --workers 4
    # the production choice (docs/deployment.md) is 4 sync workers on 2 cores; threads:
    ... -m benchmarks.load --users 50 --minutes 5 --workers 3 --worker-class gthread --threads 4

Starts gunicorn (DEBUG off; sync workers, or gthread workers with --threads), runs locust for
the given time (users think 0.5-2 s between requests, benchmarks/locustfile.py), prints
requests/s, p95 and errors from locust's CSV summary and the load average before and after, then
stops both processes it started. Statistics are reset once every user has logged in and read
its start pages (benchmarks/locustfile.py), so they describe the steady state, not the ramp-up
when 50 users log in at once (password hashing). Set REDIS_URL so the workers share one cache,
as in production.
"""

import argparse
import csv
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--minutes", type=float, default=2)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument(
        "--worker-class",
        default="sync",
        choices=["sync", "gthread"],
        help="gunicorn's worker class: sync (one request per process) or gthread (threads)",
    )
    parser.add_argument(
        "--threads", type=int, default=1, help="threads per gthread worker (gunicorn --threads)"
    )
    parser.add_argument(
        "--conn-max-age",
        type=int,
        default=None,
        help="seconds a database connection is kept (DB_CONN_MAX_AGE; settings default 60)",
    )
    args = parser.parse_args()
    if args.threads > 1 and args.worker_class == "sync":
        parser.error("--threads needs --worker-class gthread")
    port = free_port()
    env = {**os.environ, "DEBUG": "False"}
    if args.conn_max_age is not None:
        env["DB_CONN_MAX_AGE"] = str(args.conn_max_age)
    print(
        f"gunicorn {args.workers} {args.worker_class} worker(s) x {args.threads} thread(s), "
        f"{args.users} users, {args.minutes} min; load average {os.getloadavg()}",
        flush=True,
    )
    gunicorn = subprocess.Popen(
        [
            str(BIN / "gunicorn"),
            "config.wsgi",
            "-b",
            f"127.0.0.1:{port}",
            "-w",
            str(args.workers),
            "--worker-class",
            args.worker_class,
            "--threads",
            str(args.threads),
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    try:
        for _ in range(60):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz/", timeout=2)
                break
            except urllib.error.HTTPError:
                break  # gunicorn answers (503 only says no Celery worker runs: not needed here)
            except OSError:
                time.sleep(0.5)
        out = Path(tempfile.mkdtemp()) / "load"
        subprocess.run(
            [
                str(BIN / "locust"),
                "-f",
                str(ROOT / "benchmarks" / "locustfile.py"),
                "--headless",
                "-u",
                str(args.users),
                "-r",
                "10",
                "-t",
                f"{int(args.minutes * 60)}s",
                "-H",
                f"http://127.0.0.1:{port}",
                "--csv",
                str(out),
                "--only-summary",
            ],
            cwd=ROOT,
            check=False,
            timeout=args.minutes * 60 + 120,
        )
        with open(f"{out}_stats.csv") as fh:
            for row in csv.DictReader(fh):
                print(
                    f"{row['Name']:<14} req {row['Request Count']:>6}  "
                    f"fail {row['Failure Count']:>4}  req/s {float(row['Requests/s']):6.1f}  "
                    f"p50 {row['50%']:>5} ms  p95 {row['95%']:>5} ms"
                )
        print(f"load average after: {os.getloadavg()}")
    finally:
        gunicorn.send_signal(signal.SIGTERM)
        gunicorn.wait(timeout=30)


if __name__ == "__main__":
    main()
