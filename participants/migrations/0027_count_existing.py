from django.db import migrations


def count_existing(apps, schema_editor):
    """The records already there are counted once, with the live code at the schema it
    writes (0023 used to, before the columns it writes existed). A database whose summaries
    were counted (every person has at least their "seen" row in the country) is left alone."""
    Participant = apps.get_model("participants", "Participant")
    Reach = apps.get_model("participants", "Reach")
    if Participant.objects.exists() and not Reach.objects.exists():
        from participants.summaries import rebuild

        rebuild()


class Migration(migrations.Migration):
    dependencies = [
        ("participants", "0026_reindex_reach"),
    ]

    operations = [
        migrations.RunPython(count_existing, migrations.RunPython.noop),
    ]
