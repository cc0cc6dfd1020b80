from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class KoboConfig(AppConfig):
    """Submissions of KoboToolbox forms flowing in: connected forms, their mapping to feedback
    and pre/post scores, the inbox of submissions and its waiting queue (docs/api.md, ADR 21)."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "kobo"
    verbose_name = _("KoboToolbox")

    def ready(self) -> None:
        from participants.imports import sources

        from .exports import KOBO_EXPORTS

        sources.register(KOBO_EXPORTS)  # the import reads a connected form's export
