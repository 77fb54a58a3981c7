"""Spot and capacity providers: the service's capacity provider strategy (base, weights) and the provider the
stopped task ran on, so a Spot interruption reads as the design it is and Spot-only capacity as a risk."""

from __future__ import annotations

from typing import Any

from diagnosis.checks.evidence import CheckResult, LiveEvidence, Outcome
from diagnosis.checks.taskdef import as_int
from diagnosis.models import EvidenceItem

SOURCE = "ecs:DescribeServices"


def strategy_text(strategy: list[dict[str, Any]]) -> str:
    """`FARGATE base 1 weight 1, FARGATE_SPOT weight 3 (75% of the tasks above the base on Spot)`."""
    parts = []
    for item in strategy:
        base = as_int(item.get("base"))
        parts.append(
            f"{item.get('capacityProvider')}"
            + (f" base {base}" if base else "")
            + f" weight {as_int(item.get('weight'))}"
        )
    weights = sum(as_int(i.get("weight")) for i in strategy)
    spot = sum(as_int(i.get("weight")) for i in strategy if _spot(i))
    text = ", ".join(parts)
    if weights and 0 < spot < weights:
        text += f" ({round(100 * spot / weights)}% of the tasks above the base on Spot)"
    return text


def check_capacity(evidence: LiveEvidence, category: str) -> list[CheckResult]:
    service = evidence.service or {}
    strategy = list(service.get("capacityProviderStrategy") or [])
    task = evidence.task_for(category) or {}
    ran_on = str(task.get("capacityProviderName") or "")
    if not strategy and not ran_on:
        return []
    facts: list[str] = []
    problems: list[str] = []
    on_demand_base = sum(as_int(i.get("base")) for i in strategy if not _spot(i))
    spot_only = bool(strategy) and all(_spot(i) for i in strategy)
    if strategy:
        facts.append(f"the service's capacity provider strategy: {strategy_text(strategy)}")
    elif service.get("launchType"):
        facts.append(
            f"the service uses the {service['launchType']} launch type, no capacity provider strategy"
        )
    if ran_on:
        facts.append(f"the stopped task ran on {ran_on}")
    outcome: Outcome = "inconclusive"
    if category == "spot_interruption":
        if ran_on == "FARGATE":
            outcome = "refutes"
            facts.append(f"{ran_on} is not Spot capacity")
        elif spot_only:
            problems.append(
                "every task runs on Spot: one interruption wave can stop the whole service; add a FARGATE "
                "(on-demand) provider with a base"
            )
        elif strategy:
            outcome = "confirms"
            kept = f"; the on-demand base keeps {on_demand_base} task(s) running" if on_demand_base else ""
            facts.insert(
                0, f"Spot interruptions are part of this design: the strategy places tasks on Spot{kept}"
            )
    if category == "fargate_capacity_or_quota" and spot_only:
        problems.append("the service can only use Spot capacity, which AWS may have none of at the moment")
    if problems:
        outcome = "confirms"
    lines = [*problems, *facts]
    names = {"capacity_provider": ran_on} if ran_on else {}
    return [
        CheckResult(
            category,
            "capacity_providers",
            outcome,
            "; ".join(lines),
            tuple(EvidenceItem(source=SOURCE, fact=line) for line in lines),
            names,
        )
    ]


def _spot(item: dict[str, Any]) -> bool:
    return "SPOT" in str(item.get("capacityProvider", "")).upper()


def group_facts(evidence: LiveEvidence) -> tuple[list[str], list[str]]:
    """(facts, problems) of the service's EC2 capacity providers: the Auto Scaling group each launches into,
    its sizes and instances; a maximum size of 0, or managed scaling off with nothing desired, launches none."""
    groups = {str(g.get("AutoScalingGroupName", "")): g for g in evidence.capacity_groups or []}
    facts: list[str] = []
    problems: list[str] = []
    for provider in evidence.capacity_providers or []:
        name = provider.get("name", "?")
        asg = provider.get("autoScalingGroupProvider") or {}
        group_name = str(asg.get("autoScalingGroupArn", "")).rsplit("autoScalingGroupName/", 1)[-1]
        scaling = asg.get("managedScaling") or {}
        managed = scaling.get("status") == "ENABLED"
        said = f"capacity provider {name} (managed scaling {'on' if managed else 'off'})"
        group = groups.get(group_name)
        if not group_name:
            facts.append(f"{said} names no Auto Scaling group")
            continue
        if group is None:
            facts.append(f"{said} launches into the Auto Scaling group {group_name}")
            continue
        low, high = as_int(group.get("MinSize")), as_int(group.get("MaxSize"))
        desired, running = as_int(group.get("DesiredCapacity")), len(group.get("Instances") or [])
        facts.append(
            f"{said} launches into the Auto Scaling group {group_name}: MinSize {low}, MaxSize {high}, "
            f"DesiredCapacity {desired}, {running} instance(s)"
        )
        if high == 0:
            problems.append(
                f"{group_name}'s maximum size (MaxSize) is 0: {name} can launch no instance; raise it"
            )
        elif not managed and desired == 0:
            problems.append(
                f"{name}'s managed scaling is off and {group_name} desires 0 instances: none launches"
            )
    return facts, problems
