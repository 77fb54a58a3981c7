"""The rule registry: every rule, in the order they are asked. The first message rule that matches wins,
so the specific readings (disk full, wrong platform, rate limit) come before the broad ones."""

from __future__ import annotations

from functools import lru_cache

from diagnosis.rules import exit, health, lifecycle, placement, platform, pull, start
from diagnosis.rules.base import Match, MessageRule, TaskRule
from diagnosis.signals import Message

MESSAGE_RULES: tuple[MessageRule, ...] = (
    platform.storage,
    pull.platform_mismatch,
    pull.rate_limit,
    exit.runtime_heap,
    exit.oom,
    health.container_health,
    health.load_balancer_health,
    lifecycle.spot,
    lifecycle.maintenance,
    start.volume,
    start.resource_initialization,
    start.network_interface,
    start.container_start,
    pull.image_pull,
    exit.exec_failure,
    start.invalid_definition,
    placement.fargate_capacity,
    placement.placement,
    lifecycle.deployment_trouble,
    lifecycle.scaling_or_deployment,
    lifecycle.user,
    lifecycle.instance,
    platform.runtime,
    lifecycle.unexplained_failure,
)

TASK_RULES: tuple[TaskRule, ...] = (exit.from_exit_code,)


@lru_cache(maxsize=4096)
def read_message(text: str) -> Match | None:
    """The first rule's reading of one message, or None when no rule knows it (or it is informational).

    Cached: a batch of stopped tasks, and a stream of events, repeat the same few reasons."""
    msg = Message(text)
    if not msg.lower.strip() or lifecycle.is_informational(msg):
        return None
    for rule in MESSAGE_RULES:
        match = rule(msg)
        if match is not None:
            return match
    return None


__all__ = ["MESSAGE_RULES", "TASK_RULES", "Match", "read_message"]
