"""What a role may do, read from the policies a template or plan declares (inline and attached), so a rule
can tell the task role from the execution role. Unknown when a policy cannot be read (a customer managed
policy outside the input): a rule then says nothing rather than guess."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

# AWS managed policies whose actions matter to a task's start or to ECS Exec.
MANAGED = {
    "AmazonECSTaskExecutionRolePolicy": frozenset(
        {
            "ecr:GetAuthorizationToken",
            "ecr:BatchCheckLayerAvailability",
            "ecr:GetDownloadUrlForLayer",
            "ecr:BatchGetImage",
            "logs:CreateLogStream",
            "logs:PutLogEvents",
        }
    ),
    "AmazonSSMManagedInstanceCore": frozenset({"ssm:*", "ssmmessages:*", "ec2messages:*"}),
    "CloudWatchAgentServerPolicy": frozenset({"logs:*", "cloudwatch:PutMetricData"}),
}


def allowed_actions(document: Any) -> frozenset[str]:
    """The actions a policy document allows (a dict, or a JSON string as Terraform holds it)."""
    if isinstance(document, str):
        try:
            document = json.loads(document)
        except ValueError:
            return frozenset()
    if not isinstance(document, dict):
        return frozenset()
    statements = document.get("Statement") or []
    if isinstance(statements, dict):
        statements = [statements]
    found: set[str] = set()
    for statement in statements:
        if not isinstance(statement, dict) or statement.get("Effect") != "Allow":
            continue
        actions = statement.get("Action") or []
        found.update(a for a in ([actions] if isinstance(actions, str) else actions) if isinstance(a, str))
    return frozenset(found)


def managed_actions(arns: Iterable[Any]) -> frozenset[str] | None:
    """The actions of attached managed policies; None when one of them is not known here."""
    found: set[str] = set()
    for arn in arns:
        name = arn.rsplit("/", 1)[-1] if isinstance(arn, str) else ""
        if name not in MANAGED:
            return None
        found |= MANAGED[name]
    return frozenset(found)


def grants(actions: frozenset[str], action: str) -> bool:
    """Whether the actions include `action`, with IAM's wildcards (`ssmmessages:*`, `*`)."""
    service = action.split(":", 1)[0]
    return action in actions or "*" in actions or f"{service}:*" in actions
