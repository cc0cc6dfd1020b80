"""The 20 top-level units of Kazakhstan (17 regions and 3 cities of republican significance,
ISO 3166-2:KZ codes) and the districts and cities the programme works in first."""

from django.db import migrations

from regions.reference import load_reference


def load(apps, schema_editor):
    load_reference(apps.get_model("regions", "Region"), apps.get_model("regions", "District"))


class Migration(migrations.Migration):
    dependencies = [("regions", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
