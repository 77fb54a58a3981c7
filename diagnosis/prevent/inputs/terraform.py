"""`terraform show -json` output (a plan, or the state): each aws_ecs_task_definition with the service that
runs it, the service's target groups, the log groups and the roles the configuration declares.

Planned values hold what is known before apply; references between resources are read from the
configuration's expressions (a service's `task_definition = aws_ecs_task_definition.app.arn`).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import Any

from diagnosis.prevent.inputs.locate import line_of
from diagnosis.prevent.inputs.roles import allowed_actions, managed_actions
from diagnosis.prevent.inputs.shapes import camel_from_snake
from diagnosis.prevent.model import Subject

TARGET_GROUPS = ("aws_lb_target_group", "aws_alb_target_group")


def is_terraform(document: dict[str, Any]) -> bool:
    return "format_version" in document and ("planned_values" in document or "values" in document)


def subjects(document: dict[str, Any], file: str, lines: Sequence[str]) -> list[Subject]:
    module = (document.get("planned_values") or document.get("values") or {}).get("root_module") or {}
    resources = {r["address"]: r for r in _resources(module) if isinstance(r.get("address"), str)}
    refs = _references((document.get("configuration") or {}).get("root_module") or {}, "")
    region = _region(document)
    log_groups = frozenset(
        str(r["values"]["name"])
        for r in resources.values()
        if r.get("type") == "aws_cloudwatch_log_group"
        and isinstance((r.get("values") or {}).get("name"), str)
    )
    found = []
    for address, resource in resources.items():
        if resource.get("type") != "aws_ecs_task_definition":
            continue
        values = resource.get("values") or {}
        known = {k: v for k, v in values.items() if k != "container_definitions"}
        for attribute, targets in refs.get(address, {}).items():
            if attribute.isidentifier() and values.get(attribute) is None and targets:
                known[attribute] = {"Ref": targets[0]}  # set at apply time: present, value unknown
        definition = camel_from_snake(known)
        containers = values.get("container_definitions")
        if isinstance(containers, str):
            try:
                definition["containerDefinitions"] = json.loads(containers)
            except ValueError:
                definition["containerDefinitions"] = []
        service_address, service = _service(resources, refs, address)
        groups = tuple(
            _target_group(resources, refs, service_address, index)
            for index, _lb in enumerate((service or {}).get("loadBalancers", []))
        )
        found.append(
            Subject(
                name=address,
                task_definition=definition,
                file=file,
                line=line_of(lines, address),
                kind="Terraform",
                service=service,
                target_groups=tuple(g for g in groups if g),
                declared_log_groups=log_groups,
                role_actions=_role_actions(resources, refs, address),
                region=region,
                tf_address=address,
                service_resource=service_address,
                lines=tuple(lines),
            )
        )
    return found


def _resources(module: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield from (r for r in module.get("resources") or [] if isinstance(r, dict))
    for child in module.get("child_modules") or []:
        yield from _resources(child)


def _references(module: dict[str, Any], prefix: str) -> dict[str, dict[str, list[str]]]:
    """address -> attribute -> the addresses its expression refers to (module-qualified)."""
    found: dict[str, dict[str, list[str]]] = {}
    for resource in module.get("resources") or []:
        address = prefix + str(resource.get("address", ""))
        attributes: dict[str, list[str]] = {}
        _collect(resource.get("expressions") or {}, "", attributes, prefix)
        found[address] = attributes
    for name, call in (module.get("module_calls") or {}).items():
        found.update(_references((call or {}).get("module") or {}, f"{prefix}module.{name}."))
    return found


def _collect(expressions: Any, path: str, into: dict[str, list[str]], prefix: str) -> None:
    if isinstance(expressions, list):
        for index, item in enumerate(expressions):
            _collect(item, f"{path}[{index}]", into, prefix)
    elif isinstance(expressions, dict):
        if isinstance(expressions.get("references"), list):
            into[path] = [prefix + r for r in expressions["references"] if isinstance(r, str)]
        for key, child in expressions.items():
            if key not in ("references", "constant_value"):
                _collect(child, f"{path}.{key}" if path else key, into, prefix)


def _points_to(refs: dict[str, dict[str, list[str]]], address: str, attribute: str, target: str) -> bool:
    return any(r == target or r.startswith(target + ".") for r in refs.get(address, {}).get(attribute, []))


def _service(
    resources: dict[str, Any], refs: dict[str, dict[str, list[str]]], task_definition: str
) -> tuple[str, dict[str, Any] | None]:
    arn = (resources[task_definition].get("values") or {}).get("arn")
    for address, resource in resources.items():
        if resource.get("type") != "aws_ecs_service":
            continue
        values = resource.get("values") or {}
        if _points_to(refs, address, "task_definition", task_definition) or (
            arn and values.get("task_definition") == arn
        ):
            return address, _service_shape(values, address)
    return "", None


def _service_shape(values: dict[str, Any], address: str) -> dict[str, Any]:
    """An aws_ecs_service as describe-services returns it."""
    breaker = (values.get("deployment_circuit_breaker") or [{}])[0] or {}
    network = (values.get("network_configuration") or [{}])[0] or {}
    service: dict[str, Any] = {
        "serviceName": values.get("name") or address,
        "desiredCount": values.get("desired_count"),
        "deploymentConfiguration": {
            "deploymentCircuitBreaker": {
                "enable": bool(breaker.get("enable")),
                "rollback": bool(breaker.get("rollback")),
            }
        },
        "loadBalancers": [
            {
                "targetGroupArn": lb.get("target_group_arn"),
                "containerName": lb.get("container_name"),
                "containerPort": lb.get("container_port"),
            }
            for lb in values.get("load_balancer") or []
        ],
        "capacityProviderStrategy": [
            {
                "capacityProvider": s.get("capacity_provider"),
                "base": s.get("base") or 0,
                "weight": s.get("weight") or 0,
            }
            for s in values.get("capacity_provider_strategy") or []
        ],
        "enableExecuteCommand": bool(values.get("enable_execute_command")),
    }
    if values.get("launch_type"):
        service["launchType"] = values["launch_type"]
    if values.get("health_check_grace_period_seconds") is not None:
        service["healthCheckGracePeriodSeconds"] = values["health_check_grace_period_seconds"]
    if network:
        service["networkConfiguration"] = {
            "awsvpcConfiguration": {
                "subnets": list(network.get("subnets") or []),
                "securityGroups": list(network.get("security_groups") or []),
                "assignPublicIp": "ENABLED" if network.get("assign_public_ip") else "DISABLED",
            }
        }
    return service


def _target_group(
    resources: dict[str, Any], refs: dict[str, dict[str, list[str]]], service: str, index: int
) -> dict[str, Any] | None:
    for address, resource in resources.items():
        if resource.get("type") in TARGET_GROUPS and _points_to(
            refs, service, f"load_balancer[{index}].target_group_arn", address
        ):
            values = resource.get("values") or {}
            check = (values.get("health_check") or [{}])[0] or {}
            group = {
                "TargetGroupArn": address,
                "Port": values.get("port"),
                "Protocol": values.get("protocol"),
                "TargetType": values.get("target_type") or "instance",
                "HealthCheckPath": check.get("path"),
                "HealthCheckPort": check.get("port") or "traffic-port",
                "HealthCheckIntervalSeconds": check.get("interval"),
                "HealthCheckTimeoutSeconds": check.get("timeout"),
                "UnhealthyThresholdCount": check.get("unhealthy_threshold"),
                "HealthyThresholdCount": check.get("healthy_threshold"),
            }
            return {k: v for k, v in group.items() if v is not None}
    return None


def _role_actions(
    resources: dict[str, Any], refs: dict[str, dict[str, list[str]]], task_definition: str
) -> dict[str, frozenset[str]] | None:
    found: dict[str, frozenset[str]] = {}
    for key, attribute in (("task", "task_role_arn"), ("execution", "execution_role_arn")):
        roles = [
            r
            for r in refs.get(task_definition, {}).get(attribute, [])
            if r.startswith(("aws_iam_role.", "module.")) and r.count(".") >= 1 and r in resources
        ]
        if roles:
            actions = _actions_of(resources, refs, roles[0])
            if actions is not None:
                found[key] = actions
    return found or None


def _actions_of(
    resources: dict[str, Any], refs: dict[str, dict[str, list[str]]], role: str
) -> frozenset[str] | None:
    values = resources[role].get("values") or {}
    actions = set(managed_actions(values.get("managed_policy_arns") or []) or ())
    if managed_actions(values.get("managed_policy_arns") or []) is None:
        return None
    for inline in values.get("inline_policy") or []:
        actions |= allowed_actions((inline or {}).get("policy"))
    for address, resource in resources.items():
        if not _points_to(refs, address, "role", role):
            continue
        if resource.get("type") == "aws_iam_role_policy":
            actions |= allowed_actions((resource.get("values") or {}).get("policy"))
        elif resource.get("type") == "aws_iam_role_policy_attachment":
            attached = managed_actions([(resource.get("values") or {}).get("policy_arn")])
            if attached is None:
                return None
            actions |= attached
    return frozenset(actions)


def _region(document: dict[str, Any]) -> str:
    providers = (document.get("configuration") or {}).get("provider_config") or {}
    region = (((providers.get("aws") or {}).get("expressions") or {}).get("region") or {}).get(
        "constant_value"
    )
    return region if isinstance(region, str) else ""
