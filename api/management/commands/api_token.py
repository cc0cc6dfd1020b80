"""`manage.py api_token USERNAME [--name N] [--days D]`: a new API token for scripts, printed
once (only its hash is stored)."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from accounts.models import User
from api.services import create_token


class Command(BaseCommand):
    help = "Create an API token for a user and print it (it is shown only this once)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", default="command line")
        parser.add_argument("--days", type=int, default=None)

    def handle(self, *args, username: str, name: str, days: int | None, **options):
        user = User.objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(f"No active user {username!r}.")
        try:
            token, secret = create_token(user=user, name=name, days=days)
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from error
        self.stderr.write(
            f"Token {token.name!r} of {username}, valid until {token.expires_at:%Y-%m-%d}:"
        )
        self.stdout.write(secret)
