"""Sending a follow-up link by SMS: a pluggable backend named by FOLLOWUP_SMS_BACKEND (a
dotted path to a class with `send(*, to, text)`), empty for none. Qadam bundles no provider;
the console backend (the development default) writes the message to the log."""

from __future__ import annotations

import logging

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)


class SmsError(Exception):
    """A backend could not send (raised by backends; recorded on the invitation)."""


class ConsoleBackend:
    """Writes each message to the log instead of sending it."""

    def send(self, *, to: str, text: str) -> None:
        logger.info("SMS to %s: %s", to, text)


def is_configured() -> bool:
    return bool(settings.FOLLOWUP_SMS_BACKEND)


def get_backend():
    return import_string(settings.FOLLOWUP_SMS_BACKEND)()
