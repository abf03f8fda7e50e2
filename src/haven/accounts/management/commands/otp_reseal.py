"""``manage.py otp_reseal``: every authenticator's key sealed under the current otp key (after ``keys_rotate otp``
and a reload of every process, or to seal keys still kept in clear). Resumable; one audit entry with the counts."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from haven.accounts import second_factor
from haven.accounts.services import second_factors_reseal


class Command(BaseCommand):
    help = "Seal every authenticator key under the current otp key (after rotating it)."

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            resealed, current = second_factors_reseal()
        except second_factor.Unopenable as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            self.style.SUCCESS(f"Resealed {resealed} authenticator key(s); {current} already under the current key.")
            + "\nRecovery codes are kept as hashes and cannot be hashed again: those made under an older otp key "
            + "keep working while that key is among the older keys. Drop the older key only after every person "
            + "made new recovery codes."
        )
