"""``manage.py evaluation_expire``: delete the evaluation packages whose window has ended or whose data-use
agreement has expired (run daily; each package's build also schedules its own deletion with the task worker)."""

from typing import Any

from django.core.management.base import BaseCommand

from haven.evaluation import services


class Command(BaseCommand):
    help = "Delete the evaluation packages past their download window or their data-use agreement."

    def handle(self, *args: Any, **options: Any) -> None:
        expired = services.exports_expire()
        self.stdout.write(f"{expired} evaluation package(s) expired and deleted.")
