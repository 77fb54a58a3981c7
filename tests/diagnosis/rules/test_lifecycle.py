"""Lifecycle rules: deployments, scaling, Spot, maintenance, people and instances stopped the task."""

from __future__ import annotations

import pytest

from diagnosis.rules import lifecycle, read_message
from diagnosis.signals import Message


def category(text: str) -> str | None:
    match = read_message(text)
    return match.category if match else None


@pytest.mark.parametrize(
    "text", ["Your Spot Task was interrupted.", "Your Spot Task was interrupted", "SpotInterruption"]
)
def test_spot(text: str) -> None:
    assert category(text) == "spot_interruption"


@pytest.mark.parametrize(
    "text",
    [
        "ECS is performing maintenance on the underlying infrastructure hosting the task.",
        "ECS is performing maintenance on the underlying infrastructure hosting the task",
        "Task is being retired due to underlying infrastructure maintenance",
    ],
)
def test_infra_maintenance(text: str) -> None:
    assert category(text) == "infra_maintenance"


@pytest.mark.parametrize(
    "text",
    [
        "Scaling activity initiated by (deployment ecs-svc/5174393434283347516)",
        "scaling activity initiated by (deployment ecs-svc/1234).",
        "Service scheduler initiated scale in",
    ],
)
def test_scaling_or_deployment(text: str) -> None:
    match = read_message(text)
    assert match is not None
    assert match.category == "scaling_or_deployment"
    assert not match.secondary


@pytest.mark.parametrize(
    "text",
    [
        "Task stopped by user",
        "Stopped by user",
        "Task stopped by user.",
        "The task was stopped by user arn:aws:sts::123456789012:assumed-role/deploy-bot/ci.",
    ],
)
def test_user_stopped(text: str) -> None:
    assert category(text) == "user_stopped"


@pytest.mark.parametrize(
    ("text", "instance"),
    [
        ("Host EC2 (instance i-0abc123def4567890) stopped/terminated.", "i-0abc123def4567890"),
        ("Instance i-0abc123def4567890 was terminated by Auto Scaling", "i-0abc123def4567890"),
        ("Container instance deregistration forced by user", ""),
        ("Service web-api: ECS is stopping the task because the EC2 instance is draining", ""),
    ],
)
def test_instance_terminated_or_drained(text: str, instance: str) -> None:
    match = read_message(text)
    assert match is not None
    assert match.category == "instance_terminated_or_drained"
    assert match.names.get("instance", "") == instance


@pytest.mark.parametrize(
    "text",
    [
        "(service web-api) has reached a steady state.",
        "(service web-api) has started 2 tasks: (task 0a1b2c3d4e5f60718293a4b5c6d7e8f9) "
        "(task 1a1b2c3d4e5f60718293a4b5c6d7e8f9).",
        "(service web-api) has stopped 2 running tasks: (task 0a1b2c3d4e5f60718293a4b5c6d7e8f9).",
        "(service web-api) deregistered 1 targets in (target-group arn:aws:elasticloadbalancing:us-east-1:"
        "123456789012:targetgroup/web-tg/0123456789abcdef)",
        "(service web-api) registered 1 targets in (target-group arn:aws:elasticloadbalancing:us-east-1:"
        "123456789012:targetgroup/web-tg/0123456789abcdef)",
        "(service web-api) has begun draining connections on 1 tasks.",
        "Essential container in task exited",
        "Essential container in task exited.",
        "Task failed to start",
        "",
        "   ",
    ],
)
def test_informational_or_generic_messages_name_no_cause(text: str) -> None:
    assert read_message(text) is None


# The console's older wording, without parentheses round the service (a public deployment guide's list of
# routine events, stored index file 20534574142): the same routine events, naming no cause either.
@pytest.mark.parametrize(
    "text",
    [
        "service service-name has reached a steady state.",
        "service service-name has stopped 1 running tasks: task ",
        "service service-name has begun draining connections on 1 tasks.",
        "service service-name deregistered 1 targets in target-group service-name-alb",
        "service service-name registered 1 targets in target-group service-name-alb ",
        "service service-name has started 1 tasks: task [task uuid].",
    ],
)
def test_routine_events_in_the_older_wording_name_no_cause(text: str) -> None:
    assert read_message(text) is None


def test_unhealthy_event_is_never_informational() -> None:
    msg = Message("(service web-api) has stopped 1 running tasks: (task abc) which are unhealthy")
    assert not lifecycle.is_informational(msg)


@pytest.mark.parametrize(
    "text",
    [
        "(service web-api) is unable to consistently start tasks successfully. For more information, see the "
        "Troubleshooting section of the Amazon ECS Developer Guide.",
        "(service web-api) (deployment ecs-svc/1234567890123456789) deployment failed: tasks failed to "
        "start.",
        "(service web-api) rolling back to deployment ecs-svc/9876543210987654321.",
        "ECS deployment circuit breaker: tasks failed to start.",
    ],
)
def test_deployment_trouble_is_context_not_a_cause(text: str) -> None:
    match = read_message(text)
    assert match is not None
    assert match.category == "other"
    assert match.secondary


def test_unknown_failure_is_quoted_as_other() -> None:
    match = read_message("Something went wrong: the widget failed")
    assert match is not None
    assert match.category == "other"
    assert not match.secondary
    assert match.confidence <= 0.4


def test_unknown_non_failure_is_nothing() -> None:
    assert read_message("Task is running happily") is None
