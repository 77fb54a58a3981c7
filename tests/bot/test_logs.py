"""What `ecs-why serve` writes to standard error: one line per record, as text or JSON, with record()'s fields."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from bot.logs import record, setup_logging


@pytest.fixture
def stream(monkeypatch: pytest.MonkeyPatch) -> Iterator[io.StringIO]:
    root = logging.getLogger()
    kept = root.handlers[:], root.level
    for flag in ("logThreads", "logProcesses", "logMultiprocessing", "_srcfile"):
        monkeypatch.setattr(logging, flag, getattr(logging, flag))
    yield io.StringIO()
    root.handlers[:], _ = kept
    root.setLevel(kept[1])


def setup(log_format: str, stream: io.StringIO) -> None:
    setup_logging("INFO", log_format)
    handler = logging.getLogger().handlers[0]
    assert isinstance(handler, logging.StreamHandler)
    handler.setStream(stream)


def test_a_json_line_has_the_level_logger_time_and_the_fields(stream: io.StringIO) -> None:
    setup("json", stream)
    record("request", kind="command", user="U1", ack_ms=3.5, target=None)
    line = json.loads(stream.getvalue().splitlines()[-1])
    assert line["message"] == "request" and line["level"] == "INFO" and line["logger"] == "ecs_why.activity"
    assert line["kind"] == "command" and line["user"] == "U1" and line["ack_ms"] == 3.5 and line["time"]
    assert "target" not in line


def test_a_text_line_reads_as_the_activity_and_its_fields(stream: io.StringIO) -> None:
    setup("text", stream)
    record("request", kind="command", user="U1")
    assert stream.getvalue().rstrip().endswith("INFO ecs_why.activity: request kind=command user=U1")
