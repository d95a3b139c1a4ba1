"""`kiteline token create|list|revoke`: API tokens for staff scripts (see docs/api.md)."""

from datetime import UTC, datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from kiteline.accounts.models import User
from kiteline.accounts.tokens import (
    MAX_DAYS,
    TokenError,
    api_tokens,
    create_api_token,
    revoke_api_token,
    token_with_prefix,
)

COLUMNS = ("prefix", "user", "name", "created", "expires", "revoked", "last used")


def when(moment: datetime | None) -> str:
    return "-" if moment is None else f"{moment.astimezone(UTC):%Y-%m-%d %H:%M} UTC"


class Command(BaseCommand):
    help = "Create, list and revoke the API tokens of staff users."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        create = actions.add_parser(
            "create",
            help="create a token and print it, once",
            description=(
                "Create a token that acts with exactly the user's permissions. Only the token "
                "goes to standard output, so a script can capture it; it is not shown again."
            ),
        )
        create.add_argument("--user", required=True, help="the staff user's username")
        create.add_argument(
            "--expires", required=True, type=int, metavar="DAYS", help=f"1 to {MAX_DAYS}"
        )
        create.add_argument("--name", default="", help="what the token is for")
        listing = actions.add_parser("list", help="list tokens, revoked and expired ones too")
        listing.add_argument("--user", help="only this user's tokens")
        revoke = actions.add_parser("revoke", help="revoke a token: it stops working at once")
        revoke.add_argument("prefix", help="the token's prefix, as `token list` shows it")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            match options["action"]:
                case "create":
                    self.create_token(options["user"], options["expires"], options["name"])
                case "list":
                    self.list_tokens(options["user"])
                case "revoke":
                    self.revoke_token(options["prefix"])
        except TokenError as error:
            raise CommandError(str(error)) from error

    def create_token(self, username: str, days: int, name: str) -> None:
        # The command line is a system process: there is no acting user.
        token, plaintext = create_api_token(
            actor=None, user=user_named(username), name=name, expires_in_days=days
        )
        self.stdout.write(plaintext)
        self.stderr.write(
            f"Token {token.prefix} for {username}, expires {when(token.expires_at)}.\n"
            "Copy it now: it is not shown again, and it cannot be recovered."
        )

    def list_tokens(self, username: str | None) -> None:
        user = None if username is None else user_named(username)
        rows = [COLUMNS] + [
            (
                token.prefix,
                token.user.username,
                token.name or "-",
                when(token.created_at),
                when(token.expires_at),
                when(token.revoked_at),
                when(token.last_used_at),
            )
            for token in api_tokens(user=user)
        ]
        widths = [max(map(len, column)) for column in zip(*rows, strict=True)]
        for row in rows:
            cells = (cell.ljust(width) for cell, width in zip(row, widths, strict=True))
            self.stdout.write("  ".join(cells).rstrip())

    def revoke_token(self, prefix: str) -> None:
        token = revoke_api_token(actor=None, token=token_with_prefix(prefix))
        self.stdout.write(f"Revoked token {token.prefix} of {token.user.username}.")


def user_named(username: str) -> User:
    try:
        return User.objects.get(username=username)
    except User.DoesNotExist as error:
        raise CommandError(f"There is no user {username}.") from error
