"""The collectors `exec-check` adds to rounds 3 and 4: the cluster's executeCommandConfiguration and the
container instances of the running tasks (round 3), then the task role's simulated permissions, which
depend on the KMS key and log destinations the cluster names (round 4, beside the VPC's routes)."""

from __future__ import annotations

from collections.abc import Mapping

from diagnosis.checks import needs
from diagnosis.checks.evidence import LiveEvidence
from diagnosis.checks.exec import ExecFacts
from diagnosis.checks.exec_iam import simulations
from diagnosis.collect.aws import Call, Outcome, first
from diagnosis.collect.plan import Plan, Source


def _plan_cluster(plan: Plan) -> dict[str, Call]:
    return {
        "cluster": Call(
            "ecs",
            "describe_clusters",
            {"clusters": [plan.cluster], "include": ["CONFIGURATIONS"]},
            "the cluster's ECS Exec configuration",
        )
    }


def _absorb_cluster(evidence: LiveEvidence, results: Mapping[str, Outcome]) -> None:
    for outcome in results.values():
        found = first(outcome, "clusters")
        evidence.cluster = found[0] if found else None


CLUSTER = Source(_plan_cluster, _absorb_cluster)


def _plan_task_instances(plan: Plan) -> dict[str, Call]:
    arns = sorted({str(t["containerInstanceArn"]) for t in plan.core.tasks if t.get("containerInstanceArn")})
    if not arns:
        return {}
    return {
        "task_instances": Call(
            "ecs",
            "describe_container_instances",
            {"cluster": plan.cluster, "containerInstances": arns[:100]},
            "the tasks' container instances",
        )
    }


def _absorb_task_instances(evidence: LiveEvidence, results: Mapping[str, Outcome]) -> None:
    for outcome in results.values():
        evidence.container_instances = first(outcome, "containerInstances") if outcome.ok else None


TASK_INSTANCES = Source(_plan_task_instances, _absorb_task_instances)


def _plan_simulations(plan: Plan) -> dict[str, Call]:
    wanted = simulations(ExecFacts(plan.evidence, plan.cluster))
    calls: dict[str, Call] = {}
    for purpose, (principal, actions, resources) in wanted.items():
        params: dict[str, object] = {"PolicySourceArn": principal, "ActionNames": list(actions)}
        if resources:
            params["ResourceArns"] = list(resources)
        calls[f"exec_sim:{purpose}"] = Call(
            "iam", "simulate_principal_policy", params, "the task role's ECS Exec permissions"
        )
    return calls


def _absorb_simulations(evidence: LiveEvidence, results: Mapping[str, Outcome]) -> None:
    for key, outcome in results.items():
        evidence.exec_simulations[key.removeprefix("exec_sim:")] = (
            {
                r.get("EvalActionName", ""): r.get("EvalDecision", "")
                for r in first(outcome, "EvaluationResults")
            }
            if outcome.ok
            else None
        )


SIMULATIONS = Source(_plan_simulations, _absorb_simulations, round=4, requires=(needs.CLUSTER,))
