"""`kiteline staff add`: create a staff account from the command line.

This is how the operator creates auditors (a supervisor cannot) and the first supervisor
of a new installation. The password is read from standard input, never from an argument,
so it does not end up in the shell's history.
"""

import getpass
import sys
from argparse import ArgumentParser
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from kiteline.accounts.models import STAFF_ROLES, User
from kiteline.audit.recording import record_event
from kiteline.facilities.models import Facility


class Command(BaseCommand):
    help = "Create a staff account (any staff role, auditors included) at named facilities."

    def add_arguments(self, parser: ArgumentParser) -> None:
        commands = parser.add_subparsers(dest="action", required=True)
        add = commands.add_parser("add", help="create a staff account")
        add.add_argument("--username", required=True)
        add.add_argument("--role", required=True, choices=sorted(STAFF_ROLES))
        add.add_argument("--facility", required=True, action="append", metavar="CODE")

    def handle(self, *args: Any, **options: Any) -> None:
        codes = sorted(set(options["facility"]))
        facilities = list(Facility.objects.filter(code__in=codes))
        missing = set(codes) - {facility.code for facility in facilities}
        if missing:
            raise CommandError(f"No facility with code {', '.join(sorted(missing))}.")
        if User.objects.filter(username__iexact=options["username"]).exists():
            raise CommandError(f"The username {options['username']} is taken.")
        user = User(username=options["username"], role=options["role"])
        password = (
            getpass.getpass("Password: ")
            if sys.stdin.isatty()
            else sys.stdin.readline().rstrip("\n")
        )
        try:
            validate_password(password, user)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        user.set_password(password)
        with transaction.atomic():
            user.save()
            user.facilities.set(facilities)
            record_event(
                actor=None,
                action="account.create",
                facility=None,
                subjects=[f"user:{user.pk}"],
                detail={"role": user.role, "facilities": codes},
            )
        self.stdout.write(f"Created {user.username} ({user.role}) at {', '.join(codes)}.")
