"""Writes of user accounts: create, change role and regions, deactivate. Each is audited by
the User history (django-simple-history) with who made the change."""

from __future__ import annotations

from django.contrib.auth.tokens import default_token_generator
from django.db import transaction
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from regions.models import Region

from .models import Role, User


@transaction.atomic
def create_user(
    *,
    username: str,
    role: str,
    regions: list[Region] | None = None,
    password: str | None = None,
    by: User | None = None,
    **fields,
) -> User:
    """A new active user. Without a password the account gets an unusable one until the user
    sets theirs through `set_password_link`."""
    user = User(username=username, role=role, **fields)
    if role == Role.ADMIN:
        user.is_staff = True
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.full_clean(exclude=["password"])
    user._history_user = by
    user.save()
    user.regions.set(regions or [])
    return user


@transaction.atomic
def update_user(*, user: User, by: User | None = None, regions=None, **fields) -> User:
    """Change a user's profile, role or regions."""
    for name, value in fields.items():
        setattr(user, name, value)
    user.is_staff = user.role == Role.ADMIN or user.is_superuser
    user.full_clean(exclude=["password"])
    user._history_user = by
    user.save()
    if regions is not None:
        user.regions.set(regions)
    return user


@transaction.atomic
def deactivate_user(*, user: User, by: User | None = None) -> User:
    """Switch an account off: it can no longer log in; its history stays."""
    user.is_active = False
    user._history_user = by
    user.save(update_fields=["is_active"])
    return user


def set_password_link(user: User, base_url: str) -> str:
    """A one-time link (Django's password-reset token) for the user to choose a password.
    It stops working once the password is set or after PASSWORD_RESET_TIMEOUT."""
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    path = reverse("accounts:set_password", kwargs={"uidb64": uid, "token": token})
    return base_url.rstrip("/") + path


@transaction.atomic
def set_mail_preferences(*, user: User, email_digest: bool) -> User:
    """The user's own choice: the quarterly close's mails as a weekly digest or one by one."""
    user.email_digest = email_digest
    user.save(update_fields=["email_digest"])
    return user
