"""Structured logs: one JSON object a line, carrying the `extra` fields (delivery_id, repo, campaign, ...)."""

from __future__ import annotations

import json
import logging
import sys
from typing import Any

#: characters of a request-supplied value (a header, an action) kept in a log line; the rest is cut
CAP = 100

#: attributes every LogRecord has; anything else on a record came from `extra=` and is worth keeping
_STANDARD = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName"}


def capped(value: object, limit: int = CAP) -> str:
    """`value` as text of at most `limit` characters plus a marker saying how much was cut: anything a
    sender controls goes through this before it is logged, so one request cannot write a megabyte line."""
    text = value if isinstance(value, str) else repr(value)
    if len(text) <= limit:
        return text
    return f"{text[:limit]}...[{len(text) - limit} more]"


class JsonFormatter(logging.Formatter):
    """Formats a record as JSON so log shippers need no parsing rules; values that are not JSON become str."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update({k: v for k, v in vars(record).items() if k not in _STANDARD and not k.startswith("_")})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, sort_keys=False)


def configure_logging(level: int | str = logging.INFO) -> None:
    """Sends the root logger's records to stderr as JSON; idempotent, so each process may call it once more."""
    root = logging.getLogger()
    if any(isinstance(h.formatter, JsonFormatter) for h in root.handlers):
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root.addHandler(handler)
    root.setLevel(level)
