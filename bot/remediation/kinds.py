"""The planner of each fix button: what it will change (before → after, the AWS call) before it changes anything.
Each takes its kind's typed parameters, the model the diagnosis offered the button with (diagnosis/actions.py).

`plan` reads the current state (read-only calls); `apply` makes the one write call the plan names.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from bot.remediation.iac import Ownership
from diagnosis.actions import GraceParams, MemoryParams, RollbackParams, ServiceParams
from diagnosis.checks.resources import next_memory
from diagnosis.checks.revisions import correlate, same, short

Client = Any  # a boto3 ECS client
P = TypeVar("P", bound=ServiceParams)


@dataclass(frozen=True)
class Plan:
    """What one confirmed click will do, shown in the modal and recorded in the audit log."""

    kind: str
    title: str
    changes: list[tuple[str, str, str]]  # (what, before, after)
    cli: str  # the equivalent AWS CLI command
    operation: str  # boto3 ECS method
    params: dict[str, Any] = field(default_factory=dict)
    prepare: Callable[[Client], dict[str, Any]] | None = None  # e.g. register a task definition first
    resource: str = ""  # the ARN of the service changed: the one resource its credentials may write
    registers: bool = False  # prepare registers a task definition revision
    passes: tuple[str, ...] = ()  # the roles that revision keeps (iam:PassRole to ECS tasks)
    ownership: Ownership = field(
        default_factory=Ownership
    )  # the infrastructure code that manages the service, if any


class PlanError(Exception):
    """The change cannot be planned (the service is gone, nothing to roll back to, …)."""


def describe_service(ecs: Client, p: ServiceParams) -> dict[str, Any]:
    services = ecs.describe_services(cluster=p.cluster, services=[p.service]).get("services", [])
    if not services or services[0].get("status") == "INACTIVE":
        raise PlanError(f"service {p.cluster}/{p.service} no longer exists")
    return dict(services[0])


def service_arn(service: dict[str, Any]) -> str:
    arn = str(service.get("serviceArn") or "")
    if not arn.startswith("arn:"):
        raise PlanError("ECS did not name the service's ARN, so its change cannot be scoped to it")
    return arn


def plan_raise_grace_period(ecs: Client, p: GraceParams) -> Plan:
    service = describe_service(ecs, p)
    before = service.get("healthCheckGracePeriodSeconds", 0) or 0
    if before >= p.seconds:
        raise PlanError(f"the grace period is already {before} s (asked for {p.seconds} s)")
    return Plan(
        "raise_grace_period",
        f"Raise the health check grace period of {p.service}",
        [("healthCheckGracePeriodSeconds", f"{before} s", f"{p.seconds} s")],
        f"aws ecs update-service --cluster {p.cluster} --service {p.service} "
        f"--health-check-grace-period-seconds {p.seconds}",
        "update_service",
        {"cluster": p.cluster, "service": p.service, "healthCheckGracePeriodSeconds": p.seconds},
        resource=service_arn(service),
    )


def plan_force_new_deployment(ecs: Client, p: ServiceParams) -> Plan:
    service = describe_service(ecs, p)
    revision = str(service.get("taskDefinition", "")).rsplit("/", 1)[-1]
    return Plan(
        "force_new_deployment",
        f"Start a new deployment of {p.service}",
        [("deployment", f"current tasks of {revision}", f"new tasks of {revision}")],
        f"aws ecs update-service --cluster {p.cluster} --service {p.service} --force-new-deployment",
        "update_service",
        {"cluster": p.cluster, "service": p.service, "forceNewDeployment": True},
        resource=service_arn(service),
    )


def plan_rollback(ecs: Client, p: RollbackParams) -> Plan:
    """Back to the revision the diagnosis's correlation named, still ACTIVE and of the service's family; a
    button offered without one asks the same correlation (diagnosis/checks/revisions.py) now."""
    service = describe_service(ecs, p)
    current = str(service.get("taskDefinition", ""))
    target = p.to_task_definition or _correlated_target(ecs, service, p.from_task_definition)
    if target and same(target, current):
        raise PlanError(f"{p.service} already runs {short(current)}: there is nothing to roll back")
    if not target:
        raise PlanError("no earlier revision that was steady to roll back to")
    definition = _definition(ecs, target)
    if definition.get("status") != "ACTIVE":
        raise PlanError(
            f"{short(target)} is {definition.get('status') or 'gone'}: register it again to roll back"
        )
    family = current.rsplit("/", 1)[-1].rpartition(":")[0]
    if definition.get("family") != family:
        raise PlanError(f"{short(target)} is not a revision of {family}, the family {p.service} runs")
    target = str(definition.get("taskDefinitionArn") or target)
    short_now, short_target = short(current), short(target)
    return Plan(
        "rollback",
        f"Roll {p.service} back to {short_target}",
        [("taskDefinition", short_now, short_target)],
        f"aws ecs update-service --cluster {p.cluster} --service {p.service} --task-definition {short_target}",
        "update_service",
        {"cluster": p.cluster, "service": p.service, "taskDefinition": target},
        resource=service_arn(service),
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


def plan_enable_circuit_breaker(ecs: Client, p: ServiceParams) -> Plan:
    service = describe_service(ecs, p)
    config = dict(service.get("deploymentConfiguration") or {})
    breaker = config.get("deploymentCircuitBreaker") or {}
    if breaker.get("enable") and breaker.get("rollback"):
        raise PlanError("the deployment circuit breaker is already on, with rollback")
    config["deploymentCircuitBreaker"] = {"enable": True, "rollback": True}
    before = f"enable={bool(breaker.get('enable'))}, rollback={bool(breaker.get('rollback'))}"
    return Plan(
        "enable_circuit_breaker",
        f"Turn on the deployment circuit breaker of {p.service}",
        [("deploymentCircuitBreaker", before, "enable=true, rollback=true")],
        f"aws ecs update-service --cluster {p.cluster} --service {p.service} --deployment-configuration "
        "'deploymentCircuitBreaker={enable=true,rollback=true}'",
        "update_service",
        {"cluster": p.cluster, "service": p.service, "deploymentConfiguration": config},
        resource=service_arn(service),
    )


def plan_enable_execute_command(ecs: Client, p: ServiceParams) -> Plan:
    """ECS Exec on, and a new deployment: a task takes enableExecuteCommand when it starts."""
    service = describe_service(ecs, p)
    if service.get("enableExecuteCommand") is True:
        raise PlanError(f"ECS Exec is already on for {p.service}; a new deployment gives it to older tasks")
    revision = str(service.get("taskDefinition", "")).rsplit("/", 1)[-1]
    running = service.get("runningCount", 0)
    return Plan(
        "enable_execute_command",
        f"Enable ECS Exec on {p.service}",
        [
            ("enableExecuteCommand", "false", "true"),
            (
                "deployment",
                f"{running} running tasks of {revision} without ECS Exec",
                f"new tasks of {revision}",
            ),
        ],
        f"aws ecs update-service --cluster {p.cluster} --service {p.service} --enable-execute-command "
        "--force-new-deployment",
        "update_service",
        {
            "cluster": p.cluster,
            "service": p.service,
            "enableExecuteCommand": True,
            "forceNewDeployment": True,
        },
        resource=service_arn(service),
    )


def plan_increase_memory(ecs: Client, p: MemoryParams) -> Plan:
    service = describe_service(ecs, p)
    definition = ecs.describe_task_definition(taskDefinition=p.task_definition)["taskDefinition"]
    fargate = "FARGATE" in (definition.get("requiresCompatibilities") or [])
    size = next_memory(definition, fargate)
    if size is None:
        raise PlanError("the task definition sets no task memory to raise; set container memory by hand")
    cpu, memory = size
    before_memory, before_cpu = str(definition.get("memory")), str(definition.get("cpu"))
    changes = [("task memory", f"{before_memory} MiB", f"{memory} MiB")]
    if fargate and str(cpu) != before_cpu:
        changes.append(("task cpu", before_cpu, str(cpu)))
    family = definition["family"]

    def register(client: Client) -> dict[str, Any]:
        new = register_with_memory(client, definition, cpu if fargate else None, memory)
        return {"taskDefinition": new}

    return Plan(
        "increase_memory",
        f"Give {p.service} more memory ({before_memory} → {memory} MiB)",
        changes,
        f"aws ecs register-task-definition --family {family} … --memory {memory}"
        + (f" --cpu {cpu}" if fargate else "")
        + f" && aws ecs update-service --cluster {p.cluster} --service {p.service} --task-definition {family}",
        "update_service",
        {"cluster": p.cluster, "service": p.service},
        prepare=register,
        resource=service_arn(service),
        registers=True,
        passes=tuple(dict.fromkeys(r for r in (definition.get(k) for k in ROLE_FIELDS) if r)),
    )


ROLE_FIELDS = ("taskRoleArn", "executionRoleArn")
REGISTER_FIELDS = (
    "family",
    "taskRoleArn",
    "executionRoleArn",
    "networkMode",
    "containerDefinitions",
    "volumes",
    "placementConstraints",
    "requiresCompatibilities",
    "cpu",
    "memory",
    "pidMode",
    "ipcMode",
    "proxyConfiguration",
    "inferenceAccelerators",
    "ephemeralStorage",
    "runtimePlatform",
)


def register_with_memory(ecs: Client, definition: dict[str, Any], cpu: int | None, memory: int) -> str:
    """Register the same task definition with more task memory; container hard limits grow with it."""
    spec = {k: definition[k] for k in REGISTER_FIELDS if definition.get(k) not in (None, [], {})}
    old = int(str(definition.get("memory") or 0) or 0)
    spec["memory"] = str(memory)
    if cpu is not None:
        spec["cpu"] = str(cpu)
    containers = []
    for container in definition.get("containerDefinitions", []):
        container = dict(container)
        if container.get("memory") and old:
            container["memory"] = int(container["memory"] * memory / old)
        containers.append(container)
    spec["containerDefinitions"] = containers
    return str(ecs.register_task_definition(**spec)["taskDefinition"]["taskDefinitionArn"])


def _previous_revision(arn: str) -> str:
    family, _, revision = arn.rpartition(":")
    if revision.isascii() and revision.isdigit() and int(revision) > 1:
        return f"{family}:{int(revision) - 1}"
    return ""


@dataclass(frozen=True)
class Planner(Generic[P]):
    """A kind's planner: `plan` takes the kind's own params model (diagnosis/actions.py); `reads` is what it
    reads besides ecs:DescribeServices of its service (the scope of its read session, bot/remediation/scope.py)."""

    plan: Callable[[Client, P], Plan]
    reads: tuple[str, ...] = ()


# Each kind of diagnosis.actions.KINDS, in its order (tests/bot/remediation/test_kinds.py).
PLANNERS: dict[str, Planner[Any]] = {
    "raise_grace_period": Planner(plan_raise_grace_period),
    "force_new_deployment": Planner(plan_force_new_deployment),
    "increase_memory": Planner(plan_increase_memory, ("ecs:DescribeTaskDefinition",)),
    # the target is ACTIVE and of the service's family
    "rollback": Planner(plan_rollback, ("ecs:DescribeTaskDefinition",)),
    "enable_circuit_breaker": Planner(plan_enable_circuit_breaker),
    "enable_execute_command": Planner(plan_enable_execute_command),
}
READS: dict[str, tuple[str, ...]] = {
    kind: planner.reads for kind, planner in PLANNERS.items() if planner.reads
}
