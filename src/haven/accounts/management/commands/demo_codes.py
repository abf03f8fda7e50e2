import time
from typing import Any

from django.core.management.base import BaseCommand
from django_otp.oath import totp

from haven.accounts.models import Authenticator
from haven.organizations.generate import DEMO_LOGINS


class Command(BaseCommand):
    help = "Print the current second-factor code of each demo sign-in that has one."

    def handle(self, *args: Any, **options: Any) -> None:
        # The sign-ins of DEMO_LOGINS in their order, then those later generator steps added (the demo's domain).
        emails = [email for email, *_rest in DEMO_LOGINS]
        devices = Authenticator.objects.filter(user__email__endswith="@haven.example", confirmed=True).select_related(
            "user"
        )
        seconds_left = 30 - int(time.time()) % 30
        order = {email: n for n, email in enumerate(emails)}
        for device in sorted(devices, key=lambda d: (order.get(d.user.email, len(order)), d.user.email)):
            code = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=device.drift)
            self.stdout.write(f"{device.user.email:32} {code:0{device.digits}d}")
        self.stdout.write(f"(valid for {seconds_left} more seconds)")
