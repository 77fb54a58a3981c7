"""heap.heap_facts, and the task_definition check that states it: a runtime's heap cap against its memory."""

from __future__ import annotations

from typing import Any

import pytest

from diagnosis.checks.evidence import LiveEvidence
from diagnosis.checks.heap import heap_facts
from diagnosis.checks.taskdef import check_task_definition

JVM_OOM = "Terminating due to java.lang.OutOfMemoryError: Java heap space"
NODE_OOM = "FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory"
TD = "arn:aws:ecs:us-east-1:123456789012:task-definition/reports:4"


def container(env: dict[str, str] | None = None, **more: Any) -> dict[str, Any]:
    return {"name": "app", "environment": [{"name": k, "value": v} for k, v in (env or {}).items()], **more}


@pytest.mark.parametrize(
    ("env", "command", "said"),
    [
        (
            {"JAVA_TOOL_OPTIONS": "-Xmx512m -XX:+ExitOnOutOfMemoryError"},
            None,
            "512 MiB (-Xmx512m in JAVA_TOOL_OPTIONS)",
        ),
        ({"JAVA_OPTS": "-Xms1g -Xmx2g"}, None, "2048 MiB (-Xmx2g in JAVA_OPTS)"),
        (
            {"NODE_OPTIONS": "--max-old-space-size=384"},
            None,
            "384 MiB (--max-old-space-size=384 in NODE_OPTIONS)",
        ),
        (
            {},
            ["java", "-XX:MaxRAMPercentage=50", "-jar", "app.jar"],
            "1024 MiB (-XX:MaxRAMPercentage=50 in command)",
        ),
        # the JVM's own precedence: a heap size over a percentage, the command line over JAVA_TOOL_OPTIONS,
        # and the last of two flags
        (
            {"JAVA_TOOL_OPTIONS": "-XX:MaxRAMPercentage=75"},
            ["java", "-Xmx512m", "-jar", "app.jar"],
            "512 MiB (-Xmx512m in command)",
        ),
        ({"JAVA_OPTS": "-Xmx256m -Xmx1g"}, None, "1024 MiB (-Xmx1g in JAVA_OPTS)"),
        (
            {"JAVA_TOOL_OPTIONS": "-XX:MaxHeapSize=768m"},
            None,
            "768 MiB (-XX:MaxHeapSize=768m in JAVA_TOOL_OPTIONS)",
        ),
    ],
)
def test_the_cap_is_read_where_it_is_set(env: dict[str, str], command: list[str] | None, said: str) -> None:
    c = container(env, **({"command": command} if command else {}))
    [fact] = heap_facts(c, 2048, [JVM_OOM])
    assert f"container app caps its heap at {said}, of the 2048 MiB it runs in" in fact
    if "MaxRAMPercentage" in said:  # a share of the container's memory: more memory does raise it
        assert "more task memory raises it" in fact and "does not change it" not in fact
    else:
        assert "more task memory alone does not change it" in fact


def test_without_a_heap_error_the_cap_is_only_stated() -> None:
    [fact] = heap_facts(container({"NODE_OPTIONS": "--max-old-space-size=384"}), 1024, ["listening on :3000"])
    assert (
        fact
        == "container app caps its heap at 384 MiB (--max-old-space-size=384 in NODE_OPTIONS), of the 1024 MiB it "
        "runs in"
    )


def test_a_jvm_without_a_cap_is_told_its_default_quarter() -> None:
    [fact] = heap_facts(container(), 2048, ["booting", JVM_OOM])
    assert (
        "sets no -Xmx or MaxRAMPercentage: the JVM's default heap is a quarter of its 2048 MiB (about 512 MiB)"
        in fact
    )


def test_nothing_to_say_without_a_cap_or_a_jvm_heap_error() -> None:
    assert heap_facts(container(), 2048, [NODE_OOM]) == []
    assert heap_facts(container({"JAVA_OPTS": "-Dfile.encoding=UTF-8"}), 2048, ["ok"]) == []


def test_only_the_flag_is_quoted_never_the_rest_of_the_variable() -> None:
    env = {"JAVA_TOOL_OPTIONS": "-Xmx768m -Djavax.net.ssl.trustStorePassword=hunter2-Zq8vR4"}
    [fact] = heap_facts(container(env), 2048, [JVM_OOM])
    assert "-Xmx768m" in fact and "hunter2" not in fact and "trustStore" not in fact


def test_the_task_definition_check_states_the_cap_for_an_app_error_whose_log_ran_out_of_heap() -> None:
    definition = {
        "taskDefinitionArn": TD,
        "memory": "2048",
        "containerDefinitions": [container({"JAVA_TOOL_OPTIONS": "-Xmx512m"}, essential=True)],
    }
    task = {
        "taskArn": "arn:aws:ecs:us-east-1:123456789012:task/prod/0f1e",
        "taskDefinitionArn": TD,
        "lastStatus": "STOPPED",
        "containers": [{"name": "app", "exitCode": 3}],
    }
    ev = LiveEvidence(
        tasks=[task],
        task_definitions={TD: definition},
        log_events=[{"timestamp": 1, "message": JVM_OOM}],
    )
    [result] = check_task_definition(ev, "app_error")
    assert (
        "container app caps its heap at 512 MiB (-Xmx512m in JAVA_TOOL_OPTIONS), of the 2048 MiB it runs in"
        in result.detail
    )
