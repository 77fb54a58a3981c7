"""Process logging: one line per record on standard error, as text or JSON (ECS_WHY_LOG_FORMAT), every
message and field redacted (log lines from ECS or the app may hold credentials, and so may exceptions).

`record(activity, **fields)` writes the one line per Slack request, diagnosis, change and worker event that
an operator searches by: a message that reads in text, and the same fields as JSON keys.
"""

from __future__ import annotations

import logging
from typing import Any

from pythonjsonlogger.json import JsonFormatter

from diagnosis.redact import redact

ACTIVITY = logging.getLogger("ecs_why.activity")
_FIELDS = "ecs_why_fields"  # the LogRecord attribute that carries record()'s fields


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    return value


def record(activity: str, /, **fields: Any) -> None:
    """One activity line: what happened (request, diagnosis, change, event) and its fields, None left out."""
    kept = {k: v for k, v in fields.items() if v is not None}
    text = " ".join(f"{k}={v}" for k, v in kept.items())
    ACTIVITY.info("%s %s", activity, text, extra={_FIELDS: {"activity": activity, **kept}})


class RedactingFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


class RedactingJsonFormatter(JsonFormatter):
    """python-json-logger's formatter: time, level, logger, message, and record()'s fields as keys."""

    def add_fields(
        self, log_data: dict[str, Any], record: logging.LogRecord, message_dict: dict[str, Any]
    ) -> None:
        super().add_fields(log_data, record, message_dict)
        log_data.pop(_FIELDS, None)
        fields = getattr(record, _FIELDS, None)
        if fields:
            log_data.update(fields)
            log_data["message"] = fields["activity"]

    def process_log_record(self, log_data: dict[str, Any]) -> dict[str, Any]:
        return {k: _clean(v) for k, v in log_data.items()}


def formatter(log_format: str = "text") -> logging.Formatter:
    if log_format == "json":
        return RedactingJsonFormatter(
            "%(levelname)s %(name)s %(message)s",
            rename_fields={"levelname": "level", "name": "logger"},
            timestamp="time",  # ISO 8601, UTC
        )
    return RedactingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s")


def setup_logging(level: str = "INFO", log_format: str = "text") -> None:
    # Neither format shows a thread, a process or a source line: skip gathering them for each record
    # (the logging HOWTO's "Optimization"; a Slack ack writes one line).
    logging.logThreads = logging.logProcesses = logging.logMultiprocessing = False
    logging._srcfile = None
    handler = logging.StreamHandler()
    handler.setFormatter(formatter(log_format))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("botocore", "urllib3", "waitress.queue"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
