"""The cohorts of the programme (BRIEF.md): reports group people by them."""

from django.db import migrations

from participants.reference import load_reference


def load(apps, schema_editor):
    load_reference(apps.get_model("participants", "ParticipantCategory"))


class Migration(migrations.Migration):
    dependencies = [("participants", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
