# Placeholder reserved for possible cross-region duplicates found by imports; operations are filled in by that change.
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("participants", "0008_feedback_review_and_tokens")]

    operations = []
