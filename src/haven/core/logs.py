"""Log records as JSON lines (the production LOGGING): one object a line, easy for a log collector to read.

A record's ``extra={"fields": {...}}`` is merged into its object; ``request_id`` is set by the request id filter
(``audit.middleware.RequestIdFilter``). Only what the caller logged is written: callers log ids and counts, never a
child's data or a query string.
"""

import json
import logging
from datetime import UTC, datetime


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "at": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", ""),
        }
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            entry.update(fields)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, ensure_ascii=False)
