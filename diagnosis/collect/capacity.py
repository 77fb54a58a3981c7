"""The service's EC2 capacity providers and their Auto Scaling groups: where a task with no container
instance to run on would get one (round 3 the providers, named by the service's strategy; round 4 their
groups' sizes)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from diagnosis.checks import needs
from diagnosis.checks.evidence import LiveEvidence
from diagnosis.collect.aws import Call, Outcome, first
from diagnosis.collect.plan import Plan, Source

FARGATE_PROVIDERS = {"FARGATE", "FARGATE_SPOT"}
MAX_PROVIDERS = 6  # DescribeCapacityProviders takes up to 100; a strategy holds at most 6


def strategy_providers(service: Mapping[str, Any] | None) -> list[str]:
    """The EC2 capacity providers the service's strategy names, in its order."""
    strategy = (service or {}).get("capacityProviderStrategy") or []
    names = [str(item.get("capacityProvider", "")) for item in strategy if isinstance(item, Mapping)]
    return [n for n in dict.fromkeys(names) if n and n not in FARGATE_PROVIDERS][:MAX_PROVIDERS]


def _plan_providers(plan: Plan) -> dict[str, Call]:
    names = strategy_providers(plan.evidence.service)
    if not names:
        return {}
    return {
        "capacity_providers": Call(
            "ecs", "describe_capacity_providers", {"capacityProviders": names}, "capacity providers"
        )
    }


def _absorb_providers(evidence: LiveEvidence, results: Mapping[str, Outcome]) -> None:
    for outcome in results.values():
        evidence.capacity_providers = first(outcome, "capacityProviders") if outcome.ok else None


PROVIDERS = Source(_plan_providers, _absorb_providers)


def group_names(evidence: LiveEvidence) -> list[str]:
    """The Auto Scaling group names of the described providers (from their group ARNs)."""
    arns = [
        str((p.get("autoScalingGroupProvider") or {}).get("autoScalingGroupArn", ""))
        for p in evidence.capacity_providers or []
    ]
    return [a.rsplit("autoScalingGroupName/", 1)[-1] for a in dict.fromkeys(arns) if a]


def _plan_groups(plan: Plan) -> dict[str, Call]:
    names = group_names(plan.evidence)
    if not names:
        return {}
    return {
        "capacity_groups": Call(
            "autoscaling",
            "describe_auto_scaling_groups",
            {"AutoScalingGroupNames": names},
            "Auto Scaling groups",
        )
    }


def _absorb_groups(evidence: LiveEvidence, results: Mapping[str, Outcome]) -> None:
    for outcome in results.values():
        evidence.capacity_groups = first(outcome, "AutoScalingGroups") if outcome.ok else None


GROUPS = Source(_plan_groups, _absorb_groups, round=4, requires=(needs.CAPACITY_PROVIDERS,))
