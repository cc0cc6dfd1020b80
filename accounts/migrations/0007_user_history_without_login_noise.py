"""Every login used to leave a user history row identical to the one before it (Django saves
`last_login`, which the history does not keep): the audit log read "changed the user" with
nothing changed. core/history.py stops new ones; this removes the old ones. Only "changed" rows
equal to the user's previous row (every kept field and the regions) go: they record nothing."""

from django.db import migrations

HISTORY_FIELDS = {"history_id", "history_date", "history_change_reason", "history_type"}


def drop_unchanged_rows(apps, schema_editor):
    history = apps.get_model("accounts", "HistoricalUser")
    regions = apps.get_model("accounts", "HistoricalUser_regions")
    kept = [
        f.attname
        for f in history._meta.concrete_fields
        if f.name not in HISTORY_FIELDS and f.name != "history_user"
    ]
    regions_of: dict[int, set] = {}
    for history_id, region_id in regions.objects.values_list("history_id", "region_id"):
        regions_of.setdefault(history_id, set()).add(region_id)
    unchanged = []
    previous: dict[int, tuple] = {}
    rows = history.objects.order_by("id", "history_date", "history_id").values(
        "history_id", "history_type", *kept
    )
    for row in rows.iterator(chunk_size=2000):
        state = (tuple(row[name] for name in kept), frozenset(regions_of.get(row["history_id"], ())))
        if row["history_type"] == "~" and previous.get(row["id"]) == state:
            unchanged.append(row["history_id"])
        previous[row["id"]] = state
    for start in range(0, len(unchanged), 1000):
        history.objects.filter(history_id__in=unchanged[start : start + 1000]).delete()


class Migration(migrations.Migration):
    dependencies = [("accounts", "0006_user_email_digest")]

    operations = [migrations.RunPython(drop_unchanged_rows, migrations.RunPython.noop)]
