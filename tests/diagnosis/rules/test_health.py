"""Health rules: ECS replaced a task because the load balancer or the container's own check said unhealthy."""

from __future__ import annotations

import pytest

from diagnosis.rules import health, read_message
from diagnosis.signals import Message

TG = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web-api-tg/0a1b2c3d4e5f6789"


@pytest.mark.parametrize(
    "text",
    [
        "Task failed container health checks",
        "task failed container health checks.",
        "(service web-api) (task 0a1b2c3d4e5f60718293a4b5c6d7e8f9) failed container health checks.",
    ],
)
def test_container_health_check(text: str) -> None:
    match = read_message(text)
    assert match is not None
    assert match.category == "container_health_check"


def test_elb_stop_reason_names_target_group() -> None:
    match = read_message(f"Task failed ELB health checks in (target-group {TG})")
    assert match is not None
    assert match.category == "elb_health_check"
    assert match.names["target_group"] == TG


def test_elb_lower_case_stop_reason() -> None:
    tg = "arn:aws:elasticloadbalancing:ap-southeast-2:123456789012:targetgroup/ecs-web/73e2d6bc24d8a067"
    match = read_message(f"task failed elb health checks in (target-group {tg})")
    assert match is not None
    assert match.category == "elb_health_check"
    assert match.names["target_group"] == tg


def test_elb_console_truncated_arn_still_elb() -> None:
    match = read_message(
        "Task failed ELB health checks in (target-group arn:aws:elasticloadbalancing:us-east-1:123456789012:"
        "targetgroup/my-very-long-target-group-n"
    )
    assert match is not None
    assert match.category == "elb_health_check"


def test_unhealthy_event_with_codes_names_port_and_codes() -> None:
    match = read_message(
        f"(service web-api) (port 8080) is unhealthy in (target-group {TG}) due to (reason Health checks "
        "failed with these codes: [502])."
    )
    assert match is not None
    assert match.category == "elb_health_check"
    assert match.names["port"] == "8080"
    assert match.names["http_codes"] == "502"
    assert match.names["target_group"] == TG
    assert "HTTP 502" in match.clue


def test_unhealthy_event_timeout_on_ec2_names_instance() -> None:
    match = read_message(
        f"(service web-api) (instance i-0abc123def4567890) (port 32768) is unhealthy in (target-group {TG}) "
        "due to (reason Request timed out)."
    )
    assert match is not None
    assert match.category == "elb_health_check"
    assert match.names["port"] == "32768"
    assert match.names["instance"] == "i-0abc123def4567890"
    assert "timed out" in match.clue


def test_unhealthy_event_fargate_task() -> None:
    match = read_message(
        "(service web-api) (task 0a1b2c3d4e5f60718293a4b5c6d7e8f9) (port 3000) is unhealthy in "
        "(target-group "
        f"{TG}) due to (reason Health checks failed)."
    )
    assert match is not None
    assert match.category == "elb_health_check"
    assert match.names["port"] == "3000"


def test_registered_targets_is_not_a_health_failure() -> None:
    assert read_message(f"(service web-api) registered 1 targets in (target-group {TG})") is None
    assert health.load_balancer_health(Message(f"(service web-api) registered 1 targets in ({TG})")) is None


def test_container_rule_does_not_read_elb_messages() -> None:
    assert health.container_health(Message(f"Task failed ELB health checks in (target-group {TG})")) is None


def test_wrong_target_type_event() -> None:
    match = read_message(
        f"(service web-api) failed to register targets in (target-group {TG}) with (error The provided "
        "target "
        f"group {TG} has target type instance, which is incompatible with the awsvpc network mode specified "
        "in the task definition.)"
    )
    assert match is not None
    assert match.category in ("elb_health_check", "invalid_task_definition_or_parameter")
