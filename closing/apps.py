from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ClosingConfig(AppConfig):
    """The quarterly close: completeness of a programme's quarter per region, and the
    submit / approve / return / unlock workflow of a region-quarter (docs/decisions/0012)."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "closing"
    verbose_name = _("Quarterly close")
