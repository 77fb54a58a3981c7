"""Placement failures: the scheduler found nowhere to run the task (service events, run-task failures)."""

from __future__ import annotations

import re

from diagnosis.rules.base import Match, found
from diagnosis.signals import Message

QUOTA_WORDS = (
    "limit on the number of",
    "reached the limit",
    "you've reached",
    "you have reached",
    "service quota",
    "quota",
    "limitexceeded",
    "vcpu limit",
    "capacity is unavailable",
    "capacity unavailable",
    "insufficient capacity",
    "resource:fargate",
    "fargate capacity",
    "no spot capacity",
    "above your limit",
    "exceeds your limit",
    "configuration is above",
    "spot capacity",
)


def fargate_capacity(msg: Message) -> Match | None:
    if msg.has(*QUOTA_WORDS) and not msg.has("pull rate limit", "toomanyrequests"):
        quota = msg.has("limit", "quota")
        clue = (
            "the account reached a quota on concurrent tasks or vCPUs"
            if quota
            else "AWS had no Fargate capacity for the task in that Availability Zone"
        )
        return found("fargate_capacity_or_quota", 0.88, clue, msg)
    return None


def placement(msg: Message) -> Match | None:
    unplaced = msg.has(
        "unable to place",
        "no container instance met",
        "was unable to place",
        "run task failed",
        "resource:cpu",
        "resource:memory",
        "resource:ports",
        "resource:gpu",
        "closest matching container instance",
        "closest matching container-instance",
        # RunTask's own error when the cluster has no instance (InvalidParameterException, failures[].reason)
        "no container instances were found",
        "already using a port",
        '"attribute"',
    ) or msg.word("placement")  # a whole word: a "replacement task" is no placement failure
    if not unplaced:
        return None
    if msg.has("internal error"):
        return found(
            "other",
            0.4,
            "ECS reported an internal error placing the task (a subnet in an "
            "Availability Zone the launch type does not support is a known cause)",
            msg,
            ("placement_constraint_or_no_instances",),
        )
    if msg.has(
        "no container instances were found",
        "no container instances",
        "no active container instance",
        "no instances",
        "zero container instances",
    ):
        return found(
            "placement_constraint_or_no_instances",
            0.9,
            "the cluster has no registered container instance to run the task on",
            msg,
        )
    if msg.has(
        "insufficient",
        "not enough",
        "doesn't have enough",
        "does not have enough",
        "already using a port",
        "resource:cpu",
        "resource:memory",
        "resource:ports",
        "resource:gpu",
        "cpu units",
        "memory available",
    ):
        what = _resource(msg)
        return found(
            "placement_insufficient_resources",
            0.9,
            f"no container instance has enough free {what} for the task",
            msg,
            names={"resource": what},
        )
    if msg.has("constraint", "attribute", "memberof", "distinctinstance", "agent", "disconnected"):
        return found(
            "placement_constraint_or_no_instances",
            0.75,
            "no container instance meets the task's placement constraints or required attributes",
            msg,
        )
    return found(
        "placement_insufficient_resources",
        0.5,
        "the scheduler could not place the task",
        msg,
        ("placement_constraint_or_no_instances",),
    )


_RESOURCE = re.compile(
    r"insufficient (cpu|memory|gpu)\b|resource:(cpu|memory|gpu|ports)\b|using a (port)\b"
    r"|enough (cpu|memory|gpu|ports)\b"
)


def _resource(msg: Message) -> str:
    """The resource the message names; words that merely contain one (a service called `reports`, `cpu` in
    an ARN) do not count."""
    found = _RESOURCE.search(msg.lower)
    word = next((g for g in found.groups() if g), "") if found else ""
    if word.startswith("port"):
        return "ports (another task already uses the host port)"
    return {"cpu": "CPU units", "memory": "memory", "gpu": "GPUs"}.get(word, "CPU, memory or ports")
