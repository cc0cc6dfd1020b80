"""Peak memory (RSS) of the streamed list exports, each in its own subprocess.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/qadam_bench \
        .venv/bin/python -m benchmarks.export_memory

For each export (participants CSV and XLSX, attendance CSV) a fresh Python process logs in as
staff, reads the whole streamed response and prints its rows, bytes, seconds, the RSS before the
request and the peak RSS (resource.getrusage ru_maxrss). The parent prints one line per export.
"""

import json
import subprocess
import sys
import time

EXPORTS = [
    ("imports:export_participants", "csv"),
    ("imports:export_participants", "xlsx"),
    ("imports:export_attendance", "csv"),
]


def child(urlname: str, fmt: str) -> None:
    import resource

    from benchmarks.common import django_setup

    django_setup()
    from django.test import Client
    from django.test.utils import setup_test_environment
    from django.urls import reverse

    from accounts.models import User

    setup_test_environment()
    client = Client()
    client.force_login(User.objects.get(username="undp.staff"))
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    t = time.perf_counter()
    response = client.get(reverse(urlname, args=[fmt]))
    size = lines = 0
    for chunk in response.streaming_content if response.streaming else [response.content]:
        size += len(chunk)
        lines += chunk.count(b"\n")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        json.dumps(
            {
                "export": f"{urlname}.{fmt}",
                "status": response.status_code,
                "streaming": response.streaming,
                "bytes": size,
                "csv_lines": lines if fmt == "csv" else None,
                "seconds": round(time.perf_counter() - t, 1),
                "rss_before_mb": round(before, 1),
                "peak_rss_mb": round(peak, 1),
            }
        )
    )


def main() -> None:
    for urlname, fmt in EXPORTS:
        out = subprocess.run(
            [sys.executable, "-m", "benchmarks.export_memory", "--child", urlname, fmt],
            capture_output=True,
            text=True,
            check=False,
        )
        lines = [line for line in out.stdout.splitlines() if line.startswith("{")]
        print(lines[-1] if lines else f"{urlname}.{fmt} failed: {out.stderr[-500:]}")


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--child":
        child(sys.argv[2], sys.argv[3])
    else:
        main()
