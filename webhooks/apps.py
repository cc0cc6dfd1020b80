from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebhooksConfig(AppConfig):
    """Signed webhooks through an outbox (docs/decisions/0020): admins register endpoints, the
    domain services' events (core.domain_events) become delivery rows in the change's own
    transaction, Celery posts them, retries them and keeps the log."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "webhooks"
    verbose_name = _("Webhooks")

    def ready(self) -> None:
        from core.domain_events import domain_event

        from .outbox import record_domain_event

        domain_event.connect(record_domain_event, dispatch_uid="webhooks.outbox")
