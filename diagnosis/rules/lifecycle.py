"""Lifecycle stops: normal operations (deployments, scaling, Spot, maintenance, people) stopped the task."""

from __future__ import annotations

import re

from diagnosis.rules.base import DEPLOYMENT_TROUBLE, Match, found
from diagnosis.signals import Message


def spot(msg: Message) -> Match | None:
    if msg.has(
        "spot task was interrupted",
        "spot interruption",
        "spotinterruption",
        "spot instance interruption",
        "terminationnotice",
        "spot task",
    ):
        return found("spot_interruption", 0.95, "AWS reclaimed the Spot capacity the task ran on", msg)
    return None


def maintenance(msg: Message) -> Match | None:
    if msg.has(
        "performing maintenance",
        "maintenance on the underlying",
        "task retirement",
        "scheduled for retirement",
        "retirement",
        "infrastructure maintenance",
        "patching",
    ):
        return found(
            "infra_maintenance", 0.95, "AWS retired the task to maintain the infrastructure under it", msg
        )
    return None


def scaling_or_deployment(msg: Message) -> Match | None:
    if (
        msg.has(
            "scaling activity initiated",
            "initiated by (deployment",
            "deployment ecs-svc",
            "replaced by",
            "desired count",
            "service scheduler",
            "taskset",
            "task set",
            "rolling back",
            "rollback",
        )
        or _SCALED_IN.search(msg.lower)
        or (msg.has("deployment") and msg.has("in progress", "completed"))
    ):
        return found(
            "scaling_or_deployment",
            0.9,
            "the service scheduler stopped the task (deployment or scale-in)",
            msg,
        )
    return None


# "stopped by X": a person or a tool called StopTask, unless X is ECS itself (its agent, the scheduler, a
# deployment, auto scaling), which stops tasks for reasons other rules read.
_STOPPED_BY = re.compile(
    r"stopped by (?!(?:the )?(?:amazon )?(?:ecs|agent|service|scheduler|deployment|auto ?scaling|"
    r"application auto|spot|aws\b))"
)
_SCALED_IN = re.compile(r"\bscal(?:e|ed|es|ing)[ -]in\b")


def user(msg: Message) -> Match | None:
    if msg.has("stopped by user", "user initiated", "stoptask", "stop-task", "stopped by the user") or (
        "stopped by" in msg.lower and _STOPPED_BY.search(msg.lower)
    ):
        return found("user_stopped", 0.92, "someone (a person, a pipeline or a tool) called StopTask", msg)
    return None


def instance(msg: Message) -> Match | None:
    if msg.has(
        "host ec2",
        "instance terminated",
        "instance was terminated",
        "instance has been terminated",
        "container instance",
        "draining",
        "drained",
        "deregister",
        "instance stopped",
        "was terminated",
        "terminated by",
        "instance i-",
        "(instance i-",
    ):
        return found(
            "instance_terminated_or_drained",
            0.85,
            "the EC2 container instance under the task was terminated, stopped or drained",
            msg,
        )
    return None


INFORMATIONAL = (
    "has reached a steady state",
    "has started",
    "has stopped",
    "registered 1 target",
    "registered targets",
    "deregistered",
    "has begun draining",
    "deployment completed",
    "updated computeddesiredcount",
    "desired count updated",
    "essential container in task exited",
    "task failed to start",
)


# A service event starts with its service: "(service web) …", or in the console's older wording "service web …".
SERVICE_EVENT_STARTS = ("(service", "service ")


def is_informational(msg: Message) -> bool:
    """Routine service events and generic stop reasons that name no cause by themselves."""
    lower = msg.lower.strip().rstrip(".")
    return lower in ("essential container in task exited", "task failed to start", "stopped") or (
        lower.startswith(SERVICE_EVENT_STARTS)
        and msg.has(*INFORMATIONAL[:-2])
        and not msg.has("unhealthy", "fail", "unable")
    )


# A deployment's own failure, in ECS's words and in those of the tools that deploy (CloudFormation, CDK,
# Copilot: "ECS Deployment Circuit Breaker was triggered"): about the service, never one task's stop.
DEPLOYMENT_FAILURE_WORDS = (
    "deployment failed",
    "circuit breaker",
    "unable to consistently start tasks",
    "service_task_start_impaired",
    "rolling back",
    "rolled back",
    "did not stabilize",
    "did not stabilise",
    "waiting for ecs service",
    "waiting for the ecs service",
)


def deployment_trouble(msg: Message) -> Match | None:
    """A deployment failed or a service cannot keep tasks running: context, the tasks say why."""
    if msg.has(*DEPLOYMENT_FAILURE_WORDS, "failed to start"):
        match = found(
            "other",
            0.3,
            "the deployment failed or the service cannot keep tasks running; "
            "the stopped tasks' reasons name the cause",
            msg,
            names={"reading": DEPLOYMENT_TROUBLE},
        )
        return Match(
            match.category, match.confidence, match.clue, match.alternatives, match.names, secondary=True
        )
    return None


def unexplained_failure(msg: Message) -> Match | None:
    """A message that says something failed, in words no rule knows: quoted as `other`, never dropped."""
    if msg.has(
        "fail",
        "unable",
        "error",
        "throttl",
        "cannot",
        "denied",
        "exception",
        "unhealthy",
        "impaired",
        "violated",
    ):
        return found("other", 0.3, "ECS reported a failure that ecs-why does not recognise", msg)
    return None
