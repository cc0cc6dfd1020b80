"""Time and peak memory of checking import files (issue 18), each case in its own subprocess.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/qadam_bench \
        .venv/bin/python -m benchmarks.import_files

Cases: the preview check (read + build_plan, nothing written) of a 50,000-row CSV for the demo's
Beyneu event as its coordinator; and three workbooks written at the XML level that unpack to tens
of MB: data then a flood of formatted empty rows (read: the flood is never parsed), a flood
before more data (refused), and the same flood with the stored dimension "A1:XFD1048576". For
each: file size, unpacked size, seconds, and the peak RSS growth of the process
(resource.getrusage ru_maxrss). Needs the demo (`seed_demo`) for the CSV case.
"""

import json
import subprocess
import sys
import time

CASES = ["csv-50k", "flood-after", "flood-before", "flood-xfd"]


def _flood(case: str) -> bytes:
    from tests.data.imports.xlsx_xml import Sheet, workbook

    header = ["ФИО", "Пол", "Год рождения", "Организация"]
    rows = [[f"Тасқынова Айгүл {i:03d}", "Ж", 1990, "ЖРО"] for i in range(20)]
    if case == "flood-before":
        sheet = Sheet("Лист1", [header, *rows], empty_rows_after=300_000, rows_after_empty=rows)
    else:
        dimension = "A1:XFD1048576" if case == "flood-xfd" else "A1"
        sheet = Sheet("Лист1", [header, *rows], dimension=dimension, empty_rows_after=300_000)
    return workbook(sheet)


def child(case: str) -> None:
    import resource

    from benchmarks.common import django_setup

    django_setup()
    from participants.imports.parse import FileRejected, read_table, work_size

    if case == "csv-50k":
        from accounts.models import User
        from accounts.scope import scope_for
        from participants.imports.validate import build_plan
        from tests.data.imports.samples import BEYNEU, HEADER_RU, csv_bytes
        from trainings.models import TrainingEvent

        rows = [
            [
                f"Участник{i:05d} Импортов",
                "М" if i % 2 else "Ж",
                1960 + i % 45,
                f"ЖРО {i % 50}",
                "маман",
                "1",
                "1" if i % 3 else "0",
            ]
            for i in range(50_000)
        ]
        data = csv_bytes(header=HEADER_RU, rows=rows, encoding="utf-8-sig")
        event = TrainingEvent.objects.get(title=BEYNEU)
        scope = scope_for(User.objects.get(username="coord.mangystau"))
    else:
        data = _flood(case)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    started = time.perf_counter()
    outcome = ""
    try:
        table = read_table(data)
        outcome = f"read {len(table.rows)} rows of {table.info.get('rows_in_file')}"
        if case == "csv-50k":
            plan = build_plan(table, event, scope)
            outcome += f", preview: {plan.counts()['create']} new, {plan.n_errors} errors"
    except FileRejected as refused:
        outcome = "refused: " + refused.message[:70]
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        json.dumps(
            {
                "case": case,
                "file_mb": round(len(data) / 1048576, 2),
                "unpacked_mb": round(work_size(data) / 1048576, 1),
                "seconds": round(seconds, 2),
                "rss_before_mb": round(before),
                "rss_growth_mb": round(peak - before),
                "outcome": outcome,
            }
        )
    )


def main() -> None:
    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        child(sys.argv[2])
        return
    for case in CASES:
        out = subprocess.run(
            [sys.executable, "-m", "benchmarks.import_files", "--child", case],
            capture_output=True,
            text=True,
            check=True,
        )
        print(out.stdout.strip().splitlines()[-1])


if __name__ == "__main__":
    main()
