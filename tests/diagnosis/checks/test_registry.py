"""The check registry and how the engine uses CheckResults (confidence, outcomes, recategorization)."""

from __future__ import annotations

from typing import Any

from diagnosis.actions import GraceParams
from diagnosis.checks import CHECKS, run_checks
from diagnosis.checks.evidence import CheckResult, LiveEvidence, failed_task, log_stream, secret_refs
from diagnosis.engine import diagnose
from diagnosis.parse import parse_document

TD = "arn:aws:ecs:us-east-1:123456789012:task-definition/web:2"
TASK_ID = "0123456789abcdef0123456789abcdef"


def task(code: str, reason: str, container_reason: str | None = None, exit_code: int | None = None) -> dict:
    return {
        "taskArn": f"arn:aws:ecs:us-east-1:123456789012:task/prod/{TASK_ID}",
        "clusterArn": "arn:aws:ecs:us-east-1:123456789012:cluster/prod",
        "group": "service:web",
        "lastStatus": "STOPPED",
        "desiredStatus": "STOPPED",
        "stopCode": code,
        "stoppedReason": reason,
        "taskDefinitionArn": TD,
        "containers": [
            {"name": "app", "exitCode": exit_code, "reason": container_reason, "lastStatus": "STOPPED"}
        ],
    }


OOM = task(
    "EssentialContainerExited",
    "Essential container in task exited",
    "OutOfMemoryError: Container killed due to memory usage",
    137,
)
PULL_AUTH = task(
    "TaskFailedToStart",
    "CannotPullContainerError: pull access denied for 123456789012.dkr.ecr.us-east-1.amazonaws.com/web, "
    "repository does not exist or may require docker login",
)


def test_every_category_has_checks_that_run_on_empty_evidence() -> None:
    for category in CHECKS:
        assert run_checks(LiveEvidence(), [category]) == [], category


def test_run_checks_runs_each_category_once_and_ignores_unknown_ones() -> None:
    ev = LiveEvidence(log_stream=("/ecs/web", "s"), log_events=[{"message": "ERROR boom"}])
    results = run_checks(ev, ["app_error", "app_error", "no_such_category"])
    assert [(r.category, r.name, r.outcome) for r in results] == [("app_error", "log_tail", "confirms")]


def confidence(doc: dict[str, Any], *checks: CheckResult) -> tuple[str, float, list[Any]]:
    d = diagnose(parse_document({"tasks": [doc]}), checks=checks)
    top = d.findings[0]
    return top.category, top.confidence, top.checks


def test_a_confirmation_raises_confidence_and_shows_the_outcome() -> None:
    _, base, _ = confidence(OOM)
    result = CheckResult("oom", "memory_utilization", "confirms", "memory peaked at 510 MiB of 512 MiB")
    category, conf, checks = confidence(OOM, result)
    assert category == "oom"
    assert conf >= max(base, 0.95)
    [check] = [c for c in checks if c.name == "memory_utilization"]
    assert check.outcome == "confirms"
    assert "510 MiB" in (check.detail or "")


def test_a_refutation_halves_confidence() -> None:
    _, base, _ = confidence(PULL_AUTH)
    _, conf, _ = confidence(PULL_AUTH, CheckResult("image_pull_auth", "execution_role", "refutes", "allowed"))
    assert conf == round(base * 0.5, 2)


def test_a_check_for_another_category_does_not_move_this_one() -> None:
    _, base, _ = confidence(OOM)
    _, conf, _ = confidence(OOM, CheckResult("app_error", "log_tail", "confirms", "ERROR"))
    assert conf == base


def test_recategorization_moves_pull_auth_to_image_not_found_with_the_tags() -> None:
    detail = "ECR repository web has no tag v9; tags that exist: v1, v2"
    result = CheckResult(
        "image_pull_auth", "ecr_image", "inconclusive", detail, recategorize="image_not_found"
    )
    d = diagnose(parse_document({"tasks": [PULL_AUTH]}), checks=[result])
    assert d.findings[0].category == "image_not_found"
    assert "image_pull_auth" in d.findings[0].alternatives
    assert "tags that exist: v1, v2" in d.findings[0].summary
    assert d.findings[0].confidence >= 0.85
    [decided] = [c for c in d.findings[0].checks if c.name == "ecr_image"]  # the finding keeps its proof
    assert decided.outcome == "confirms"
    assert decided.detail == detail


def test_check_names_fill_the_remediation_actions() -> None:
    doc = task(
        "ServiceSchedulerInitiated",
        "Task failed ELB health checks in (target-group arn:aws:elasticloadbalancing:us-east-1:"
        "123456789012:targetgroup/web/abc)",
    )
    result = CheckResult(
        "elb_health_check", "target_group", "confirms", "grace too short", names={"grace_period": "190"}
    )
    d = diagnose(parse_document({"tasks": [doc]}), checks=[result])
    actions = [r.action for r in d.findings[0].remediations if r.action is not None]
    [grace] = [a for a in actions if a.kind == "raise_grace_period"]
    assert isinstance(grace.params, GraceParams) and grace.params.seconds == 190


def definition(**container: Any) -> dict[str, dict[str, Any]]:
    return {
        TD: {
            "taskDefinitionArn": TD,
            "containerDefinitions": [{"name": "app", "essential": True, **container}],
        }
    }


def test_log_stream_from_awslogs_options() -> None:
    defs = definition(
        logConfiguration={
            "logDriver": "awslogs",
            "options": {
                "awslogs-group": "/ecs/web",
                "awslogs-stream-prefix": "ecs",
                "awslogs-region": "us-east-1",
            },
        }
    )
    assert log_stream(OOM, defs) == ("/ecs/web", f"ecs/app/{TASK_ID}", "us-east-1")
    no_prefix = definition(
        logConfiguration={"logDriver": "awslogs", "options": {"awslogs-group": "/ecs/web"}}
    )
    assert log_stream(OOM, no_prefix) == ("/ecs/web", TASK_ID, "")
    assert log_stream(OOM, definition(logConfiguration={"logDriver": "json-file"})) is None


def test_secret_refs_drop_json_keys_and_dedupe() -> None:
    arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db-AbCdEf"
    defs = definition(
        secrets=[
            {"name": "USER", "valueFrom": f"{arn}:username::"},
            {"name": "PASS", "valueFrom": f"{arn}:password::"},
            {"name": "KEY", "valueFrom": "arn:aws:ssm:us-east-1:123456789012:parameter/prod/key"},
        ]
    )
    assert secret_refs(defs) == [arn, "arn:aws:ssm:us-east-1:123456789012:parameter/prod/key"]


def test_failed_task_is_the_most_recent_stopped_one() -> None:
    old = {"taskArn": "old", "lastStatus": "STOPPED", "stoppedAt": "2026-01-01T10:00:00Z"}
    new = {"taskArn": "new", "lastStatus": "STOPPED", "stoppedAt": "2026-01-01T11:00:00Z"}
    running = {"taskArn": "run", "lastStatus": "RUNNING"}
    assert failed_task([old, new, running])["taskArn"] == "new"  # type: ignore[index]
    assert failed_task([running]) is None
