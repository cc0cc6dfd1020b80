# Placeholder reserved for quote review and single-use feedback tokens; operations are filled in by that change.
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("participants", "0007_enrolment_event_index")]

    operations = []
