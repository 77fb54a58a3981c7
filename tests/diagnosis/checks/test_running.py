"""running: how long the containers took to stop, and a read-only root filesystem the log ran into; as the
task_definition check states them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from diagnosis.checks.evidence import LiveEvidence
from diagnosis.checks.running import read_only_root, seconds_between, stop_timing_facts
from diagnosis.checks.taskdef import check_task_definition

TD = "arn:aws:ecs:us-east-1:123456789012:task-definition/uploader:2"
AT = datetime(2026, 12, 2, 5, 0, tzinfo=UTC)
EROFS = "OSError: [Errno 30] Read-only file system: '/app/tmp/uploads'"


def stopped_task(**more: Any) -> dict[str, Any]:
    return {
        "taskArn": "arn:aws:ecs:us-east-1:123456789012:task/prod/0f1e",
        "taskDefinitionArn": TD,
        "lastStatus": "STOPPED",
        "containers": [{"name": "app", "exitCode": 1}],
        **more,
    }


def test_the_time_from_stopping_to_stopped_is_stated() -> None:
    task = stopped_task(stoppingAt=AT, executionStoppedAt=AT + timedelta(seconds=31))
    assert stop_timing_facts(task) == [
        "ECS asked the task to stop and its containers stopped 31 s later (stoppingAt → executionStoppedAt)"
    ]
    assert stop_timing_facts(stopped_task()) == []  # not told: nothing made up


def test_timestamps_as_text_or_of_mixed_kinds() -> None:
    assert seconds_between("2026-12-02T05:00:00Z", "2026-12-02T05:00:30.5Z") == 30.5
    assert seconds_between(datetime(2026, 12, 2), AT) is None  # naive against aware: not compared
    assert seconds_between("yesterday", AT) is None


def test_a_read_only_root_is_the_cause_only_when_the_log_ran_into_it() -> None:
    container = {"name": "app", "readonlyRootFilesystem": True}
    facts, problems = read_only_root(container, ["starting", EROFS])
    assert facts == []
    assert problems == [
        "container app has readonlyRootFilesystem: true, so it can write only to its mounted volumes, and its log "
        f"says a write was refused: {EROFS}"
    ]
    facts, problems = read_only_root(container, ["starting", "KeyError: 'DB_URL'"])
    assert problems == [] and facts[0].startswith("container app has readonlyRootFilesystem: true")


def test_the_task_definition_check_confirms_an_app_error_on_a_read_only_root() -> None:
    definition = {
        "taskDefinitionArn": TD,
        "containerDefinitions": [{"name": "app", "essential": True, "readonlyRootFilesystem": True}],
    }
    ev = LiveEvidence(
        tasks=[stopped_task()],
        task_definitions={TD: definition},
        log_events=[{"timestamp": 1, "message": EROFS}],
    )
    [result] = check_task_definition(ev, "app_error")
    assert result.outcome == "confirms"
    assert "readonlyRootFilesystem: true" in result.detail and "Read-only file system" in result.detail


def test_the_task_definition_check_states_the_stop_timing_for_a_kill_after_the_stop_timeout() -> None:
    definition = {"taskDefinitionArn": TD, "containerDefinitions": [{"name": "app", "essential": True}]}
    task = stopped_task(stoppingAt=AT, executionStoppedAt=AT + timedelta(seconds=30))
    task["containers"] = [{"name": "app", "exitCode": 137}]
    ev = LiveEvidence(tasks=[task], task_definitions={TD: definition})
    [result] = check_task_definition(ev, "sigkill_stop_timeout")
    assert "stopTimeout: not set (30 s, the default)" in result.detail
    assert "its containers stopped 30 s later" in result.detail
