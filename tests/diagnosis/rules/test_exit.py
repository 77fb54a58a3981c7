"""Exit rules: what a container's exit code and reason say (OOM, app error, 126/127, signals, exit 0)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from diagnosis.models import ContainerFacts, TaskFacts
from diagnosis.rules import exit as exit_rules
from diagnosis.rules import read_message
from diagnosis.signals import Message


def task(*containers: ContainerFacts, service: str = "web-api", stop_code: str = "") -> TaskFacts:
    return TaskFacts(
        task_arn="arn:aws:ecs:us-east-1:123456789012:task/prod/0f1e2d3c4b5a69788796a5b4c3d2e1f0",
        service=service,
        stop_code=stop_code,
        stopped_reason="Essential container in task exited",
        containers=containers,
    )


@pytest.mark.parametrize(
    "text",
    [
        "OutOfMemoryError: Container killed due to memory usage",
        "Outofmemoryerror: container killed due to memory usage",
        "OutOfMemory: Container killed due to memory usage",
        "OutOfMemoryError: container killed due to memory usage: Container was OOM killed",
        "OOM",
    ],
)
def test_oom_reasons(text: str) -> None:
    match = read_message(text)
    assert match is not None
    assert match.category == "oom"
    assert match.confidence >= 0.9


def _tuning(wording_id: str) -> str:
    """A tuning wording's container reason (tests/diagnosis/data/wordings*.jsonl)."""
    data = Path(__file__).parents[1] / "data"
    rows = [
        json.loads(line)
        for name in ("wordings.jsonl", "wordings_more.jsonl")
        for line in (data / name).read_text().splitlines()
    ]
    return str(next(r for r in rows if r["id"] == wording_id)["container_reason"])


@pytest.mark.parametrize("wording", ["w093", "h045"])  # Node's heap limit, the JVM's
def test_a_runtimes_own_heap_error_is_the_applications_not_an_oom_kill(wording: str) -> None:
    match = read_message(_tuning(wording))
    assert match is not None and match.category == "app_error"
    assert "oom" in match.alternatives and "did not kill the container" in match.clue


# The JVM's detail messages name the pool; a log reader may keep only the class's short name
# ('Exception in thread "main" java.lang.OutOfMemoryError: GC overhead limit exceeded': a public Java
# example, stored index file 7811201260).
@pytest.mark.parametrize(
    "text",
    [
        'Exception in thread "main" java.lang.OutOfMemoryError: GC overhead limit exceeded',
        "OutOfMemoryError: GC overhead limit exceeded",
        "OutOfMemoryError: unable to create new native thread",
    ],
)
def test_the_jvms_out_of_memory_names_its_pool_and_is_the_applications(text: str) -> None:
    match = read_message(text)
    assert match is not None and match.category == "app_error" and "oom" in match.alternatives


def test_a_runtime_heap_error_the_container_was_killed_for_is_an_oom_kill() -> None:
    text = (
        "OutOfMemoryError: Container killed due to memory usage (java.lang.OutOfMemoryError: Java heap space)"
    )
    match = read_message(text)
    assert match is not None and match.category == "oom"


def test_oom_rule_ignores_placement_memory_wording() -> None:
    assert exit_rules.oom(Message("has insufficient memory available")) is None


@pytest.mark.parametrize(
    ("text", "path"),
    [
        ('exec: "/app/server": permission denied', "/app/server"),
        ('exec user process caused "no such file or directory"', ""),
        ('exec: "uvicorn": executable file not found in $PATH', "uvicorn"),
    ],
)
def test_exec_failure_is_command_not_found(text: str, path: str) -> None:
    match = read_message(text)
    assert match is not None
    assert match.category == "command_not_found"
    assert "container_start_failure" in match.alternatives
    assert match.names.get("path", "") == path


def test_exec_permission_denied_clue() -> None:
    match = exit_rules.exec_failure(Message('exec: "/app/run.sh": permission denied'))
    assert match is not None
    assert "permission denied" in match.clue


