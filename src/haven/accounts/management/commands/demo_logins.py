from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand

from haven.organizations.generate import DEMO_LOGINS, DEMO_PASSWORD
from haven.organizations.models import Membership
from haven.organizations.roles import ROLES_REQUIRING_MFA, Role


class Command(BaseCommand):
    help = "Print the demo's address and one sign-in per role."

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write("\nHaven demo: http://127.0.0.1:8000/\n")
        self.stdout.write(f"Every demo sign-in uses the password: {DEMO_PASSWORD}\n")
        for email, _name, role, _where in DEMO_LOGINS:
            mfa = "  (asks for a code)" if role in ROLES_REQUIRING_MFA else ""
            self.stdout.write(f"  {Role(role).label:24} {email}{mfa}")
        # Sign-ins a later generator step added (the creative review's), found by the demo's domain.
        listed = {email for email, _name, _role, _where in DEMO_LOGINS}
        others = Membership.objects.dangerously_unscoped().filter(
            user__email__endswith="@haven.example", is_active=True
        )
        found = others.exclude(user__email__in=listed).order_by("user__email").values_list("user__email", "role")
        for email, found_role in found:
            mfa = "  (asks for a code)" if found_role in ROLES_REQUIRING_MFA else ""
            self.stdout.write(f"  {Role(found_role).label:24} {email}{mfa}")
        self.stdout.write("\nCodes for the sign-ins that ask for one (run again for fresh codes):")
        self.stdout.write("  .venv/bin/python manage.py demo_codes\n")
        call_command("demo_codes", stdout=self.stdout)
        call_command("demo_api_key", stdout=self.stdout)  # the API's sample key, when the demo data has one
