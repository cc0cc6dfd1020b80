"""Sessions made one per day stored "Day N" in their creator's language ("Day 1", "День 1",
"1-күн"); they are now untitled and named in each reader's language (Session.display_title).
Only a title whose number is the session's day of its event is cleared, and only when the day
has no untitled session already (the event, date and title are unique together)."""

import re

from django.db import migrations

# The forms of msgid "Day %(n)s" in locale/{en,ru,kk}/LC_MESSAGES/django.po.
DAY_TITLE = re.compile(r"^\s*(?:Day\s+(\d+)|День\s+(\d+)|(\d+)\s*-\s*күн)\s*$", re.IGNORECASE)


def untitle_day_sessions(apps, schema_editor):
    Session = apps.get_model("trainings", "Session")
    untitled = set(Session.objects.filter(title="").values_list("event_id", "date"))
    candidates = (
        Session.objects.exclude(title="")
        .filter(title__iregex=r"(day|день|күн)")
        .select_related("event")
        .only("pk", "title", "date", "event_id", "event__start_date")
    )
    clear = []
    for session in candidates.iterator():
        match = DAY_TITLE.match(session.title)
        if not match:
            continue
        n = int(next(g for g in match.groups() if g))
        key = (session.event_id, session.date)
        if n == (session.date - session.event.start_date).days + 1 and key not in untitled:
            untitled.add(key)
            clear.append(session.pk)
    for start in range(0, len(clear), 1000):
        Session.objects.filter(pk__in=clear[start : start + 1000]).update(title="")


class Migration(migrations.Migration):
    dependencies = [("trainings", "0005_reference_names_kk_ru")]

    operations = [migrations.RunPython(untitle_day_sessions, migrations.RunPython.noop)]
