"""The programme's IATI file at a stable public address (/iati/<programme code>.xml), for the
IATI Registry to fetch: built from the latest data, every region, in English, every quarter
from the programme's start to the last ended quarter, checked by reports/iati_validation.py.

Only aggregate results are in it (the same figures and the same disclosure control as a donor
report's IATI file); never a name. It is cached (core/dataversion.py: a change to the data
makes a new one), so a crawler costs one build per change, not one per request."""

from __future__ import annotations

import logging
from datetime import date

from django.utils import timezone

from accounts.scope import Scope
from core import periods
from core.dataversion import data_cached
from trainings.models import Programme

from . import iati_validation
from .iati_activity import build_activity
from .renderers.iati import render_activity

logger = logging.getLogger(__name__)
LANGUAGE = "en"  # the language IATI publications are read in


def published_activity_xml(code: str, *, today: date | None = None) -> bytes | None:
    """The IATI XML of the programme with this code, or None when there is no such programme
    or its file breaks a rule of the Standard (then it is not published; the log says why)."""
    programme = Programme.objects.filter(code=code).first()
    if programme is None:
        return None
    today = today or timezone.localdate()
    end = periods.last_ended_quarter(today).end

    def build() -> bytes | None:
        activity = build_activity(
            programme=programme,
            scope=Scope.for_regions(None),
            end=end,
            language=LANGUAGE,
            today=today,
        )
        content = render_activity(
            activity, generated_at=timezone.now().isoformat(timespec="seconds")
        )
        problems = iati_validation.errors(iati_validation.validate(content))
        if problems:
            logger.error(
                "public IATI file of %s withheld: %s",
                code,
                "; ".join(f"{p.rule} {p.message}" for p in problems),
            )
            return None
        return content

    return data_cached(f"iati:{programme.pk}:{end.isoformat()}", build)
