from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApiConfig(AppConfig):
    """The REST API (/api/v1/): read-only endpoints over the same selectors and Scope as the
    pages, per-user tokens, the OpenAPI schema and its docs page (docs/api.md, ADR 17)."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "api"
    verbose_name = _("API")

    def ready(self) -> None:
        from . import schema  # noqa: F401  registers the token scheme with drf-spectacular
