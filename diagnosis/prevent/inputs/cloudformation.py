"""CloudFormation templates (JSON or YAML): each AWS::ECS::TaskDefinition with the service that runs it,
the service's target groups, the log groups and the roles the template declares."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from diagnosis.prevent.inputs.locate import line_of
from diagnosis.prevent.inputs.roles import allowed_actions, managed_actions
from diagnosis.prevent.inputs.shapes import camel_from_pascal
from diagnosis.prevent.model import Subject


def subjects(template: dict[str, Any], file: str, lines: Sequence[str]) -> list[Subject]:
    resources = {k: v for k, v in (template.get("Resources") or {}).items() if isinstance(v, dict)}
    defaults = {
        name: spec.get("Default")
        for name, spec in (template.get("Parameters") or {}).items()
        if isinstance(spec, dict) and "Default" in spec
    }
    log_groups = _log_groups(resources)
    context = _Context(resources, defaults, log_groups)
    found = []
    for logical, resource in resources.items():
        if resource.get("Type") != "AWS::ECS::TaskDefinition":
            continue
        definition = camel_from_pascal(context.resolve(resource.get("Properties") or {}))
        service_id, service = _service(resources, logical, context)
        groups = tuple(
            _target_group(resources, lb.get("targetGroupArn"), context)
            for lb in (service or {}).get("loadBalancers", [])
            if isinstance(lb, dict)
        )
        found.append(
            Subject(
                name=logical,
                task_definition=definition,
                file=file,
                line=line_of(lines, logical),
                kind="CloudFormation",
                service=service,
                target_groups=tuple(g for g in groups if g),
                declared_log_groups=frozenset(log_groups.values()),
                role_actions=_role_actions(resources, resource.get("Properties") or {}),
                cfn_resource=logical,
                service_resource=service_id,
                lines=tuple(lines),
            )
        )
    return found


class _Context:
    def __init__(
        self, resources: dict[str, Any], defaults: dict[str, Any], log_groups: dict[str, str]
    ) -> None:
        self.resources, self.defaults, self.log_groups = resources, defaults, log_groups

    def resolve(self, value: Any) -> Any:
        """Parameters with a default become that default; a Ref to a declared log group becomes its name."""
        if isinstance(value, list):
            return [self.resolve(v) for v in value]
        if not isinstance(value, dict):
            return value
        if set(value) == {"Ref"} and isinstance(value["Ref"], str):
            ref = value["Ref"]
            if ref in self.defaults:
                return self.defaults[ref]
            if ref in self.log_groups:
                return self.log_groups[ref]
            return value
        return {k: self.resolve(v) for k, v in value.items()}


def _log_groups(resources: dict[str, Any]) -> dict[str, str]:
    """Logical ID -> the group's name (its own name when the template lets CloudFormation name it)."""
    found = {}
    for logical, resource in resources.items():
        if resource.get("Type") == "AWS::Logs::LogGroup":
            name = (resource.get("Properties") or {}).get("LogGroupName")
            found[logical] = name if isinstance(name, str) else f"!Ref {logical}"
    return found


def _service(
    resources: dict[str, Any], task_definition: str, context: _Context
) -> tuple[str, dict[str, Any] | None]:
    for logical, resource in resources.items():
        if resource.get("Type") != "AWS::ECS::Service":
            continue
        properties = resource.get("Properties") or {}
        if _refers(properties.get("TaskDefinition"), task_definition):
            service = camel_from_pascal(context.resolve(properties))
            service.setdefault("serviceName", logical)
            return logical, service
    return "", None


def _refers(value: Any, logical: str) -> bool:
    if isinstance(value, dict):
        ref = value.get("Ref") or (value.get("Fn::GetAtt") or [None])[0]
        return bool(ref == logical)
    return False


def _target_group(resources: dict[str, Any], arn: Any, context: _Context) -> dict[str, Any] | None:
    """The target group as describe-target-groups shows it (its CloudFormation names are the same)."""
    logical = arn.get("Ref") if isinstance(arn, dict) else None
    resource = resources.get(logical) if isinstance(logical, str) else None
    if not resource or resource.get("Type") != "AWS::ElasticLoadBalancingV2::TargetGroup":
        return None
    return {"TargetGroupArn": logical, **context.resolve(resource.get("Properties") or {})}


def _role_actions(resources: dict[str, Any], properties: dict[str, Any]) -> dict[str, frozenset[str]] | None:
    found: dict[str, frozenset[str]] = {}
    for key, role in (("task", "TaskRoleArn"), ("execution", "ExecutionRoleArn")):
        logical = _role_id(properties.get(role))
        if logical is None:
            continue
        actions = _actions_of(resources, logical)
        if actions is not None:
            found[key] = actions
    return found or None


def _role_id(value: Any) -> str | None:
    if isinstance(value, dict):
        ref = value.get("Ref") or (value.get("Fn::GetAtt") or [None])[0]
        return ref if isinstance(ref, str) else None
    return None


def _actions_of(resources: dict[str, Any], logical: str) -> frozenset[str] | None:
    role = resources.get(logical) or {}
    if role.get("Type") != "AWS::IAM::Role":
        return None
    properties = role.get("Properties") or {}
    managed = managed_actions(properties.get("ManagedPolicyArns") or [])
    if managed is None:
        return None
    actions = set(managed)
    for policy in properties.get("Policies") or []:
        if isinstance(policy, dict):
            actions |= allowed_actions(policy.get("PolicyDocument"))
    for resource in resources.values():
        if resource.get("Type") in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
            attached = (resource.get("Properties") or {}).get("Roles") or []
            if any(_role_id(r) == logical for r in attached):
                actions |= allowed_actions((resource.get("Properties") or {}).get("PolicyDocument"))
    return frozenset(actions)
