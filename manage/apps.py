from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ManageConfig(AppConfig):
    """The reference-data management pages (/manage/) and the admin of regions' models: a
    feature app above the domain apps, which it may all import (none of them imports it)."""

    name = "manage"
    verbose_name = _("Reference data management")
