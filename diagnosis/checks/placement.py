"""EC2 placement: the cluster's container instances (how many, agent connected, registered and remaining cpu,
memory and ports) against what the task asks for. "No container instance in the cluster" is a finding."""

from __future__ import annotations

from typing import Any

from diagnosis.checks.capacity import group_facts
from diagnosis.checks.evidence import CheckResult, LiveEvidence, Outcome
from diagnosis.checks.taskdef import as_int, definition_of
from diagnosis.models import EvidenceItem

SOURCE = "ecs:DescribeContainerInstances"
NO_INSTANCES = "placement_constraint_or_no_instances"
PROVIDER_SOURCE = "ecs:DescribeCapacityProviders, autoscaling:DescribeAutoScalingGroups"


def task_asks(definition: dict[str, Any]) -> dict[str, int]:
    """CPU units, memory MiB and static host ports the task reserves on an instance (task-level sizes win;
    else the containers' sum, memory taken as the hard limit or else the reservation)."""
    containers = definition.get("containerDefinitions", [])
    cpu = as_int(definition.get("cpu")) or sum(as_int(c.get("cpu")) for c in containers)
    memory = as_int(definition.get("memory")) or sum(
        as_int(c.get("memory")) or as_int(c.get("memoryReservation")) for c in containers
    )
    asks = {"CPU": cpu, "MEMORY": memory}
    ports = sorted(
        {
            as_int(m.get("hostPort"))
            for c in containers
            for m in c.get("portMappings") or []
            if as_int(m.get("hostPort"))
        }
    )
    if definition.get("networkMode") not in ("awsvpc", "host"):
        for port in ports:
            asks[f"port {port}"] = port
    return asks


def resources(instance: dict[str, Any], key: str) -> dict[str, Any]:
    """{'CPU': 2048, 'MEMORY': 3943, 'PORTS': {'22', ...}} from registeredResources / remainingResources."""
    found: dict[str, Any] = {}
    for item in instance.get(key) or []:
        if item.get("type") == "STRINGSET" or item.get("name", "").startswith("PORTS"):
            found.setdefault("PORTS", set()).update(item.get("stringSetValue") or [])
        else:
            found[item.get("name", "")] = int(item.get("integerValue") or item.get("longValue") or 0)
    return found


def check_container_instances(evidence: LiveEvidence, category: str) -> list[CheckResult]:
    instances = evidence.container_instances
    if instances is None:
        return []
    cluster = str((evidence.service or {}).get("clusterArn", "")).rsplit("/", 1)[-1] or "the cluster"
    revision, definition = definition_of(evidence, category)
    asks = task_asks(definition) if definition else {}
    asked = _asked(asks)
    names = {"cluster": cluster} if cluster != "the cluster" else {}
    if not instances:
        detail = f"no container instance is registered in the cluster {cluster}" + (
            f"; the task ({revision}) asks {asked}" if asked else ""
        )
        provider_facts, provider_problems = group_facts(evidence)
        grown = [EvidenceItem(source=PROVIDER_SOURCE, fact=f) for f in (*provider_problems, *provider_facts)]
        return [
            CheckResult(
                category,
                "container_instances",
                "confirms",
                "; ".join([detail, *provider_problems, *provider_facts]),
                (EvidenceItem(source="ecs:ListContainerInstances", fact=detail), *grown),
                names,
                recategorize=NO_INSTANCES if category != NO_INSTANCES else None,
            )
        ]
    usable = [i for i in instances if i.get("status") == "ACTIVE" and i.get("agentConnected", True)]
    facts = [_census(instances, cluster)]
    problems: list[str] = []
    if not usable:
        problems.append("no container instance is ACTIVE with its ECS agent connected")
    for instance in instances:
        facts.append(_describe(instance))
    if usable and asks:
        problems += _shortfalls(usable, asks, revision)
    outcome: Outcome = "confirms" if problems else "inconclusive"
    if not problems and category == "placement_insufficient_resources" and asks:
        outcome = "refutes"
        facts.append(f"an ACTIVE container instance has room for the task's {asked} now")
    lines = [*problems, *facts]
    return [
        CheckResult(
            category,
            "container_instances",
            outcome,
            "; ".join(lines[:4]),
            tuple(EvidenceItem(source=SOURCE, fact=line) for line in lines[:8]),
            names,
            recategorize=NO_INSTANCES
            if not usable and category == "placement_insufficient_resources"
            else None,
        )
    ]


def _shortfalls(usable: list[dict[str, Any]], asks: dict[str, int], revision: str) -> list[str]:
    problems = []
    remaining = [resources(i, "remainingResources") for i in usable]
    registered = [resources(i, "registeredResources") for i in usable]
    for key, unit in (("MEMORY", "MiB"), ("CPU", "CPU units")):
        need = asks.get(key, 0)
        if not need:
            continue
        most_left = max((r.get(key, 0) for r in remaining), default=0)
        most_registered = max((r.get(key, 0) for r in registered), default=0)
        if most_registered and most_registered < need:
            problems.append(
                f"the task ({revision}) asks {need} {unit}, more than any container instance has at all "
                f"(the largest registers {most_registered} {unit}): use a larger instance type"
            )
        elif most_left < need:
            problems.append(
                f"the task ({revision}) asks {need} {unit}, the largest container instance has {most_left} "
                f"{unit} remaining"
            )
    for key, port in asks.items():
        if key.startswith("port ") and all(str(port) in r.get("PORTS", set()) for r in remaining):
            problems.append(
                f"host port {port} is already taken on every container instance (use hostPort 0 with a "
                "load balancer)"
            )
    return problems


def _census(instances: list[dict[str, Any]], cluster: str) -> str:
    active = sum(1 for i in instances if i.get("status") == "ACTIVE")
    disconnected = sum(1 for i in instances if not i.get("agentConnected", True))
    text = f"{len(instances)} container instance(s) in {cluster}, {active} ACTIVE"
    if disconnected:
        text += f", {disconnected} with the ECS agent disconnected"
    return text


def _describe(instance: dict[str, Any]) -> str:
    left, total = resources(instance, "remainingResources"), resources(instance, "registeredResources")
    name = instance.get("ec2InstanceId") or str(instance.get("containerInstanceArn", "")).rsplit("/", 1)[-1]
    kind = next(
        (a.get("value") for a in instance.get("attributes") or [] if a.get("name") == "ecs.instance-type"),
        None,
    )
    agent = "agent connected" if instance.get("agentConnected", True) else "agent DISCONNECTED"
    return (
        f"{name}{f' ({kind})' if kind else ''} {instance.get('status', '?')}, {agent}: "
        f"{left.get('CPU', 0)} of {total.get('CPU', 0)} CPU units and {left.get('MEMORY', 0)} of "
        f"{total.get('MEMORY', 0)} MiB remaining, {instance.get('runningTasksCount', 0)} tasks running"
    )


def _asked(asks: dict[str, int]) -> str:
    parts = []
    if asks.get("CPU"):
        parts.append(f"{asks['CPU']} CPU units")
    if asks.get("MEMORY"):
        parts.append(f"{asks['MEMORY']} MiB")
    parts += [key for key in asks if key.startswith("port ")]
    return ", ".join(parts)
