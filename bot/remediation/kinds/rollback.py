"""Roll back to the revision that last ran cleanly, as the revision correlation names it."""

from __future__ import annotations

from typing import Any

from bot.remediation.kinds.base import (
    Client,
    CodeProp,
    Plan,
    PlanError,
    Planner,
    describe_service,
    service_arn,
)
from bot.remediation.why_not import (
    AlreadyRunsTarget,
    NoSteadyRevision,
    OtherFamily,
    TargetGone,
    TargetNotActive,
)
from diagnosis.actions import RollbackParams
from diagnosis.checks.revisions import correlate, same, short


def plan_rollback(ecs: Client, p: RollbackParams) -> Plan:
    """Back to the revision the diagnosis's correlation named, still ACTIVE and of the service's family; a
    button offered without one asks the same correlation (diagnosis/checks/revisions.py) now."""
    service = describe_service(ecs, p)
    current = str(service.get("taskDefinition", ""))
    target = p.to_task_definition or _correlated_target(ecs, service, p.from_task_definition)
    if target and same(target, current):
        raise PlanError(AlreadyRunsTarget(service=p.service, current=short(current)))
    if not target:
        raise PlanError(NoSteadyRevision(service=p.service))
    definition = _definition(ecs, target)
    if not definition:
        raise PlanError(TargetGone(target=short(target)))
    if definition.get("status") != "ACTIVE":
        raise PlanError(TargetNotActive(target=short(target), status=str(definition.get("status"))))
    family = current.rsplit("/", 1)[-1].rpartition(":")[0]
    if definition.get("family") != family:
        raise PlanError(OtherFamily(service=p.service, target=short(target), family=family))
    target = str(definition.get("taskDefinitionArn") or target)
    short_now, short_target = short(current), short(target)
    return Plan(
        "rollback",
        f"Roll {p.service} back to {short_target}",
        [("taskDefinition", short_now, short_target)],
        f"aws ecs update-service --cluster {p.cluster} --service {p.service} --task-definition {short_target}",
        "update_service",
        {"cluster": p.cluster, "service": p.service, "taskDefinition": target},
        resource=service_arn(service, p),
    )


def _correlated_target(ecs: Client, service: dict[str, Any], failing: str) -> str:
    """The correlation's rollback target from what the remediation role may read: the service's deployments
    and events, and the revision before the failing one (ecs:DescribeTaskDefinition)."""
    current = str(service.get("taskDefinition", ""))
    failing = failing or current
    definitions: dict[str, dict[str, Any]] = {}
    before = _previous_revision(failing if "/" in failing else f"{current.rpartition('/')[0]}/{failing}")
    if before:
        found = _definition(ecs, before)
        if found:
            definitions[str(found.get("taskDefinitionArn") or before)] = found
    correlation = correlate(service, [], definitions, failing=[failing])
    return correlation.rollback_to if correlation else ""


def _definition(ecs: Client, name: str) -> dict[str, Any]:
    try:
        return dict(ecs.describe_task_definition(taskDefinition=name)["taskDefinition"])
    except ecs.exceptions.ClientException:
        return {}


def _previous_revision(arn: str) -> str:
    family, _, revision = arn.rpartition(":")
    if revision.isascii() and revision.isdigit() and int(revision) > 1:
        return f"{family}:{int(revision) - 1}"
    return ""


def rollback_as_code(plan: Plan) -> list[CodeProp]:
    params = plan.params
    target = str(params["taskDefinition"])
    name = target.rsplit("/", 1)[-1]
    return [
        CodeProp(
            "service",
            f"TaskDefinition: {target}",
            f'task_definition = "{name}"',
            f"// revert the change that replaced {name}: CDK registers the task definition from code",
        )
    ]


# the target is ACTIVE and of the service's family
PLANNER = Planner(plan_rollback, ("ecs:DescribeTaskDefinition",), rollback_as_code)
