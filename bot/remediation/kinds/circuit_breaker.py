"""Turn on the deployment circuit breaker with rollback: a failing rollout stops and goes back by itself."""

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
from bot.remediation.why_not import CircuitBreakerAlreadyOn
from diagnosis.actions import ServiceParams


def plan_enable_circuit_breaker(ecs: Client, p: ServiceParams) -> Plan:
    service = describe_service(ecs, p)
    config = dict(service.get("deploymentConfiguration") or {})
    breaker = config.get("deploymentCircuitBreaker") or {}
    if breaker.get("enable") and breaker.get("rollback"):
        raise PlanError(CircuitBreakerAlreadyOn(service=p.service))
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
        resource=service_arn(service, p),
    )


def circuit_breaker_as_code(plan: Plan) -> list[CodeProp]:
    return [
        CodeProp(
            "service",
            "DeploymentConfiguration:\n  DeploymentCircuitBreaker:\n    Enable: true\n    Rollback: true",
            "deployment_circuit_breaker {\n  enable   = true\n  rollback = true\n}",
            "circuitBreaker: { enable: true, rollback: true },",
        )
    ]


PLANNER = Planner(plan_enable_circuit_breaker, code=circuit_breaker_as_code)
