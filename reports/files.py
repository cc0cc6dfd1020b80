"""Names of stored report files: random in storage, readable when downloaded.

A file lies under MEDIA_ROOT as `reports/<year>/<month>/run<id>-<32 random hex>.<ext>`, so
knowing a run's id, period or region is not enough to name its file; it only ever leaves
through `reports:run_download`, which checks the user's Scope and records the download. The
name the user's browser saves is the report's own (`qadam-report-…-en.pdf`), made again from the
run's snapshot."""

from __future__ import annotations

import re
import secrets
from posixpath import basename, splitext

from .builder import ReportData
from .models import ReportFile
from .renderers import filename_for


def stored_name(*, run_id: int, filename: str) -> str:
    """The name to store a rendered file under: the run's id, a random part, the extension."""
    extension = splitext(filename)[1].lower()
    return f"run{run_id}-{secrets.token_hex(16)}{extension}"


def download_name(report_file: ReportFile) -> str:
    """The file name offered to the browser: the report's readable name, never the random one."""
    run = report_file.run
    if run.snapshot:
        try:
            return filename_for(ReportData.from_json(run.snapshot), report_file.format)
        except (TypeError, KeyError, AttributeError):
            pass  # a snapshot of an older shape: fall back to the stored name
    # A run without a snapshot (stored by hand, or before names were random): its stored
    # name without the directory and the `run<id>-` prefix.
    name = basename(report_file.file.name)
    match = re.fullmatch(rf"run{run.pk}-(.+)", name)
    return match.group(1) if match else name
