from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo data set (`seed_demo`) and the synthetic benchmark data (`generate_synthetic`):
    a feature app above the domain apps, which it may all import (none of them imports it)."""

    name = "demo"
