"""Ending a user's sessions on other browsers when their login gets stronger (two-factor on,
an authenticator removed). A password change needs nothing here: Django keeps a hash of the
password in every session and drops the ones that no longer match on their next request."""

from __future__ import annotations

import logging
from importlib import import_module

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.utils import timezone

logger = logging.getLogger(__name__)


def end_other_sessions(*, user_id: int, keep_session_key: str | None = None) -> int:
    """Delete every live session of user `user_id` but `keep_session_key`; return how many.

    Sessions are not indexed by user, so this reads the live ones; it runs only on the rare
    change that needs it. Works with the database-backed engines (db, cached_db)."""
    store_class = import_module(settings.SESSION_ENGINE).SessionStore
    if not hasattr(store_class, "get_model_class"):
        logger.warning(
            "Cannot end other sessions of user %s: %s keeps no list of sessions",
            user_id,
            settings.SESSION_ENGINE,
        )
        return 0
    rows = (
        store_class.get_model_class()
        .objects.filter(expire_date__gt=timezone.now())
        .exclude(session_key=keep_session_key or "")
        .values_list("session_key", "session_data")
    )
    user_pk = str(user_id)
    ended = 0
    for session_key, data in rows.iterator():
        if str(store_class().decode(data).get(SESSION_KEY)) == user_pk:
            store_class(session_key=session_key).delete()
            ended += 1
    if ended:
        logger.info("Ended %d other session(s) of user %s", ended, user_id)
    return ended
