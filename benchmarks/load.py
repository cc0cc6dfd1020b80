"""Bounded load test: gunicorn on 127.0.0.1 (random free port) + locust headless.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/qadam_bench \
        .venv/bin/python -m benchmarks.load --users 50 --minutes 2 --workers 4

Starts gunicorn (DEBUG off), runs locust for the given time, prints requests/s, p95 and errors
from locust's CSV summary, then stops both processes it started. Statistics are reset once every
user is spawned (--reset-stats), so they describe the steady state, not the ramp-up when 50
users log in at once (password hashing). Set REDIS_URL so the workers share one cache, as in
production.
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
    args = parser.parse_args()
    port = free_port()
    env = {**os.environ, "DEBUG": "False"}
    gunicorn = subprocess.Popen(
        [
            str(BIN / "gunicorn"),
            "config.wsgi",
            "-b",
            f"127.0.0.1:{port}",
            "-w",
            str(args.workers),
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
                "--reset-stats",  # figures of the steady state, once all users are spawned
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
    finally:
        gunicorn.send_signal(signal.SIGTERM)
        gunicorn.wait(timeout=30)


if __name__ == "__main__":
    main()
