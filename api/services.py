"""Writes of API tokens: create (the secret is returned once) and revoke. Both are kept in
the token's history, which the audit log shows."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import ApiToken

MAX_DAYS = 3650


def hash_key(secret: str) -> str:
    """The stored form of a token's secret (SHA-256: the secret is 256 random bits, so no
    slow hash is needed to resist guessing)."""
    return hashlib.sha256(secret.encode()).hexdigest()


@transaction.atomic
def create_token(*, user, name: str, days: int | None = None, by=None) -> tuple[ApiToken, str]:
    """A new token of `user` valid for `days` (settings.API_TOKEN_DAYS by default). Returns the
    token and its secret, which is not stored anywhere: show it once."""
    days = settings.API_TOKEN_DAYS if days is None else days
    if not 1 <= days <= MAX_DAYS:
        raise ValidationError(
            {"days": _("A token is valid for 1 to %(max)s days.") % {"max": MAX_DAYS}}
        )
    secret = secrets.token_urlsafe(32)
    token = ApiToken(
        user=user,
        name=name.strip(),
        key_prefix=secret[:8],
        key_hash=hash_key(secret),
        expires_at=timezone.now() + timedelta(days=days),
    )
    token.full_clean()
    token._history_user = by or user
    token.save()
    return token, secret


@transaction.atomic
def revoke_token(*, token: ApiToken, by) -> ApiToken:
    """Stop a token working from now on (kept, so the audit log can still name it)."""
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token._history_user = by
        token.save(update_fields=["revoked_at"])
    return token


def touch(token: ApiToken) -> None:
    """Note when a token was last used, at most once a minute (no write per request)."""
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
