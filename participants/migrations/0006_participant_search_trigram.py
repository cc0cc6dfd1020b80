"""Trigram indexes for the people search (PostgreSQL only; other databases skip it).

The search looks for each word anywhere in the folded name and in the organisation as written
(`LIKE '%word%'`), which a b-tree cannot serve: without these indexes every search read all
people. pg_trgm is a trusted extension (PostgreSQL 13+): the database owner may create it."""

from django.db import migrations

INDEXES = {
    "participant_name_trgm": "name_normalised gin_trgm_ops",
    "participant_org_name_trgm": "UPPER(organisation_name) gin_trgm_ops",
}


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, expression in INDEXES.items():
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON participants_participant "
            f"USING gin ({expression})"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("participants", "0005_participant_name_index")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
