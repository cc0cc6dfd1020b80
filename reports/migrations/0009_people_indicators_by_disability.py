"""Every indicator counting people that is already disaggregated also shows the disability
breakdown of the Washington Group Short Set (ADR 0024)."""

from django.db import migrations

# The catalogue's people rules when this migration was written (reports/indicators.py).
PEOPLE_RULES = ("people_trained", "neet_reached")


def add_disability(apps, schema_editor):
    Indicator = apps.get_model("reports", "Indicator")
    for indicator in Indicator.objects.filter(rule__in=PEOPLE_RULES):
        chosen = list(indicator.disaggregations or [])
        if chosen and "disability" not in chosen:
            indicator.disaggregations = [*chosen, "disability"]
            indicator.save(update_fields=["disaggregations"])


def remove_disability(apps, schema_editor):
    Indicator = apps.get_model("reports", "Indicator")
    for indicator in Indicator.objects.filter(rule__in=PEOPLE_RULES):
        chosen = list(indicator.disaggregations or [])
        if "disability" in chosen:
            indicator.disaggregations = [d for d in chosen if d != "disability"]
            indicator.save(update_fields=["disaggregations"])


class Migration(migrations.Migration):
    dependencies = [("reports", "0008_change_time")]

    operations = [migrations.RunPython(add_disability, remove_disability)]
