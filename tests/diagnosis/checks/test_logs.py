"""logs: the telling lines of a log tail (redacted) and the application's start time."""

from __future__ import annotations

from typing import Any

from diagnosis.checks.evidence import LiveEvidence
from diagnosis.checks.logs import check_logs, start_seconds, telling_lines


def events(*messages: str, step_ms: int = 1000) -> list[dict[str, Any]]:
    return [{"timestamp": i * step_ms, "message": m} for i, m in enumerate(messages)]


def test_telling_lines_pick_exceptions_refused_and_missing() -> None:
    lines = telling_lines(
        events(
            "INFO booting",
            "INFO loading config",
            'Exception in thread "main" java.lang.IllegalStateException: bad config',
            "Error: connect ECONNREFUSED 10.0.3.7:5432",
            "KeyError: 'DATABASE_URL' is missing",
            "listen EADDRINUSE: address already in use :::8080",
            "open /data/app.db: permission denied",
            "INFO shutting down",
        )
    )
    assert lines == [
        'Exception in thread "main" java.lang.IllegalStateException: bad config',
        "Error: connect ECONNREFUSED 10.0.3.7:5432",
        "KeyError: 'DATABASE_URL' is missing",
        "listen EADDRINUSE: address already in use :::8080",
        "open /data/app.db: permission denied",
    ]


def test_telling_lines_keep_the_last_ones() -> None:
    lines = telling_lines(events(*(f"ERROR attempt {i} failed" for i in range(10))), most=3)
    assert lines == ["ERROR attempt 7 failed", "ERROR attempt 8 failed", "ERROR attempt 9 failed"]


def test_telling_lines_are_redacted() -> None:
    lines = telling_lines(
        events(
            "ERROR could not connect to postgres://app:hunter2pw@db.internal:5432/orders",
            "FATAL login failed password=Sup3rS3cret! user=app",
            "ERROR bad key AKIAIOSFODNN7EXAMPLE",
        )
    )
    joined = "\n".join(lines)
    assert len(lines) == 3
    for secret in ("hunter2pw", "Sup3rS3cret!", "AKIAIOSFODNN7EXAMPLE"):
        assert secret not in joined
    assert "[REDACTED]" in joined


def test_telling_lines_skip_blank_and_quiet_lines() -> None:
    assert telling_lines(events("", "   ", "INFO all good", "request served in 3 ms")) == []


def test_telling_lines_are_cut_at_500_characters() -> None:
    [line] = telling_lines(events("ERROR " + "x" * 2000))
    assert len(line) == 500


def test_start_seconds_from_spring_boot() -> None:
    assert (
        start_seconds(events("Started OrdersApplication in 94.8 seconds (process running for 96.1)")) == 94.8
    )


def test_start_seconds_from_milliseconds() -> None:
    assert start_seconds(events("Server started in 950 ms")) == 0.95
    assert start_seconds(events("ready in 1200ms")) == 1.2


def test_start_seconds_from_timestamps() -> None:
    assert start_seconds(events("booting", "loading", "Listening on port 8080", step_ms=15_000)) == 30.0


def test_start_seconds_unknown() -> None:
    assert start_seconds([]) is None
    assert start_seconds(events("booting", "loading caches")) is None
    assert start_seconds([{"message": "booting"}, {"message": "Listening on port 8080"}]) is None


def evidence(log_events: list[dict[str, Any]] | None) -> LiveEvidence:
    return LiveEvidence(log_stream=("/ecs/web", "ecs/app/" + "a" * 32), log_events=log_events)


def test_check_logs_confirms_with_the_last_error_line() -> None:
    [result] = check_logs(evidence(events("INFO up", "ERROR missing env DATABASE_URL")), "app_error")
    assert result.outcome == "confirms"
    assert result.names["log_line"] == "ERROR missing env DATABASE_URL"
    assert result.names["log_group"] == "/ecs/web"
    assert result.evidence[0].source.startswith("logs:GetLogEvents /ecs/web ecs/app/")


def test_check_logs_empty_stream_is_inconclusive_and_says_so() -> None:
    [result] = check_logs(evidence([]), "command_not_found")
    assert result.outcome == "inconclusive"
    assert "empty" in result.detail


def test_check_logs_without_error_lines_quotes_the_last_lines() -> None:
    [result] = check_logs(evidence(events("INFO a", "INFO b", "INFO c", "INFO d")), "clean_exit")
    assert result.outcome == "inconclusive"
    assert "INFO d" in result.detail and "INFO a" not in result.detail


def test_check_logs_quiet_when_the_log_was_not_read() -> None:
    assert check_logs(evidence(None), "app_error") == []
    assert check_logs(LiveEvidence(log_events=events("ERROR x")), "app_error") == []
