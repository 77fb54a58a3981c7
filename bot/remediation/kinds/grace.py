"""Raise the health check grace period: more time before the load balancer's failed checks stop a task."""

from __future__ import annotations

from bot.remediation.kinds.base import (
    Client,
    CodeProp,
    Plan,
    PlanError,
    Planner,
    describe_service,
    service_arn,
)
from bot.remediation.why_not import GraceAlreadyLong
from diagnosis.actions import GraceParams


def plan_raise_grace_period(ecs: Client, p: GraceParams) -> Plan:
    service = describe_service(ecs, p)
    before = service.get("healthCheckGracePeriodSeconds", 0) or 0
    if before >= p.seconds:
        raise PlanError(GraceAlreadyLong(service=p.service, before=before, asked=p.seconds))
    return Plan(
        "raise_grace_period",
        f"Raise the health check grace period of {p.service}",
        [("healthCheckGracePeriodSeconds", f"{before} s", f"{p.seconds} s")],
        f"aws ecs update-service --cluster {p.cluster} --service {p.service} "
        f"--health-check-grace-period-seconds {p.seconds}",
        "update_service",
        {"cluster": p.cluster, "service": p.service, "healthCheckGracePeriodSeconds": p.seconds},
        resource=service_arn(service, p),
    )


def grace_period_as_code(plan: Plan) -> list[CodeProp]:
    params = plan.params
    s = params["healthCheckGracePeriodSeconds"]
    return [
        CodeProp(
            "service",
            f"HealthCheckGracePeriodSeconds: {s}",
            f"health_check_grace_period_seconds = {s}",
            f"healthCheckGracePeriod: Duration.seconds({s}),",
        )
    ]


PLANNER = Planner(plan_raise_grace_period, code=grace_period_as_code)
