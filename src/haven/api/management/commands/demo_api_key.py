from typing import Any

from django.core.management.base import BaseCommand

from haven.api.generate import demo_key


class Command(BaseCommand):
    help = "Print the demo's API key (recomputed from the generator's seed), if the demo data holds it."

    def handle(self, *args: Any, **options: Any) -> None:
        found = demo_key()
        if found is None:
            return
        key, secret = found
        self.stdout.write(f"\nAPI key for {key.organization.name}: {secret}")
        self.stdout.write("  Try it: curl -H 'Authorization: Bearer <key>' http://127.0.0.1:8000/api/v1/key")
        self.stdout.write("  The API's documentation: http://127.0.0.1:8000/api/v1/docs\n")
