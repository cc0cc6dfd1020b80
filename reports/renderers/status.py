"""Whether a report is a draft or final, in words every format prints (docs/decisions/0012):
a draft says so on every page, a final report names who approved each region's quarter."""

from __future__ import annotations

from django.utils.translation import gettext as _

from ..builder import ReportData


def draft_banner(data: ReportData) -> str:
    """ "DRAFT - includes data not yet approved", or "" for a final report (or an old one)."""
    return _("DRAFT - includes data not yet approved") if data.is_draft else ""


def approval_lines(data: ReportData) -> list[str]:
    """One line per approved region-quarter of a final report: who approved it and when."""
    if not data.approval.get("final"):
        return []
    return [
        _("Final: %(region)s, %(quarter)s approved by %(by)s on %(at)s")
        % {"region": a["region"], "quarter": a["quarter"], "by": a["by"] or "-", "at": a["at"]}
        for a in data.approval.get("approvals", [])
    ]
