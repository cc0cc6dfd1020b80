# Placeholder reserved for import batch progress heartbeat; operations are filled in by that change.
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("participants", "0009_possible_duplicates")]

    operations = []
