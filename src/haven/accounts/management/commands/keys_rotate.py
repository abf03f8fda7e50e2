"""``manage.py keys_rotate <key>``: a new key in the key directory, the current one kept as the newest old key.

Running processes read their keys at start: each uses the new key after its restart or reload, and meanwhile
everything keeps working because the old key stays among the older keys (docs/operations.md, "Key rotation").
"""

from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError, CommandParser

from haven import keys
from haven.audit import services as audit

# The command's names for the keys, and the key files' names.
KEYS = {"secret": "secret", "audit": "audit", "pseudonym": "hmac", "otp": "otp"}
NEXT_STEPS = {
    "secret": "Sessions and signed values made with the old secret keep working (SECRET_KEY_FALLBACKS).",
    "audit": "Entries and checkpoints made with the old key keep verifying (audit_verify).",
    "pseudonym": (
        "When every process has reloaded, run `manage.py pseudonyms_rekey` to re-key the children; "
        "case numbers are matched under both keys meanwhile."
    ),
    "otp": (
        "When every process has reloaded, run `manage.py otp_reseal` to seal the authenticators' keys under it; "
        "keys sealed under the old key open meanwhile."
    ),
}


class Command(BaseCommand):
    help = (
        "Rotate a key kept in the key directory: write a new key, keep the current one among the older keys, "
        "and record it in the audit log (never the key)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("key", choices=sorted(KEYS), help="which key to rotate")

    def handle(self, *args: Any, **options: Any) -> None:
        name = options["key"]
        try:
            older = keys.rotate_key(KEYS[name], base_dir=settings.BASE_DIR)
        except (keys.KeyNotInFiles, ImproperlyConfigured) as error:
            raise CommandError(str(error)) from error
        audit.record(actor=None, action="keys.rotate", detail={"key": name, "old_keys": older})
        directory = keys.key_dir(settings.BASE_DIR)
        self.stdout.write(
            self.style.SUCCESS(f"New {name} key written to {directory}; {older} older key(s) kept.")
            + "\nRestart or reload every Haven process (web and task workers) to use it. "
            + NEXT_STEPS[name]
        )
