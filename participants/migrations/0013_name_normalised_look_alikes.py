"""Recompute the normalised name of people whose name mixes Latin and Cyrillic letters: the
duplicate check now reads Latin look-alikes inside a Cyrillic name (and the reverse) as the
letters they stand for (participants/identity.py, issue 18 point 6). Names stay as typed."""

import re

from django.db import migrations

MIXED = re.compile(r"[A-Za-z]")
CYRILLIC = re.compile(r"[\u0400-\u04ff]")


def recompute(apps, schema_editor):
    from participants.identity import normalise_name

    Participant = apps.get_model("participants", "Participant")
    changed = []
    rows = Participant.objects.values_list("pk", "full_name", "name_normalised")
    for pk, full_name, stored in rows.iterator(chunk_size=5000):
        if not (MIXED.search(full_name or "") and CYRILLIC.search(full_name or "")):
            continue
        fresh = normalise_name(full_name)
        if fresh != stored:
            changed.append(Participant(pk=pk, name_normalised=fresh))
        if len(changed) >= 2000:
            Participant.objects.bulk_update(changed, ["name_normalised"])
            changed = []
    if changed:
        Participant.objects.bulk_update(changed, ["name_normalised"])


class Migration(migrations.Migration):
    dependencies = [("participants", "0012_importbatch_file_info")]

    operations = [migrations.RunPython(recompute, migrations.RunPython.noop)]
