"""A new deployment's first program admins, made at the command line.

Every role that approves child-level access (a program admin among them) waits for a second program admin's
approval when given through the pages, so the first two cannot be given that way. Whoever runs this command on the
server already holds the database: it adds no power, and it stops working once the national office has two active
program admins. Each one is audited as a system action.
"""

import getpass
import sys
from typing import Any

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from haven.accounts.emails import normalize_email
from haven.accounts.models import User
from haven.audit import services as audit
from haven.organizations.models import Membership, Organization
from haven.organizations.roles import OrganizationKind, Role
from haven.organizations.services import memberships_seed_by_system

BOOTSTRAP_LIMIT = 2


class Command(BaseCommand):
    help = "Create one of a new deployment's first two program admins (and the national office, if none exists)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--email", required=True)
        parser.add_argument("--name", required=True, help="The person's full name.")
        parser.add_argument("--office", default="", help="The national office's name, when there is none yet.")
        parser.add_argument(
            "--password-stdin", action="store_true", help="Read the password from standard input, not a prompt."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        email = normalize_email(options["email"])
        password = sys.stdin.readline().rstrip("\n") if options["password_stdin"] else self._prompt()
        with transaction.atomic():
            office = self._office(options["office"])
            admins = Membership.objects.in_org(office).active().filter(role=Role.PROGRAM_ADMIN)
            if admins.count() >= BOOTSTRAP_LIMIT:
                raise CommandError(
                    f"{office.name} has {BOOTSTRAP_LIMIT} program admins already: invite more through Haven, "
                    "where a second program admin approves them."
                )
            if User.objects.filter(email=email).exists():
                raise CommandError(f"An account with {email} exists already.")
            user = User(email=email, full_name=options["name"])
            try:
                password_validation.validate_password(password, user)
            except ValidationError as error:
                raise CommandError(" ".join(error.messages)) from None
            user = User.objects.create_user(email=email, password=password, full_name=options["name"])
            memberships_seed_by_system(rows=[(user.pk, office.pk, Role.PROGRAM_ADMIN)])
            audit.record(
                actor=None,
                action="membership.bootstrap",
                organization=office,
                target=user,
                detail={"role": Role.PROGRAM_ADMIN, "user": user.pk},
            )
        self.stdout.write(
            self.style.SUCCESS(f"{email} is a program admin of {office.name}; they set up a second factor first.")
        )

    def _office(self, name: str) -> Organization:
        office = Organization.objects.filter(kind=OrganizationKind.NATIONAL_OFFICE).first()
        if office is not None:
            return office
        if not name:
            raise CommandError("There is no national office yet: name it with --office.")
        office = Organization.objects.create(name=name, kind=OrganizationKind.NATIONAL_OFFICE)
        audit.record(actor=None, action="organization.create", organization=office, target=office)
        return office

    def _prompt(self) -> str:
        password = getpass.getpass("Password: ")
        if password != getpass.getpass("Password, again: "):
            raise CommandError("The two passwords differ.")
        return password
