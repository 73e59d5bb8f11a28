"""`peyvand create_api_token USERNAME`: print a new API token for a user (shown only this once)."""

from django.core.management.base import BaseCommand, CommandError, CommandParser

from peyvand.accounts.models import User
from peyvand.accounts.services import api_token_create


class Command(BaseCommand):
    help = "Create an API token for USERNAME and print it; only its hash is stored."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--name", default="cli", help="a label to recognise the token by")

    def handle(self, *args: object, **options: str) -> None:
        try:
            user = User.objects.get(username=options["username"], is_active=True)
        except User.DoesNotExist:
            raise CommandError(f"No active user named {options['username']!r}.") from None
        _row, token = api_token_create(user=user, name=options["name"])
        self.stdout.write(token)
