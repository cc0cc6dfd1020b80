from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = _("Results and reports")

    def ready(self) -> None:
        # Erasing a person scrubs their name from free text; these fields are written by
        # people (narratives, descriptions) or copied from feedback (a run's snapshot).
        from participants.privacy import register_free_text

        register_free_text("reports.Narrative", "highlights", "challenges", "lessons", "next_steps")
        register_free_text("reports.Indicator", "description")
        register_free_text("reports.ReportRun", "error", "snapshot")
