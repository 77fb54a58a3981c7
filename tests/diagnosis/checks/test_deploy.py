"""deploy: which revision the failures began with, and the diff against the steady one."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest

from diagnosis.checks import NO_ROLLBACK
from diagnosis.checks.deploy import check_revisions, diff
from diagnosis.checks.evidence import LiveEvidence

PREFIX = "arn:aws:ecs:us-east-1:123456789012:task-definition/web:"


def definition(
    revision: int, image: str, env: dict[str, str], command: list[str] | None = None, **extra: Any
) -> dict[str, Any]:
    return {
        "taskDefinitionArn": f"{PREFIX}{revision}",
        "family": "web",
        "revision": revision,
        "status": extra.pop("status", "ACTIVE"),
        "cpu": "256",
        "memory": extra.pop("memory", "512"),
        "containerDefinitions": [
            {
                "name": "app",
                "image": image,
                "command": command,
                "environment": [{"name": k, "value": v} for k, v in env.items()],
                **extra,
            }
        ],
    }


def deployment(revision: int, state: str, status: str, day: int, reason: str = "") -> dict[str, Any]:
    return {
        "id": f"ecs-svc/{revision}{day}",
        "status": status,
        "taskDefinition": f"{PREFIX}{revision}",
        "rolloutState": state,
        "rolloutStateReason": reason,
        "createdAt": datetime(2026, 1, day, tzinfo=UTC),
    }


def failed(revision: int, code: str = "EssentialContainerExited") -> dict[str, Any]:
    return {"taskDefinitionArn": f"{PREFIX}{revision}", "lastStatus": "STOPPED", "stopCode": code}


def evidence(
    primary: int, steady: int, failing: list[int], definitions: list[dict[str, Any]]
) -> LiveEvidence:
    service = {
        "serviceName": "web",
        "taskDefinition": f"{PREFIX}{primary}",
        "deployments": [
            deployment(primary, "IN_PROGRESS", "PRIMARY", 2),
            deployment(steady, "COMPLETED", "ACTIVE", 1),
        ],
    }
    return LiveEvidence(
        service=service,
        tasks=[failed(r) for r in failing],
        task_definitions={d["taskDefinitionArn"]: d for d in definitions},
    )


def test_failures_began_with_the_new_revision_and_the_diff_names_what_changed() -> None:
    old = definition(42, "repo/web:v2.3.0", {"DB_PASSWORD": "hunter2", "REGION": "eu"}, ["serve"])
    new = definition(
        43, "repo/web:v2.3.1", {"REGION": "us", "FEATURE_X": "on-secret-value"}, ["serve", "--fast"]
    )
    [result] = check_revisions(evidence(43, 42, [43, 43], [old, new]), "app_error")
    assert result.outcome == "confirms"
    assert result.detail.startswith("failures began with revision web:43; revision web:42 was steady")
    assert "app image: repo/web:v2.3.0 → repo/web:v2.3.1" in result.detail
    assert "app command: serve → serve --fast" in result.detail
    assert "app environment removed: DB_PASSWORD" in result.detail
    assert "app environment added: FEATURE_X" in result.detail
    for value in ("hunter2", "on-secret-value", "eu", "us;"):
        assert value not in result.detail
    assert result.names["previous_task_def"] == "web:42"
    assert result.names["rollback_to"] == "web:42"


def test_diff_lists_memory_secrets_and_never_values() -> None:
    old = definition(1, "web:1", {"A": "1"}, secrets=[{"name": "DB", "valueFrom": "arn:db"}])
    new = definition(2, "web:1", {"A": "2"}, memory="1024", secrets=[{"name": "API", "valueFrom": "arn:api"}])
    changes = diff(old, new)
    assert "task memory 512 → 1024" in changes
    assert "app secrets removed: DB" in changes
    assert "app secrets added: API" in changes
    assert not any("arn:db" in c or "arn:api" in c or c == "A" for c in changes)
    assert all("environment" not in c for c in changes)  # a changed value is not a change of names


def test_diff_names_entrypoint_container_sizes_health_check_platform_and_ports() -> None:
    probe = {"command": ["CMD-SHELL", "curl -f localhost:8080/up"], "interval": 30, "retries": 3}
    old = definition(
        17,
        "img:1",
        {},
        entryPoint=["/bin/sh", "-c"],
        cpu=128,
        memoryReservation=256,
        healthCheck=probe,
        portMappings=[{"containerPort": 8080, "hostPort": 8080, "protocol": "tcp"}],
    )
    old["runtimePlatform"] = {"cpuArchitecture": "X86_64", "operatingSystemFamily": "LINUX"}
    new = definition(
        18,
        "img:1",
        {},
        entryPoint=["/docker-entrypoint.sh"],
        cpu=256,
        memoryReservation=384,
        healthCheck={**probe, "startPeriod": 5},
        portMappings=[{"containerPort": 9090, "hostPort": 9090, "protocol": "tcp"}],
    )
    new["runtimePlatform"] = {"cpuArchitecture": "ARM64", "operatingSystemFamily": "LINUX"}
    changes = "; ".join(diff(old, new))
    assert "app entryPoint: /bin/sh -c → /docker-entrypoint.sh" in changes
    assert "app cpu: 128 → 256" in changes
    assert "app memoryReservation: 256 → 384" in changes
    assert "app healthCheck:" in changes and "startPeriod=5" in changes
    assert "app portMappings: 8080/tcp → 9090/tcp" in changes
    assert "task runtimePlatform" in changes and "ARM64" in changes


def test_a_removed_container_is_named() -> None:
    old = definition(5, "img:1", {})
    old["containerDefinitions"].append({"name": "sidecar", "image": "envoy:1"})
    assert "container sidecar removed" in diff(old, definition(6, "img:1", {}))


def test_steady_is_the_newest_completed_other_deployment() -> None:
    service = {
        "taskDefinition": f"{PREFIX}5",
        "deployments": [
            deployment(5, "IN_PROGRESS", "PRIMARY", 5),
            deployment(3, "COMPLETED", "ACTIVE", 3),
            deployment(4, "COMPLETED", "ACTIVE", 4),
            deployment(2, "FAILED", "ACTIVE", 6),
        ],
    }
    ev = LiveEvidence(
        service=service,
        tasks=[failed(5)],
        task_definitions={f"{PREFIX}{r}": definition(r, f"i:{r}", {}) for r in (4, 5)},
    )
    [result] = check_revisions(ev, "oom")
    assert result.names["steady_task_def"] == "web:4"


def test_nothing_when_no_revision_is_seen_failing() -> None:
    defs = [definition(42, "a", {}), definition(43, "b", {})]
    assert check_revisions(evidence(43, 42, [], defs), "app_error") == []


def test_a_steady_revision_that_fails_too_is_not_the_steady_one() -> None:
    # 42's deployment completed, but its tasks fail too: the failures began with 42, not 43
    defs = [definition(r, f"i:{r}", {}) for r in (41, 42, 43)]
    [result] = check_revisions(evidence(43, 42, [42, 43], defs), "app_error")
    assert result.names["failing_task_def"] == "web:42"
    assert "web:41" in result.detail


def test_only_failed_stops_count() -> None:
    defs = [definition(42, "a", {}), definition(43, "b", {})]
    ev = evidence(43, 42, [], defs)
    ev.tasks = [failed(43, code="ServiceSchedulerInitiated")]
    assert check_revisions(ev, "app_error") == []


def test_a_stop_the_cause_explains_counts_as_failed() -> None:
    # ELB health-check failures stop tasks with ServiceSchedulerInitiated: the diagnosis says they fail
    defs = [definition(8, "a", {}), definition(9, "b", {})]
    ev = evidence(9, 8, [], defs)
    ev.tasks = [{**failed(9, code="ServiceSchedulerInitiated"), "taskArn": "arn:task/c/" + "e" * 32}]
    ev.explained = {"elb_health_check": ["e" * 32]}
    [result] = check_revisions(ev, "elb_health_check")
    assert result.names["failing_task_def"] == "web:9"


def test_revision_numbers_compare_as_numbers() -> None:
    # Revisions 98, 99 and 100 all fail after 97 was steady: the failures began with 98, never 99 (which
    # only sorts last as a string)
    defs = [definition(r, f"web:v{r}", {}) for r in (97, 98, 99, 100)]
    [result] = check_revisions(evidence(100, 97, [98, 99, 100], defs), "app_error")
    began = re.search(r"began with revision web:(\d+);", result.detail)
    assert began is not None and began.group(1) == "98"
    assert "failing revisions: web:98, web:99, web:100" in result.detail


@pytest.mark.parametrize(("bad", "good"), [(12, 11), (305, 298)])
def test_a_finished_bad_deploy_is_correlated_from_the_tasks_that_ran_before_it(bad: int, good: int) -> None:
    """No rollout in progress: the only deployment is the bad one, COMPLETED; the earlier revision's tasks
    were replaced by the deployment (ServiceSchedulerInitiated) after running fine."""
    service = {
        "taskDefinition": f"{PREFIX}{bad}",
        "deployments": [deployment(bad, "COMPLETED", "PRIMARY", 3)],
    }
    replaced = {**failed(good, "ServiceSchedulerInitiated"), "startedAt": datetime(2026, 1, 2, tzinfo=UTC)}
    old = definition(good, "repo/web:1.0", {"PORT": "1"})
    new = definition(bad, "repo/web:1.1", {"PORT": "1", "CACHE_URL": "redis://u:pw@h"})
    ev = LiveEvidence(
        service=service,
        tasks=[failed(bad), failed(bad), replaced],
        task_definitions={d["taskDefinitionArn"]: d for d in (old, new)},
    )
    [result] = check_revisions(ev, "app_error")
    assert result.outcome == "confirms"
    assert f"failures began with revision web:{bad}; revision web:{good} was steady" in result.detail
    assert "app environment added: CACHE_URL" in result.detail and "pw@h" not in result.detail
    assert result.names["rollback_to"] == f"web:{good}"


def test_a_finished_bad_deploy_without_history_compares_with_the_previous_active_revision() -> None:
    service = {"taskDefinition": f"{PREFIX}31", "deployments": [deployment(31, "COMPLETED", "PRIMARY", 3)]}
    defs = {f"{PREFIX}{r}": definition(r, f"repo/web:{r}", {}) for r in (28, 31)}
    ev = LiveEvidence(service=service, tasks=[failed(31)], task_definitions=defs)
    ev.family_revisions = [f"{PREFIX}{r}" for r in (31, 28, 27)]  # 29 and 30 were deregistered
    [result] = check_revisions(ev, "segfault")
    assert result.outcome == "inconclusive"  # not shown steady: only the family's previous active one
    assert "web:28, the family's previous active revision" in result.detail
    assert "app image: repo/web:28 → repo/web:31" in result.detail
    assert result.names["rollback_to"] == "web:28"


def test_a_circuit_breaker_rollback_names_both_revisions_and_offers_no_rollback() -> None:
    """After the breaker rolled back, the primary is the old revision again; the stopped tasks ran the new."""
    service = {
        "taskDefinition": f"{PREFIX}63",
        "deployments": [
            deployment(
                63,
                "COMPLETED",
                "PRIMARY",
                9,
                "ECS deployment circuit breaker: rolling back to deploymentId x.",
            ),
            deployment(64, "FAILED", "ACTIVE", 8, "ECS deployment circuit breaker: tasks failed to start."),
        ],
    }
    defs = {f"{PREFIX}{r}": definition(r, f"repo/web:{r}", {}) for r in (62, 63, 64)}
    ev = LiveEvidence(service=service, tasks=[failed(64, "TaskFailedToStart")] * 3, task_definitions=defs)
    [result] = check_revisions(ev, "container_start_failure")
    assert result.detail.startswith("revision web:64 failed and the circuit breaker rolled back to web:63")
    assert "app image: repo/web:63 → repo/web:64" in result.detail
    assert result.names["rollback_to"] == NO_ROLLBACK  # the service already runs web:63


def test_a_rollback_named_only_by_a_service_event() -> None:
    service = {
        "taskDefinition": f"{PREFIX}7",
        "deployments": [deployment(7, "IN_PROGRESS", "PRIMARY", 9)],
        "events": [
            {"message": "(service web) deployment ecs-svc/1 failed: tasks failed to start."},
            {"message": f"(service web) rolling back to taskDefinition {PREFIX}7."},
        ],
    }
    defs = {f"{PREFIX}{r}": definition(r, f"i:{r}", {}) for r in (6, 7, 8)}
    ev = LiveEvidence(service=service, tasks=[failed(8)], task_definitions=defs)
    [result] = check_revisions(ev, "app_error")
    assert "revision web:8 failed and the circuit breaker rolled back to web:7" in result.detail


def test_the_familys_first_revision_has_nothing_to_roll_back_to() -> None:
    service = {"taskDefinition": f"{PREFIX}1", "deployments": [deployment(1, "IN_PROGRESS", "PRIMARY", 1)]}
    ev = LiveEvidence(
        service=service, tasks=[failed(1)], task_definitions={f"{PREFIX}1": definition(1, "a", {})}
    )
    ev.family_revisions = [f"{PREFIX}1"]
    [result] = check_revisions(ev, "app_error")
    assert "the family's first" in result.detail
    assert result.names["rollback_to"] == NO_ROLLBACK


def test_a_deregistered_steady_revision_is_said_and_not_offered() -> None:
    defs = [definition(20, "a", {}, status="INACTIVE"), definition(21, "b", {})]
    [result] = check_revisions(evidence(21, 20, [21], defs), "oom")
    assert "web:20 is INACTIVE" in result.detail
    assert result.names["rollback_to"] == NO_ROLLBACK


def test_a_failing_revision_whose_deployment_completed_first_fails_after_running() -> None:
    service = {
        "taskDefinition": f"{PREFIX}77",
        "deployments": [deployment(77, "COMPLETED", "PRIMARY", 3)],
        "events": [
            {
                "message": "(service web) has reached a steady state.",
                "createdAt": datetime(2026, 1, 3, 0, 9, tzinfo=UTC),
            },
            {
                "message": "(service web) has reached a steady state.",
                "createdAt": datetime(2026, 1, 1, 7, tzinfo=UTC),
            },
        ],
    }
    defs = {f"{PREFIX}{r}": definition(r, f"i:{r}", {}) for r in (76, 77)}
    [result] = check_revisions(
        LiveEvidence(service=service, tasks=[failed(77)], task_definitions=defs), "oom"
    )
    assert "web:77's own deployment had completed (a steady state at 2026-01-03T00:09:00Z)" in result.detail
    # in a rollout still in progress the new revision never reached a steady state
    [rolling] = check_revisions(evidence(77, 76, [77], list(defs.values())), "oom")
    assert "own deployment had completed" not in rolling.detail
