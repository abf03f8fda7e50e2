#!/usr/bin/env python
"""Django's command-line utility for Haven."""

import os
import sys
from pathlib import Path


def main() -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parent / "src"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "haven.settings.demo")
    from django.core.management import execute_from_command_line

    from haven.audit.context import COMMAND, running

    # What a command writes to the audit log without a signed-in person names the command as the one who acted.
    with running(COMMAND, sys.argv[1] if len(sys.argv) > 1 else "help"):
        execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
