"""The service around the task: a circuit breaker that rolls back, a grace period for load balancer health
checks, more than one Availability Zone, an on-demand base under Spot. Read from describe-services (live)
or from the service a template or plan declares."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from diagnosis.actions import EnableCircuitBreaker, GraceParams, RaiseGracePeriod, ServiceParams, service_of
from diagnosis.checks.health import suggested_grace
from diagnosis.knowledge.base import DEV_GUIDE
from diagnosis.prevent.model import Fix, Subject, Violation
from diagnosis.prevent.rules.base import Rule
from diagnosis.prevent.values import as_bool, as_int, as_str

BREAKER_DOC = DEV_GUIDE + "deployment-circuit-breaker.html"
GRACE_DOC = DEV_GUIDE + "service_definition_parameters.html"


def _where(subject: Subject) -> ServiceParams | None:
    """The service the bot's own fix changes, for a live service (a template's service does not exist yet)."""
    service = subject.service or {}
    name, cluster = as_str(service.get("serviceName")), as_str(service.get("clusterArn"))
    return service_of((cluster or "").rsplit("/", 1)[-1], name) if subject.kind == "live" else None


def _names(subject: Subject) -> tuple[str, str, str]:
    service = subject.service or {}
    name = as_str(service.get("serviceName")) or subject.service_resource or "SERVICE"
    cluster = as_str(service.get("clusterArn")) or as_str(service.get("cluster")) or "CLUSTER"
    return name, cluster.rsplit("/", 1)[-1], subject.service_resource or "Service"


def circuit_breaker(subject: Subject) -> Iterator[Violation]:
    service = subject.service
    if not service or ((service.get("deploymentController") or {}).get("type") or "ECS") != "ECS":
        return
    breaker = (service.get("deploymentConfiguration") or {}).get("deploymentCircuitBreaker") or {}
    enabled, rollback = as_bool(breaker.get("enable")), as_bool(breaker.get("rollback"))
    if enabled and rollback:
        return
    name, cluster, resource = _names(subject)
    state = "no deployment circuit breaker" if not enabled else "a circuit breaker without rollback"
    yield Violation(
        f"service {name} has {state}: a revision whose tasks keep failing is retried for hours instead of "
        "being rolled back to the last one that worked",
        Fix(
            cli=(
                f"aws ecs update-service --cluster {cluster} --service {name} --deployment-configuration "
                '"deploymentCircuitBreaker={enable=true,rollback=true}"'
            ),
            cloudformation=(
                f"{resource}: DeploymentConfiguration.DeploymentCircuitBreaker: {{Enable: true, Rollback: true}}"
            ),
            terraform="aws_ecs_service: deployment_circuit_breaker { enable = true, rollback = true }",
        ),
        resource=subject.service_resource,
        action=EnableCircuitBreaker.offer(where) if (where := _where(subject)) else None,
    )


def grace_period(subject: Subject) -> Iterator[Violation]:
    service = subject.service or {}
    if not service.get("loadBalancers"):
        return
    grace = as_int(service.get("healthCheckGracePeriodSeconds")) or 0
    if (
        service.get("healthCheckGracePeriodSeconds") is not None
        and as_int(service["healthCheckGracePeriodSeconds"]) is None
    ):
        return
    group = subject.target_groups[0] if subject.target_groups else {}
    interval = as_int(group.get("HealthCheckIntervalSeconds")) or 30
    threshold = as_int(group.get("UnhealthyThresholdCount")) or 2
    window = interval * threshold
    if grace >= window and grace > 0:
        return
    seconds = suggested_grace(None, interval, threshold, grace)
    name, cluster, resource = _names(subject)
    yield Violation(
        f"service {name} has a load balancer and a health check grace period of {grace} s, shorter than one "
        f"unhealthy window ({threshold} failures {interval} s apart = {window} s): tasks still starting "
        "are stopped as unhealthy",
        Fix(
            cli=(
                f"aws ecs update-service --cluster {cluster} --service {name} "
                f"--health-check-grace-period-seconds {seconds}"
            ),
            cloudformation=f"{resource}: HealthCheckGracePeriodSeconds: {seconds}",
            terraform=f"aws_ecs_service: health_check_grace_period_seconds = {seconds}",
        ),
        resource=subject.service_resource,
        action=(
            RaiseGracePeriod.offer(GraceParams(**where.service_fields(), seconds=seconds))
            if (where := _where(subject))
            else None
        ),
    )


def zones(subject: Subject) -> Iterator[Violation]:
    config = ((subject.service or {}).get("networkConfiguration") or {}).get("awsvpcConfiguration") or {}
    subnets = [s for s in config.get("subnets") or [] if isinstance(s, str)]
    if not subject.service or not config or (not subnets and not subject.subnets):
        return
    azs = sorted({str(s.get("AvailabilityZone")) for s in subject.subnets if s.get("AvailabilityZone")})
    if subject.subnets and len(azs) > 1:
        return
    if not subject.subnets and len(config.get("subnets") or []) > 1:
        return
    name, cluster, resource = _names(subject)
    fact = (
        f"service {name} runs in one Availability Zone ({azs[0]}; subnets {', '.join(subnets)})"
        if azs
        else f"service {name} has one subnet ({', '.join(subnets) or 'a reference'})"
    )
    yield Violation(
        fact + ": an outage or an exhausted subnet in that zone stops every task and nothing can start",
        Fix(
            cli=(
                f"aws ecs update-service --cluster {cluster} --service {name} --network-configuration "
                f'"awsvpcConfiguration={{subnets=[{",".join(subnets or ["SUBNET"])},SUBNET_IN_ANOTHER_AZ]}}"'
            ),
            cloudformation=f"{resource}: NetworkConfiguration.AwsvpcConfiguration.Subnets: one per Availability Zone",
            terraform="aws_ecs_service: network_configuration { subnets = one per Availability Zone }",
        ),
        resource=subject.service_resource,
    )


def spot_base(subject: Subject) -> Iterator[Violation]:
    strategy: list[dict[str, Any]] = [
        s for s in (subject.service or {}).get("capacityProviderStrategy") or [] if isinstance(s, dict)
    ]
    spot = [s for s in strategy if "SPOT" in str(s.get("capacityProvider", "")).upper()]
    if not spot:
        return
    on_demand = [s for s in strategy if s not in spot]
    if any((as_int(s.get("base")) or 0) >= 1 for s in on_demand):
        return
    name, cluster, resource = _names(subject)
    yield Violation(
        f"service {name} runs on {spot[0].get('capacityProvider')} with no on-demand base: one Spot "
        "reclaim can stop every task at once",
        Fix(
            cli=(
                f"aws ecs update-service --cluster {cluster} --service {name} --capacity-provider-strategy "
                f"capacityProvider=FARGATE,base=1,weight=1 capacityProvider={spot[0].get('capacityProvider')},weight=3 "
                "--force-new-deployment"
            ),
            cloudformation=(
                f"{resource}: CapacityProviderStrategy: add {{CapacityProvider: FARGATE, Base: 1, Weight: 1}}"
            ),
            terraform=(
                'aws_ecs_service: capacity_provider_strategy { capacity_provider = "FARGATE", base = 1, weight = 1 }'
            ),
        ),
        resource=subject.service_resource,
    )


RULES = (
    Rule(
        "circuit_breaker",
        "Service without a deployment circuit breaker that rolls back",
        "warning",
        "Without the circuit breaker a deployment whose tasks keep failing never ends: ECS keeps replacing "
        "them while the old revision's tasks are drained. With rollback it returns to the last steady revision.",
        ("app_error", "image_not_found", "container_start_failure", "command_not_found"),
        circuit_breaker,
        (BREAKER_DOC,),
    ),
    Rule(
        "grace_period",
        "Load balancer without a long enough grace period",
        "warning",
        "Load balancer health checks start as soon as a task registers; without a grace period that covers "
        "the app's start, a slow starter is marked unhealthy and stopped before it could ever answer.",
        ("elb_health_check",),
        grace_period,
        (GRACE_DOC,),
    ),
    Rule(
        "availability_zones",
        "Service in one Availability Zone",
        "warning",
        "Tasks in one subnet or zone all stop with it, and a subnet out of addresses leaves nowhere to start.",
        ("eni_or_subnet",),
        zones,
    ),
    Rule(
        "spot_base",
        "Spot capacity without an on-demand base",
        "warning",
        "Spot capacity is reclaimed with two minutes' notice, often many tasks at once; an on-demand base "
        "keeps some tasks running through a reclaim.",
        ("spot_interruption",),
        spot_base,
    ),
)