@pytest.mark.parametrize(
    ("code", "category", "alternatives"),
    [
        (1, "app_error", ()),
        (2, "app_error", ()),
        (255, "app_error", ()),
        (134, "app_error", ()),  # SIGABRT
        (126, "command_not_found", ()),
        (127, "command_not_found", ()),
        (139, "segfault", ()),
        (135, "segfault", ("app_error",)),  # SIGBUS
        (137, "oom", ("sigkill_stop_timeout",)),
        (143, "graceful_sigterm", ("app_error",)),
        (125, "agent_or_docker_daemon", ("container_start_failure",)),
    ],
)
def test_exit_code_reading(code: int, category: str, alternatives: tuple[str, ...]) -> None:
    match = exit_rules.from_exit_code(task(ContainerFacts("api", exit_code=code)))
    assert match is not None
    assert match.category == category
    assert match.alternatives == alternatives
    assert match.names["container"] == "api"
    assert match.names["exit_code"] == str(code)


def test_exit_137_without_reason_is_unsure() -> None:
    match = exit_rules.from_exit_code(task(ContainerFacts("worker", exit_code=137)))
    assert match is not None
    assert match.category == "oom"
    assert match.confidence < 0.7
    assert "stopTimeout" in match.clue


def test_signal_is_named() -> None:
    match = exit_rules.from_exit_code(task(ContainerFacts("api", exit_code=134)))
    assert match is not None
    assert "SIGABRT" in match.clue


def test_exit_0_of_a_service_is_clean_exit() -> None:
    match = exit_rules.from_exit_code(task(ContainerFacts("api", exit_code=0)))
    assert match is not None
    assert match.category == "clean_exit"
    assert match.confidence >= 0.8


def test_exit_0_of_a_standalone_task_is_less_sure() -> None:
    match = exit_rules.from_exit_code(task(ContainerFacts("job", exit_code=0), service=""))
    assert match is not None
    assert match.category == "clean_exit"
    assert match.confidence <= 0.5
    assert "batch" in match.clue


def test_no_exit_code_no_reading() -> None:
    assert (
        exit_rules.from_exit_code(task(ContainerFacts("api", reason="CannotPullContainerError: x"))) is None
    )
    assert exit_rules.from_exit_code(task()) is None


# --- which container explains the stop --------------------------------------------------------------------


def test_failed_container_prefers_the_app_over_a_sidecar() -> None:
    chosen = exit_rules.failed_container(
        task(ContainerFacts("envoy", exit_code=1), ContainerFacts("orders", exit_code=1))
    )
    assert chosen is not None
    assert chosen.name == "orders"


def test_failed_container_prefers_non_zero_exit() -> None:
    chosen = exit_rules.failed_container(
        task(ContainerFacts("orders", exit_code=0), ContainerFacts("billing", exit_code=3))
    )
    assert chosen is not None
    assert chosen.name == "billing"


def test_failed_container_skips_non_essential() -> None:
    chosen = exit_rules.failed_container(
        task(
            ContainerFacts("api", exit_code=1, essential=True),
            ContainerFacts("db-migrate", exit_code=2, essential=False, reason="migration failed"),
        )
    )
    assert chosen is not None
    assert chosen.name == "api"


def test_failed_container_prefers_the_one_with_a_reason() -> None:
    chosen = exit_rules.failed_container(
        task(
            ContainerFacts("api", exit_code=137),
            ContainerFacts(
                "worker", exit_code=137, reason="OutOfMemoryError: Container killed due to memory usage"
            ),
        )
    )
    assert chosen is not None
    assert chosen.name == "worker"


def test_sidecar_sigterm_after_app_exit_0_is_not_the_cause() -> None:
    match = exit_rules.from_exit_code(
        task(ContainerFacts("app", exit_code=0), ContainerFacts("envoy", exit_code=143))
    )
    assert match is not None
    assert match.category == "clean_exit"
    assert match.names["container"] == "app"


def test_an_app_stopped_by_ecs_after_its_sidecar_exited_is_not_the_cause() -> None:
    """An essential envoy exits 1; ECS then stops the app (143): the envoy's exit is the answer, not a normal
    SIGTERM stop."""
    match = exit_rules.from_exit_code(
        task(ContainerFacts("worker", exit_code=143), ContainerFacts("envoy", exit_code=1))
    )
    assert match is not None
    assert (match.category, match.names["container"]) == ("app_error", "envoy")


def test_no_container_exited() -> None:
    assert exit_rules.failed_container(task(ContainerFacts("api"))) is None


def test_stop_timeout_kill_is_secondary_and_only_for_137() -> None:
    side = exit_rules.stop_timeout_kill(task(ContainerFacts("api", exit_code=137)))
    assert side is not None
    assert side.category == "sigkill_stop_timeout"
    assert side.secondary
    assert side.names["container"] == "api"
    assert exit_rules.stop_timeout_kill(task(ContainerFacts("api", exit_code=143))) is None
