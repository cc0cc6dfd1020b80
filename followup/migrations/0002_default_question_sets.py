"""The question sets and rounds Qadam ships (kk/ru/en): followup/defaults.py."""

from django.db import migrations


def install(apps, schema_editor):
    from followup.defaults import install as install_defaults

    install_defaults(apps.get_model("followup", "QuestionSet"), apps.get_model("followup", "Round"))


class Migration(migrations.Migration):
    dependencies = [("followup", "0001_initial")]

    operations = [migrations.RunPython(install, migrations.RunPython.noop)]
