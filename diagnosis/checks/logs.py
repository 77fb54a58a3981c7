"""Reads the failed container's log: the lines that explain the exit, and how long the app took to start."""

from __future__ import annotations

import re
from typing import Any

from diagnosis.checks.evidence import CheckResult, LiveEvidence
from diagnosis.models import EvidenceItem
from diagnosis.redact import redact

TELLING = re.compile(
    r"error|exception|traceback|fatal|panic|missing|refused|address already in use|permission denied|not found|"
    r"cannot|could not|couldn't|failed|killed|denied|timed? ?out|no such|undefined|invalid|unable|out of memory|"
    r"heap|segmentation|core dumped|exit(?:ed)? (?:with )?(?:code|status)|\bwarn(?:ing)?\b",
    re.IGNORECASE,
)
STARTED_IN = re.compile(
    r"(?:started|ready|startup|listening|booted|initiali[sz]ed)\b.*?\bin\s+(\d+(?:\.\d+)?)\s*"
    r"(ms|milliseconds|s|sec|secs|seconds)\b",
    re.IGNORECASE,
)
READY = re.compile(
    r"listening on|started|ready to accept|server running|application startup complete", re.IGNORECASE
)


def telling_lines(events: list[dict[str, Any]], most: int = 6) -> list[str]:
    """The last lines that say what went wrong (exceptions, refused, missing, …), redacted."""
    lines = [str(e.get("message", "")).rstrip() for e in events if str(e.get("message", "")).strip()]
    picked = [line for line in lines if TELLING.search(line)][-most:]
    return [redact(line)[:500] for line in picked]


def start_seconds(events: list[dict[str, Any]]) -> float | None:
    """How long the application took to start, from its own words or from the log's timestamps."""
    for event in events:
        match = STARTED_IN.search(str(event.get("message", "")))
        if match:
            value = float(match.group(1))
            return value / 1000 if match.group(2).lower().startswith("m") else value
    if events and isinstance(events[0].get("timestamp"), (int, float)):
        begin = float(events[0]["timestamp"])
        for event in events[1:]:
            if READY.search(str(event.get("message", ""))) and isinstance(
                event.get("timestamp"), (int, float)
            ):
                return max(0.0, (float(event["timestamp"]) - begin) / 1000)
    return None


def check_logs(evidence: LiveEvidence, category: str) -> list[CheckResult]:
    read = evidence.log_for(category)
    if read is None or read.events is None or not read.stream:
        return []
    group, stream, events = read.group, read.stream, read.events
    source = f"logs:GetLogEvents {group} {stream}"
    lines = telling_lines(events)
    if not events:
        detail = (
            f"the log stream {stream} is empty: the process failed before writing anything (check the "
            "entryPoint and command)"
        )
        return [
            CheckResult(
                category,
                "log_tail",
                "inconclusive",
                detail,
                (EvidenceItem(source=source, fact="no log lines"),),
                {"log_group": group, "log_stream": stream},
            )
        ]
    if not lines:
        last = [redact(str(e.get("message", "")))[:300] for e in events[-3:]]
        return [
            CheckResult(
                category,
                "log_tail",
                "inconclusive",
                "no error line in the log tail; last lines: " + " | ".join(last),
                tuple(EvidenceItem(source=source, fact=line, kind="log") for line in last),
                {"log_group": group, "log_stream": stream},
            )
        ]
    detail = f"the container's last error line: {lines[-1]}"
    return [
        CheckResult(
            category,
            "log_tail",
            "confirms",
            detail,
            tuple(EvidenceItem(source=source, fact=line, kind="log") for line in lines),
            {"log_group": group, "log_stream": stream, "log_line": lines[-1]},
        )
    ]
