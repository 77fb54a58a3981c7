"""artifacts: ECR tags, secrets, the log group, CloudTrail StopTask (the execution role: test_role.py)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from diagnosis.checks.artifacts import check_images, check_log_group, check_secrets, check_trail
from diagnosis.checks.evidence import LiveEvidence

SECRET = "arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db-AbCdEf"
PARAM = "arn:aws:ssm:us-east-1:123456789012:parameter/prod/api-key"
TASK_ID = "0123456789abcdef0123456789abcdef"


def images(existing: list[str] | str | None, asked: list[str] | None = None) -> LiveEvidence:
    return LiveEvidence(region="us-east-1", images={"web": asked or ["v2.3.1"]}, ecr={"web": existing})


def test_missing_tag_lists_existing_tags_and_recategorizes_pull_auth() -> None:
    [result] = check_images(images(["v2.2.0", "v2.3.0"]), "image_pull_auth")
    assert result.outcome == "inconclusive"
    assert result.recategorize == "image_not_found"
    assert "has no tag v2.3.1" in result.detail
    assert "v2.2.0" in result.detail and "v2.3.0" in result.detail
    assert result.names == {"repository": "web", "tag": "v2.3.1"}


def test_missing_tag_confirms_image_not_found() -> None:
    [result] = check_images(images(["v2.3.0"]), "image_not_found")
    assert result.outcome == "confirms"
    assert result.recategorize is None


def test_empty_repository_says_none() -> None:
    [result] = check_images(images([]), "image_not_found")
    assert "tags that exist: none" in result.detail


def test_existing_tag_refutes_image_not_found() -> None:
    [result] = check_images(images(["v2.3.1", "latest"]), "image_not_found")
    assert result.outcome == "refutes"
    [other] = check_images(images(["v2.3.1"]), "image_pull_auth")
    assert other.outcome == "inconclusive"
    assert other.recategorize is None


def test_missing_repository_confirms_and_recategorizes() -> None:
    [result] = check_images(images("RepositoryNotFoundException"), "image_pull_auth")
    assert result.outcome == "confirms"
    assert result.recategorize == "image_not_found"
    assert "repository web does not exist in us-east-1" in result.detail


def test_unread_repository_says_nothing() -> None:
    assert check_images(images(None), "image_not_found") == []
    assert check_images(images("AccessDeniedException"), "image_not_found") == []


def test_missing_secret_is_named() -> None:
    ev = LiveEvidence(secrets={SECRET: "ResourceNotFoundException", PARAM: "exists"})
    [result] = check_secrets(ev, "secrets_retrieval")
    assert result.outcome == "confirms"
    assert SECRET in result.detail
    assert PARAM not in result.detail
    assert result.names == {"secret": SECRET, "secrets": SECRET}


def test_missing_parameter_is_named() -> None:
    [result] = check_secrets(LiveEvidence(secrets={PARAM: "ParameterNotFound"}), "secrets_retrieval")
    assert result.outcome == "confirms"
    assert PARAM in result.detail


def test_existing_secrets_are_inconclusive() -> None:
    [result] = check_secrets(LiveEvidence(secrets={SECRET: "exists"}), "secrets_retrieval")
    assert result.outcome == "inconclusive"
    assert check_secrets(LiveEvidence(secrets={SECRET: "AccessDeniedException"}), "secrets_retrieval") == []


def test_log_group_missing_confirms() -> None:
    ev = LiveEvidence(log_stream=("/ecs/web", "ecs/app/" + TASK_ID), log_groups=["/ecs/web-old"])
    [result] = check_log_group(ev, "log_driver_init")
    assert result.outcome == "confirms"
    assert "/ecs/web does not exist" in result.detail
    assert result.names == {"log_group": "/ecs/web"}


def test_log_group_present_refutes() -> None:
    ev = LiveEvidence(log_stream=("/ecs/web", "s"), log_groups=["/ecs/web", "/ecs/web-old"])
    [result] = check_log_group(ev, "log_driver_init")
    assert result.outcome == "refutes"
    assert check_log_group(LiveEvidence(log_stream=("/ecs/web", "s")), "log_driver_init") == []


def trail_event(task_id: str, username: str | None = None) -> dict[str, object]:
    raw = {
        "eventName": "StopTask",
        "userIdentity": {"type": "AssumedRole", "arn": "arn:aws:sts::123456789012:assumed-role/ops/alice"},
        "requestParameters": {"cluster": "prod", "task": task_id},
    }
    event: dict[str, object] = {
        "EventName": "StopTask",
        "EventTime": datetime(2026, 1, 1, 12, 0, tzinfo=UTC),
        "CloudTrailEvent": json.dumps(raw),
    }
    if username:
        event["Username"] = username
    return event


def stopped_task() -> LiveEvidence:
    task = {"taskArn": f"arn:aws:ecs:us-east-1:123456789012:task/prod/{TASK_ID}", "lastStatus": "STOPPED"}
    return LiveEvidence(tasks=[task])


def test_cloudtrail_event_names_the_caller() -> None:
    ev = stopped_task()
    ev.trail = [trail_event("ffffffffffffffffffffffffffffffff", "bob"), trail_event(TASK_ID, "alice")]
    [result] = check_trail(ev, "user_stopped")
    assert result.outcome == "confirms"
    assert "StopTask was called by alice" in result.detail
    assert "2026-01-01" in result.detail


def test_cloudtrail_caller_from_the_event_identity() -> None:
    ev = stopped_task()
    ev.trail = [trail_event(TASK_ID)]
    [result] = check_trail(ev, "user_stopped")
    assert "arn:aws:sts::123456789012:assumed-role/ops/alice" in result.detail


def test_cloudtrail_without_this_task_is_inconclusive() -> None:
    ev = stopped_task()
    ev.trail = [trail_event("ffffffffffffffffffffffffffffffff", "bob")]
    [result] = check_trail(ev, "user_stopped")
    assert result.outcome == "inconclusive"
    assert check_trail(stopped_task(), "user_stopped") == []
