from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FollowupConfig(AppConfig):
    """Follow-up surveys months after a training: rounds, question sets, personal links sent
    by mail or taken by phone, and the answers (docs/decisions/0025)."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "followup"
    verbose_name = _("Follow-up surveys")

    def ready(self) -> None:
        from . import outcomes, receivers  # noqa: F401 (erasure forgets free-text answers)

        outcomes.register_rules()  # the outcome indicators of the results framework
