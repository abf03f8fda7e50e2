from typing import Any

from django.core.management.base import BaseCommand

from haven.safeguarding import reminders


class Command(BaseCommand):
    help = "E-mail each creative reviewer a digest of the work waiting for them and overdue (run daily)."

    def handle(self, *args: Any, **options: Any) -> None:
        results = reminders.send_all()
        waiting = sum(counts.waiting for counts in results.values())
        overdue = sum(counts.overdue for counts in results.values())
        digests = sum(counts.digests for counts in results.values())
        failed = sum(counts.failed for counts in results.values())
        self.stdout.write(f"{waiting} waiting, {overdue} overdue submission(s) in {digests} digest(s).")
        if failed:
            self.stderr.write(f"{failed} digest(s) could not be sent: see the log; tried again at the next run.")
