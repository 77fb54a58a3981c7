"""evidence.log_stream: whose log a diagnosis reads when a task held several containers."""

from __future__ import annotations

from typing import Any

from diagnosis.checks.evidence import log_stream

TD = "arn:aws:ecs:us-east-1:123456789012:task-definition/mesh:3"


def logged(name: str, essential: bool = True) -> dict[str, Any]:
    return {
        "name": name,
        "essential": essential,
        "logConfiguration": {
            "logDriver": "awslogs",
            "options": {
                "awslogs-group": "/ecs/mesh",
                "awslogs-region": "eu-west-1",
                "awslogs-stream-prefix": "ecs",
            },
        },
    }


def stream_read(*containers: dict[str, Any], definitions: list[dict[str, Any]] | None = None) -> str:
    task = {"taskArn": "arn:aws:ecs:eu-west-1:123456789012:task/prod/0f1e", "taskDefinitionArn": TD}
    task["containers"] = list(containers)
    defs = definitions or [logged(c["name"]) for c in containers]
    found = log_stream(task, {TD: {"containerDefinitions": defs}})
    assert found is not None
    return found[1]


def test_the_sidecar_that_exited_is_read_not_the_app_ecs_stopped_after_it() -> None:
    assert (
        stream_read({"name": "worker", "exitCode": 143}, {"name": "envoy", "exitCode": 1}) == "ecs/envoy/0f1e"
    )


def test_the_app_that_exited_is_read_not_the_sidecar_ecs_stopped_after_it() -> None:
    assert stream_read({"name": "envoy", "exitCode": 143}, {"name": "app", "exitCode": 2}) == "ecs/app/0f1e"


def test_a_sigterm_exit_with_a_reason_still_counts() -> None:
    chosen = stream_read(
        {"name": "app", "exitCode": 143, "reason": "OutOfMemoryError: Container killed due to memory usage"},
        {"name": "envoy", "exitCode": 143},
    )
    assert chosen == "ecs/app/0f1e"


def test_a_non_essential_container_is_read_last() -> None:
    defs = [logged("migrate", essential=False), logged("app")]
    chosen = stream_read(
        {"name": "migrate", "exitCode": 1}, {"name": "app", "exitCode": 143}, definitions=defs
    )
    assert chosen == "ecs/app/0f1e"


def test_an_essential_container_that_exited_0_is_read_not_the_app_ecs_stopped_after_it() -> None:
    """A one-shot migration left essential finishes (0) and ECS stops the app (143): migrate's log says why."""
    chosen = stream_read({"name": "accounts", "exitCode": 143}, {"name": "migrate", "exitCode": 0})
    assert chosen == "ecs/migrate/0f1e"


def test_a_container_that_never_started_is_read_after_one_that_ran() -> None:
    """The app waited on its sidecar (dependsOn) and never started; the sidecar ran and has the log."""
    assert stream_read({"name": "app"}, {"name": "otel", "exitCode": 143}) == "ecs/otel/0f1e"
