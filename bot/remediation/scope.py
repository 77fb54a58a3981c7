"""The inline session policies of a change: the credentials of a confirmed click may make that one change
to that one service, and read what planning and following it needs, whatever the role itself allows.

AWS intersects a session policy with the role's own policies, so these can only narrow the role
(deploy/iam/remediation-policy.json). Tested by evaluating them: tests/bot/remediation/test_scope.py.
"""

from __future__ import annotations

from typing import Any

from bot.remediation.kinds import READS, Plan, PlanError
from bot.remediation.why_not import NoServiceNamed, PlanUnscoped
from bot.store.records import FixTarget
from diagnosis.actions import ServiceParams

TASKS_SERVICE = "ecs-tasks.amazonaws.com"
# The task definition calls take no resource-level permission: AWS requires "*" for them.
WITHOUT_RESOURCES = {"ecs:DescribeTaskDefinition", "ecs:RegisterTaskDefinition", "cloudtrail:LookupEvents"}


def change_policy(plan: Plan) -> dict[str, Any]:
    """The plan's one write call on its one service; for a new revision, registering it and passing the
    roles it keeps, to ECS tasks only."""
    if not plan.resource:
        raise PlanError(PlanUnscoped(kind=plan.kind))
    statements: list[dict[str, Any]] = [
        _allow("TheChange", [iam_action("ecs", plan.operation)], plan.resource)
    ]
    if plan.registers:
        statements.append(_allow("TheNewRevision", ["ecs:RegisterTaskDefinition"], "*"))
    if plan.passes:
        statements.append(
            _allow("TheRolesItKeeps", ["iam:PassRole"], list(plan.passes))
            | {"Condition": {"StringEquals": {"iam:PassedToService": TASKS_SERVICE}}}
        )
    return _policy(statements)


def read_policy(kind: str, where: ServiceParams, target: FixTarget) -> dict[str, Any]:
    """What planning the change (at click and confirm) and following its deployment read: the service, the
    reads the kind declares (kinds.READS), and who manages the service (its CloudFormation stack, in its
    account and region; CloudTrail, which has no resource-level permission)."""
    cluster = where.cluster.rsplit("/", 1)[-1]
    service = where.service.rsplit("/", 1)[-1]
    if not cluster or not service:
        raise PlanError(NoServiceNamed(kind=kind))
    region = target.region or "*"
    account = target.account or "*"
    statements = [
        _allow(
            "TheService",
            ["ecs:DescribeServices"],
            f"arn:aws:ecs:{region}:{account}:service/{cluster}/{service}",
        )
    ]
    extra = sorted(READS.get(kind, ()))  # all of WITHOUT_RESOURCES (a test keeps it so)
    if extra:
        statements.append(_allow("WhatThePlanReads", extra, "*"))
    statements += [  # who manages the service (bot.remediation.iac): its stack, its CloudTrail events
        _allow(
            "ItsStack",
            ["cloudformation:DescribeStackResources"],
            f"arn:aws:cloudformation:{region}:{account}:stack/*/*",
        ),
        _allow("WhoChangedIt", ["cloudtrail:LookupEvents"], "*"),
    ]
    return _policy(statements)


def iam_action(service: str, operation: str) -> str:
    """boto3's method name (update_service) as its IAM action (ecs:UpdateService)."""
    return f"{service}:{''.join(part.title() for part in operation.split('_'))}"


def _allow(sid: str, actions: list[str], resource: str | list[str]) -> dict[str, Any]:
    return {"Sid": sid, "Effect": "Allow", "Action": actions, "Resource": resource}


def _policy(statements: list[dict[str, Any]]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": statements}
