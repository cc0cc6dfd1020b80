from django.apps import AppConfig


class ManageConfig(AppConfig):
    """The reference-data management pages (/manage/) and the admin of regions' models: a
    feature app above the domain apps, which it may all import (none of them imports it).
    It has no models of its own, so no verbose name is ever shown."""

    name = "manage"
