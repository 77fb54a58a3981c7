"""Health failures: the task ran, but ECS replaced it because a health check said it was unhealthy."""

from __future__ import annotations

from diagnosis.rules.base import Match, found
from diagnosis.signals import Message


def container_health(msg: Message) -> Match | None:
    if msg.has(
        "container health check",
        "failed container health",
        "container is unhealthy",
        "unhealthy container",
        "healthcheck failed",
        "health check command",
    ):
        return found(
            "container_health_check",
            0.92,
            "the container's own healthCheck command kept failing, so ECS stopped the task",
            msg,
        )
    return None


def load_balancer_health(msg: Message) -> Match | None:
    elb = msg.has("load balancer", "target-group", "target group", "targetgroup") or msg.word(
        "elb", "alb", "nlb"
    )
    unhealthy = msg.has("unhealthy", "health check", "health checks")
    if elb and msg.has("target type", "failed to register targets"):
        return found(
            "elb_health_check",
            0.75,
            "the load balancer cannot register the task as a target (the "
            "target group's type or port does not fit the task)",
            msg,
            ("invalid_task_definition_or_parameter",),
        )
    if elb and unhealthy:
        clue = "the load balancer's health checks failed for the task's target"
        if msg.http_codes:
            clue += f" (it answered HTTP {msg.http_codes})"
        elif msg.has("request timed out", "timed out", "timeout"):
            clue += " (requests timed out)"
        return found("elb_health_check", 0.9, clue, msg)
    return None
