"""Django's flush, refused where the audit log must stay append-only.

Only the test suite (``HAVEN_ALLOW_AUDIT_FLUSH``) may empty the database between transactional tests: the
triggers are lifted for the flush and put back at once.
"""

from typing import Any

from django.conf import settings
from django.core.management.base import CommandError
from django.core.management.commands.flush import Command as DjangoFlush
from django.db import connections

from haven.audit import triggers


class Command(DjangoFlush):
    def handle(self, **options: Any) -> None:
        if not getattr(settings, "HAVEN_ALLOW_AUDIT_FLUSH", False):
            raise CommandError("Refused: flushing would erase the append-only audit log.")
        connection = connections[options["database"]]
        triggers.dangerously_remove(connection)
        try:
            super().handle(**options)
        finally:
            triggers.install(connection)
