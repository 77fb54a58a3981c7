"""A fix as the code the team must commit: the CloudFormation property, the Terraform attribute of
`aws_ecs_service` / `aws_ecs_task_definition`, the CDK property; shown next to the API change when code
manages the service, so the next deploy keeps the fix instead of undoing it."""

from __future__ import annotations

import re

from bot.remediation.iac import Owner
from bot.remediation.kinds import PLANNERS, CodeProp, Plan

RESOURCE = {
    "service": ("AWS::ECS::Service", "aws_ecs_service", "the FargateService / Ec2Service"),
    "task": ("AWS::ECS::TaskDefinition", "aws_ecs_task_definition", "the TaskDefinition"),
}


def props(plan: Plan) -> list[CodeProp]:
    """What the fix sets, as its kind's planner says (bot/remediation/kinds/); [] when it sets nothing the
    code holds (a new deployment)."""
    planner = PLANNERS.get(plan.kind)
    return planner.code(plan) if planner else []


def code_change(plan: Plan, owner: Owner, service: str) -> str:
    """The snippet to commit in the owner's language; "" when the fix changes nothing the code holds."""
    found = props(plan)
    if not found:
        return ""
    resource = found[0].resource
    cfn_type, tf_type, cdk_construct = RESOURCE[resource]
    if owner.tool == "cloudformation":
        logical = (
            owner.task_logical_id if resource == "task" else owner.logical_id
        ) or f"Your{resource.title()}"
        body = "\n".join(_indent(p.cloudformation, 6) for p in found)
        return f"Resources:\n  {logical}:  # {cfn_type}\n    Properties:\n{body}"
    if owner.tool == "terraform":
        body = "\n".join(_indent(p.terraform, 2) for p in found)
        return f'resource "{tf_type}" "{_tf_name(service)}" {{\n{body}\n}}'
    body = "\n".join(_indent(p.cdk, 2) for p in found)
    return f"// in the props of {cdk_construct} of {service}\n{{\n{body}\n}}"


def _indent(text: str, spaces: int) -> str:
    return "\n".join(" " * spaces + line for line in text.splitlines())


def _tf_name(service: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", service) or "this"
