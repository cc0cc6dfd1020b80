# Placeholder reserved for report-run recovery fields; operations are filled in by that change.
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("reports", "0002_files_and_narratives")]

    operations = []
