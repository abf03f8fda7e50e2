"""Appends to the audit log from its own OS process, for the concurrency tests in ``test_chain.py`` and
``test_checkpoints.py``.

Run as ``python -m haven.audit.tests.concurrent_writer WRITER COUNT [checkpoint]``; with ``checkpoint``, each
entry is followed by a checkpoint (the file is ``HAVEN_AUDIT_CHECKPOINTS``). The environment names the database to
write to (``HAVEN_TEST_DB_NAME``: the test database of the process that started this one) and two files: this
process creates ``<HAVEN_TEST_READY_PREFIX>WRITER`` once it is connected, then waits for ``HAVEN_TEST_START_FILE``
so that every writer starts at the same moment. ``HAVEN_TEST_DB_USER``, if set, is the role to connect as.
"""

import os
import sys
import time
from pathlib import Path

WAIT_SECONDS = 60


def main(writer: int, count: int, checkpoint: bool) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "haven.settings.test")
    from django.conf import settings

    # Before django.setup(): connections are made from settings.DATABASES on first use.
    settings.DATABASES["default"]["NAME"] = os.environ["HAVEN_TEST_DB_NAME"]
    if os.environ.get("HAVEN_TEST_DB_USER"):  # the application's own role (test_db_role.py)
        settings.DATABASES["default"]["USER"] = os.environ["HAVEN_TEST_DB_USER"]

    import django

    django.setup()

    from django.db import connection

    from haven.audit import services

    connection.ensure_connection()
    Path(f"{os.environ['HAVEN_TEST_READY_PREFIX']}{writer}").touch()
    start = Path(os.environ["HAVEN_TEST_START_FILE"])
    deadline = time.monotonic() + WAIT_SECONDS
    while not start.exists():
        if time.monotonic() > deadline:
            sys.exit("no start signal")
        time.sleep(0.002)
    for n in range(count):
        # Each call is its own transaction (record is atomic, and nothing here opens an outer one).
        services.record(actor=None, action="test.concurrent_write", detail={"writer": writer, "n": n})
        if checkpoint:
            services.checkpoint_write()


if __name__ == "__main__":
    main(int(sys.argv[1]), int(sys.argv[2]), sys.argv[3:] == ["checkpoint"])
