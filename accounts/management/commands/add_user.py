"""Scripted set-up of a user: `add_user USERNAME --role coordinator --region KZ-47`.

The password comes from the QADAM_USER_PASSWORD environment variable, never the command line
(which other users of the machine can see and shells keep in their history)."""

import os

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from accounts.models import Role, User
from accounts.services import create_user, update_user
from regions.models import Region


class Command(BaseCommand):
    help = "Create or update a user with a role and regions; password from QADAM_USER_PASSWORD."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--role", required=True, choices=Role.values)
        parser.add_argument(
            "--region", action="append", default=[], metavar="CODE", help="e.g. KZ-47; repeat"
        )
        parser.add_argument("--email", default="")

    def handle(self, *args, username, role, region, email, **options):
        password = os.environ.get("QADAM_USER_PASSWORD", "")
        regions = []
        for code in region:
            try:
                regions.append(Region.objects.get(code=code))
            except Region.DoesNotExist:
                known = ", ".join(Region.objects.order_by("code").values_list("code", flat=True))
                raise CommandError(f"Unknown region code {code!r}. Known codes: {known}") from None
        if role == Role.COORDINATOR and not regions:
            raise CommandError("A coordinator needs at least one --region CODE.")
        if role != Role.COORDINATOR and regions:
            raise CommandError("Only coordinators are limited to regions: drop --region.")
        existing = User.objects.filter(username=username).first()
        if not password and existing is None:
            raise CommandError(
                "Set the password in the QADAM_USER_PASSWORD environment variable "
                "(it is never taken from the command line)."
            )
        if password:
            try:
                password_validation.validate_password(
                    password, existing or User(username=username, email=email)
                )
            except ValidationError as error:
                raise CommandError("Password refused: " + " ".join(error.messages)) from None
        try:
            if existing is None:
                create_user(
                    username=username, role=role, regions=regions, password=password, email=email
                )
                self.stdout.write(self.style.SUCCESS(f"Created {username} ({role})."))
            else:
                fields = {"role": role, "is_active": True}
                if email:
                    fields["email"] = email
                user = update_user(user=existing, regions=regions, **fields)
                if password:
                    user.set_password(password)
                    user.save(update_fields=["password"])
                self.stdout.write(self.style.SUCCESS(f"Updated {username} ({role})."))
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from None
