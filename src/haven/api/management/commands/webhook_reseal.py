"""``manage.py webhook_reseal``: every webhook endpoint's secret sealed under the current otp key (after
``keys_rotate otp`` and a reload of every process, beside ``otp_reseal``, or to seal a secret still kept in clear).
Resumable; one audit entry with the counts."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from haven.accounts import second_factor
from haven.api import webhooks


class Command(BaseCommand):
    help = "Seal every webhook endpoint's secret under the current otp key (after rotating it)."

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            resealed, current = webhooks.secrets_reseal()
        except second_factor.Unopenable as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            self.style.SUCCESS(f"Resealed {resealed} webhook secret(s); {current} already under the current key.")
        )
