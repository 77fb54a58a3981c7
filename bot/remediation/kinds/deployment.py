"""Force a new deployment: new tasks of the same revision (a secret, an image tag or the network fixed since)."""

from __future__ import annotations

from bot.remediation.kinds.base import Client, Plan, Planner, describe_service, service_arn
from diagnosis.actions import ServiceParams


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
        resource=service_arn(service, p),
    )


PLANNER = Planner(plan_force_new_deployment)
