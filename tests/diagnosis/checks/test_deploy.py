"""deploy: which revision the failures began with, and the diff against the steady one."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from diagnosis.checks.deploy import check_revisions, diff, steady_revision
from diagnosis.checks.evidence import LiveEvidence

PREFIX = "arn:aws:ecs:us-east-1:123456789012:task-definition/web:"


def definition(
    revision: int, image: str, env: dict[str, str], command: list[str] | None = None, **extra: Any
) -> dict:
    return {
        "taskDefinitionArn": f"{PREFIX}{revision}",
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


def deployment(revision: int, state: str, status: str, day: int) -> dict[str, Any]:
    return {
        "id": f"ecs-svc/{revision}",
        "status": status,
        "taskDefinition": f"{PREFIX}{revision}",
        "rolloutState": state,
        "createdAt": datetime(2026, 1, day, tzinfo=UTC),
    }


def failed(revision: int, code: str = "EssentialContainerExited") -> dict[str, Any]:
    return {"taskDefinitionArn": f"{PREFIX}{revision}", "lastStatus": "STOPPED", "stopCode": code}


def evidence(primary: int, steady: int, failing: list[int], definitions: list[dict]) -> LiveEvidence:
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


def test_diff_lists_memory_secrets_and_never_values() -> None:
    old = definition(1, "web:1", {"A": "1"}, secrets=[{"name": "DB", "valueFrom": "arn:db"}])
    new = definition(2, "web:1", {"A": "2"}, memory="1024", secrets=[{"name": "API", "valueFrom": "arn:api"}])
    changes = diff(old, new)
    assert "task memory 512 → 1024" in changes
    assert "app secrets removed: DB" in changes
    assert "app secrets added: API" in changes
    assert not any("arn:db" in c or "arn:api" in c or c == "A" for c in changes)
    assert all("environment" not in c for c in changes)  # a changed value is not a change of names


def test_steady_revision_is_the_newest_completed_other_deployment() -> None:
    service = {
        "taskDefinition": f"{PREFIX}5",
        "deployments": [
            deployment(5, "IN_PROGRESS", "PRIMARY", 5),
            deployment(3, "COMPLETED", "ACTIVE", 3),
            deployment(4, "COMPLETED", "ACTIVE", 4),
            deployment(2, "FAILED", "ACTIVE", 6),
        ],
    }
    assert steady_revision(service) == f"{PREFIX}4"
    assert (
        steady_revision(
            {"taskDefinition": f"{PREFIX}5", "deployments": [deployment(5, "COMPLETED", "PRIMARY", 1)]}
        )
        == ""
    )


def test_nothing_when_the_steady_revision_also_fails_or_is_unknown() -> None:
    defs = [definition(42, "a", {}), definition(43, "b", {})]
    assert check_revisions(evidence(43, 42, [42, 43], defs), "app_error") == []
    assert check_revisions(evidence(43, 42, [43], defs[1:]), "app_error") == []
    assert check_revisions(evidence(43, 42, [], defs), "app_error") == []


def test_only_failed_stops_count() -> None:
    defs = [definition(42, "a", {}), definition(43, "b", {})]
    ev = evidence(43, 42, [], defs)
    ev.tasks = [failed(43, code="ServiceSchedulerInitiated")]
    assert check_revisions(ev, "app_error") == []


def test_revision_numbers_compare_as_numbers() -> None:
    # Revisions 98, 99 and 100 all fail after 97 was steady: the diff is against 98 (where the failures
    # began) or 100 (the newest), never 99, which only sorts last as a string.
    defs = [definition(r, f"web:v{r}", {}) for r in (97, 98, 99, 100)]
    [result] = check_revisions(evidence(100, 97, [98, 99, 100], defs), "app_error")
    began = re.search(r"began with revision web:(\d+);", result.detail)
    assert began is not None
    assert began.group(1) in ("98", "100")
