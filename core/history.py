"""django-simple-history's HistoricalRecords, quiet about saves that touch only fields the
history does not keep: Django writes a user's `last_login` at every login with
`save(update_fields=["last_login"])`, and each of those became a "changed the user" entry with
nothing changed in the audit log (login noise; logins are in the security log)."""

from __future__ import annotations

from simple_history import models as simple_history


class HistoricalRecords(simple_history.HistoricalRecords):
    def post_save(self, instance, created, using=None, **kwargs):
        update_fields = kwargs.get("update_fields")
        if not created and update_fields and set(update_fields) <= set(self.excluded_fields):
            return
        super().post_save(instance, created, using=using, **kwargs)
