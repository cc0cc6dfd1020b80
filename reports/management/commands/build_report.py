"""Build a donor report synchronously, through the same code path as the background task:
build_report_data() then render().

    python manage.py build_report --period 2024Q3 --format pdf --output report.pdf
    python manage.py build_report --period 2024 --format xlsx --output annex.xlsx --region KZ-47
    python manage.py build_report --from 2024-07-01 --to 2024-08-31 --format iati --output a.xml
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from accounts.scope import Scope
from core import periods
from core.periods import Period
from regions.models import Region
from reports import iati_validation
from reports.builder import build_report_data
from reports.iati_activity import with_activity
from reports.renderers import FORMATS, render

LANGUAGES = ("kk", "ru", "en")


def parse_period(text: str) -> Period:
    """'2024Q3' (or 2024-Q3) -> that quarter, '2024' -> that year."""
    period = periods.parse(text)
    if period is None:
        raise ValueError(
            f"{text.strip().upper()!r} is not a period: use 2024Q3, 2024, or --from/--to"
        )
    return period


class Command(BaseCommand):
    help = "Build a donor report for a period in one format and write it to a file."

    def add_arguments(self, parser):
        parser.add_argument("--period", help="2024Q3 (a quarter) or 2024 (a year)")
        parser.add_argument("--from", dest="start", type=date.fromisoformat, help="YYYY-MM-DD")
        parser.add_argument("--to", dest="end", type=date.fromisoformat, help="YYYY-MM-DD")
        parser.add_argument("--format", dest="fmt", choices=FORMATS, required=True)
        parser.add_argument("--output", required=True, help="file to write ('-' for stdout)")
        parser.add_argument(
            "--region",
            action="append",
            default=[],
            help="ISO code of a region (e.g. KZ-47); repeat for several; default all",
        )
        parser.add_argument("--language", choices=LANGUAGES, default="en")
        parser.add_argument("--programme", help="programme code (default: the active one)")

    def handle(
        self,
        *args,
        period=None,
        start=None,
        end=None,
        fmt,
        output,
        region,
        language,
        programme=None,
        **options,
    ):
        if period and (start or end):
            raise CommandError("Give either --period or --from/--to, not both.")
        try:
            if period:
                label, start, end = parse_period(period)
            elif start and end:
                if end < start:
                    raise ValueError("--to is before --from")
                label, start, end = periods.custom(start, end)
            else:
                raise ValueError("Give --period (2024Q3, 2024) or both --from and --to.")
        except ValueError as error:
            raise CommandError(str(error)) from error
        scope = Scope.for_regions(None)  # every region
        if region:
            found = dict(Region.objects.filter(code__in=region).values_list("code", "pk"))
            missing = sorted(set(region) - set(found))
            if missing:
                raise CommandError(f"Unknown region code(s): {', '.join(missing)}")
            scope = Scope.for_regions(sorted(found.values()))

        def progress(stage: str, percent: int) -> None:
            if options.get("verbosity", 1) >= 2:
                self.stderr.write(f"{percent:3d}% {stage}")

        data = build_report_data(
            start=start,
            end=end,
            scope=scope,
            language=language,
            period_label=label,
            programme=programme,
            progress=progress,
        )
        if fmt == "iati":
            data = with_activity(data, scope=scope)
        rendered = render(data, fmt)
        if fmt == "iati":
            findings = iati_validation.validate(rendered.content)
            for finding in findings:
                self.stderr.write(f"{finding.severity} {finding.rule}: {finding.message}")
            if iati_validation.errors(findings):
                raise CommandError("The IATI file breaks rules of the IATI Standard: not written.")
        if output == "-":
            self.stdout.buffer.write(rendered.content)  # type: ignore[attr-defined]
            return
        path = Path(output)
        if path.is_dir():
            path = path / rendered.filename
        path.write_bytes(rendered.content)
        self.stdout.write(f"Wrote {path} ({len(rendered.content):,} bytes, {label}, {fmt}).")
