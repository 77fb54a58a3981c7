"""Each remediation kind's plan (before → after, the AWS call) against moto in-process, and what applying
that plan changes in ECS."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, get_args, get_type_hints

import pytest
from pydantic import ValidationError

from bot.remediation.kinds import PLANNERS, READS, PlanError
from bot.remediation.kinds.circuit_breaker import plan_enable_circuit_breaker
from bot.remediation.kinds.deployment import plan_force_new_deployment
from bot.remediation.kinds.exec_command import plan_enable_execute_command
from bot.remediation.kinds.grace import plan_raise_grace_period
from bot.remediation.kinds.memory import plan_increase_memory
from bot.remediation.kinds.rollback import plan_rollback
from bot.remediation.why_not import (
    AlreadyRunsTarget,
    CircuitBreakerAlreadyOn,
    ExecAlreadyOn,
    GraceAlreadyLong,
    NoSteadyRevision,
    NoTaskMemory,
    OtherFamily,
    ServiceGone,
    TargetGone,
    TargetNotActive,
    WhyNot,
)
from diagnosis.actions import KINDS, GraceParams, MemoryParams, RollbackParams, ServiceParams, parse
from diagnosis.models import ActionKind
from diagnosis.output import OutOfBounds
from tests.builders.ecs_service import CLUSTER, SERVICE, TD, Ecs, register


def apply(client: Any, plan: Any) -> None:
    extra = plan.prepare(client) if plan.prepare else {}
    getattr(client, plan.operation)(**plan.params, **extra)


WHERE = {"cluster": CLUSTER, "service": SERVICE}


def why_not(plan: Callable[[], object]) -> WhyNot:
    """The reason a planner refused with: a code and its fields, never a sentence."""
    with pytest.raises(PlanError) as refused:
        plan()
    return refused.value.reason


def test_every_kind_has_a_planner() -> None:
    assert list(PLANNERS) == list(KINDS) == list(get_args(ActionKind))
    for kind, planner in PLANNERS.items():  # each planner takes the params model its kind is offered with
        assert get_type_hints(planner.plan)["p"] is get_type_hints(KINDS[kind])["params"], kind
    assert set(KINDS) >= {
        "raise_grace_period",
        "force_new_deployment",
        "increase_memory",
        "rollback",
        "enable_circuit_breaker",
        "enable_execute_command",
    }


def test_raise_grace_period(ecs: Ecs) -> None:
    plan = plan_raise_grace_period(ecs.client, GraceParams(**{**WHERE, "seconds": 190}))
    assert plan.kind == "raise_grace_period"
    assert plan.changes == [("healthCheckGracePeriodSeconds", "10 s", "190 s")]
    assert plan.cli == (
        "aws ecs update-service --cluster prod --service web --health-check-grace-period-seconds 190"
    )
    assert plan.operation == "update_service" and plan.prepare is None
    assert plan.params == {"cluster": CLUSTER, "service": SERVICE, "healthCheckGracePeriodSeconds": 190}
    assert ecs.described()["healthCheckGracePeriodSeconds"] == 10, "planning changes nothing"
    apply(ecs.client, plan)
    assert ecs.described()["healthCheckGracePeriodSeconds"] == 190


def test_raise_grace_period_from_unset(ecs: Ecs) -> None:
    ecs.service().health_check_grace_period_seconds = None
    plan = plan_raise_grace_period(ecs.client, GraceParams(**{**WHERE, "seconds": 120}))
    assert plan.changes == [("healthCheckGracePeriodSeconds", "0 s", "120 s")]


def test_raise_grace_period_refuses_to_lower(ecs: Ecs) -> None:
    refused = why_not(lambda: plan_raise_grace_period(ecs.client, GraceParams(**{**WHERE, "seconds": 10})))
    assert refused == GraceAlreadyLong(service=SERVICE, before=10, asked=10)


def test_params_are_typed() -> None:
    with pytest.raises(OutOfBounds):
        GraceParams(**WHERE, seconds=-1)
    with pytest.raises(OutOfBounds):
        GraceParams(cluster="", service=SERVICE, seconds=5)
    stored = {"kind": "raise_grace_period", "params": {**WHERE, "seconds": "60"}, "risk": "low", "label": ""}
    assert parse(stored).params == GraceParams(**WHERE, seconds=60)
    with pytest.raises(ValidationError, match="seconds"):  # each kind validates its own parameters
        parse({**stored, "params": WHERE})
    with pytest.raises(ValidationError, match="unexpected"):
        parse({**stored, "params": {**WHERE, "seconds": 60, "unexpected": 1}})


def test_a_missing_service_cannot_be_planned(ecs: Ecs) -> None:
    gone = ServiceParams(**{"cluster": CLUSTER, "service": "gone"})
    assert why_not(lambda: plan_force_new_deployment(ecs.client, gone)) == ServiceGone(
        cluster=CLUSTER, service="gone"
    )


def test_force_new_deployment(ecs: Ecs) -> None:
    before = ecs.described()["deployments"][0]["id"]
    plan = plan_force_new_deployment(ecs.client, ServiceParams(**WHERE))
    assert plan.changes == [("deployment", "current tasks of web:2", "new tasks of web:2")]
    assert plan.params == {"cluster": CLUSTER, "service": SERVICE, "forceNewDeployment": True}
    assert plan.cli.endswith("--force-new-deployment")
    apply(ecs.client, plan)
    assert ecs.described()["deployments"][0]["id"] != before


def test_increase_memory_on_fargate(ecs: Ecs) -> None:
    plan = plan_increase_memory(ecs.client, MemoryParams(**WHERE, task_definition=f"{TD}:2"))
    assert plan.changes == [("task memory", "512 MiB", "1024 MiB")], "256 CPU allows 1024 MiB"
    assert plan.params == {"cluster": CLUSTER, "service": SERVICE}
    assert plan.prepare is not None
    assert "--memory 1024 --cpu 256" in plan.cli and "update-service" in plan.cli
    assert len(ecs.client.list_task_definitions(familyPrefix="web")["taskDefinitionArns"]) == 2

    apply(ecs.client, plan)
    arns = ecs.client.list_task_definitions(familyPrefix="web")["taskDefinitionArns"]
    assert len(arns) == 3, "a new revision is registered"
    new = ecs.client.describe_task_definition(taskDefinition=f"{TD}:3")["taskDefinition"]
    assert (new["cpu"], new["memory"]) == ("256", "1024")
    containers = {c["name"]: c for c in new["containerDefinitions"]}
    assert containers["app"]["memory"] == 1024 and containers["sidecar"]["memory"] == 512, "scaled ×2"
    assert containers["app"]["image"] == "nginx:1.27"
    assert new["requiresCompatibilities"] == ["FARGATE"]
    assert ecs.described()["taskDefinition"] == f"{TD}:3", "the service is updated to it"


def test_increase_memory_needs_more_cpu_past_the_cpu_limit(ecs: Ecs) -> None:
    register(ecs.client, memory="2048", cpu="256")  # :3, the biggest 256-CPU size
    plan = plan_increase_memory(ecs.client, MemoryParams(**WHERE, task_definition=f"{TD}:3"))
    assert plan.changes == [("task memory", "2048 MiB", "3072 MiB"), ("task cpu", "256", "512")]


def test_increase_memory_on_ec2_doubles(ecs: Ecs) -> None:
    register(ecs.client, memory="700", cpu="256", fargate=False)  # :3
    plan = plan_increase_memory(ecs.client, MemoryParams(**WHERE, task_definition=f"{TD}:3"))
    assert plan.changes == [("task memory", "700 MiB", "1400 MiB")]
    assert "--cpu" not in plan.cli


def test_increase_memory_at_the_largest_fargate_size(ecs: Ecs) -> None:
    register(ecs.client, memory="122880", cpu="16384")  # :3
    largest = MemoryParams(**WHERE, task_definition=f"{TD}:3")
    assert why_not(lambda: plan_increase_memory(ecs.client, largest)) == NoTaskMemory(
        service=SERVICE, task_definition="web:3"
    )


def test_rollback_to_the_last_completed_deployment(ecs: Ecs) -> None:
    register(ecs.client)  # :3
    ecs.client.update_service(cluster=CLUSTER, service=SERVICE, taskDefinition=f"{TD}:3")
    ecs.service().deployments = [
        ecs.deployment(3, "PRIMARY", "IN_PROGRESS", 5),
        ecs.deployment(1, "ACTIVE", "COMPLETED", 60),
        ecs.deployment(2, "INACTIVE", "FAILED", 30),
    ]
    plan = plan_rollback(ecs.client, RollbackParams(**WHERE))
    assert plan.changes == [("taskDefinition", "web:3", "web:1")], (
        "the last steady one, not just the previous"
    )
    assert plan.params["taskDefinition"] == f"{TD}:1"
    assert plan.cli.endswith("--task-definition web:1")
    apply(ecs.client, plan)
    assert ecs.described()["taskDefinition"] == f"{TD}:1"


def test_rollback_picks_the_newest_completed(ecs: Ecs) -> None:
    register(ecs.client)  # :3
    ecs.client.update_service(cluster=CLUSTER, service=SERVICE, taskDefinition=f"{TD}:3")
    ecs.service().deployments = [
        ecs.deployment(3, "PRIMARY", "IN_PROGRESS", 5),
        ecs.deployment(1, "INACTIVE", "COMPLETED", 600),
        ecs.deployment(2, "ACTIVE", "COMPLETED", 60),
    ]
    assert plan_rollback(ecs.client, RollbackParams(**WHERE)).changes == [
        ("taskDefinition", "web:3", "web:2")
    ]


def test_rollback_without_history_goes_to_the_previous_revision(ecs: Ecs) -> None:
    ecs.service().deployments = [ecs.deployment(2, "PRIMARY", "IN_PROGRESS", 5)]
    plan = plan_rollback(ecs.client, RollbackParams(**WHERE))
    assert plan.changes == [("taskDefinition", "web:2", "web:1")]


def test_rollback_with_nothing_to_roll_back_to(ecs: Ecs) -> None:
    ecs.client.update_service(cluster=CLUSTER, service=SERVICE, taskDefinition=f"{TD}:1")
    ecs.service().deployments = [ecs.deployment(1, "PRIMARY", "COMPLETED", 5)]
    assert why_not(lambda: plan_rollback(ecs.client, RollbackParams(**WHERE))) == NoSteadyRevision(
        service=SERVICE
    )


def test_rollback_goes_to_the_revision_the_diagnosis_named(ecs: Ecs) -> None:
    for _ in range(3):
        register(ecs.client)  # :3 :4 :5
    ecs.client.update_service(cluster=CLUSTER, service=SERVICE, taskDefinition=f"{TD}:5")
    ecs.service().deployments = [ecs.deployment(5, "PRIMARY", "COMPLETED", 5)]
    plan = plan_rollback(
        ecs.client,
        RollbackParams(**{**WHERE, "from_task_definition": "web:5", "to_task_definition": "web:3"}),
    )
    assert plan.changes == [("taskDefinition", "web:5", "web:3")], "the named one, not the one before"
    assert plan.params["taskDefinition"] == f"{TD}:3"


def test_rollback_refuses_a_deregistered_or_foreign_revision(ecs: Ecs) -> None:
    register(ecs.client)  # :3
    ecs.client.update_service(cluster=CLUSTER, service=SERVICE, taskDefinition=f"{TD}:3")
    ecs.client.deregister_task_definition(taskDefinition="web:1")
    to_inactive = RollbackParams(**{**WHERE, "to_task_definition": "web:1"})
    assert why_not(lambda: plan_rollback(ecs.client, to_inactive)) == TargetNotActive(
        target="web:1", status="INACTIVE"
    )
    ecs.client.register_task_definition(
        family="other", containerDefinitions=[{"name": "x", "image": "busybox", "memory": 64}]
    )
    to_missing = RollbackParams(**{**WHERE, "to_task_definition": "web:9"})
    assert why_not(lambda: plan_rollback(ecs.client, to_missing)) == TargetGone(target="web:9")
    to_other = RollbackParams(**{**WHERE, "to_task_definition": "other:1"})
    assert why_not(lambda: plan_rollback(ecs.client, to_other)) == OtherFamily(
        service=SERVICE, target="other:1", family="web"
    )


def test_rollback_offered_without_a_target_skips_a_deregistered_previous_revision(ecs: Ecs) -> None:
    """A button from a pasted message: the planner asks the correlation, which never picks an INACTIVE one."""
    ecs.client.deregister_task_definition(taskDefinition="web:1")
    ecs.service().deployments = [ecs.deployment(2, "PRIMARY", "IN_PROGRESS", 5)]
    from_web2 = RollbackParams(**{**WHERE, "from_task_definition": "web:2"})
    assert why_not(lambda: plan_rollback(ecs.client, from_web2)) == NoSteadyRevision(service=SERVICE)


def test_no_rollback_after_the_circuit_breaker_rolled_back(ecs: Ecs) -> None:
    register(ecs.client)  # :3 failed; the breaker went back to :2
    rollback = ecs.deployment(2, "PRIMARY", "COMPLETED", 2)
    rollback["rolloutStateReason"] = "ECS deployment circuit breaker: rolling back to deploymentId ecs-svc/1."
    ecs.service().deployments = [rollback, ecs.deployment(3, "ACTIVE", "FAILED", 9)]
    from_web3 = RollbackParams(**{**WHERE, "from_task_definition": "web:3"})
    assert why_not(lambda: plan_rollback(ecs.client, from_web3)) == NoSteadyRevision(service=SERVICE)


def test_rollback_planning_reads_only_what_its_session_policy_allows(ecs: Ecs) -> None:
    called: list[str] = []
    ecs.client.meta.events.register("before-call.ecs", lambda model, **_: called.append(f"ecs:{model.name}"))
    ecs.service().deployments = [ecs.deployment(2, "PRIMARY", "IN_PROGRESS", 5)]
    plan_rollback(ecs.client, RollbackParams(**{**WHERE, "from_task_definition": "web:2"}))
    plan_rollback(ecs.client, RollbackParams(**{**WHERE, "to_task_definition": "web:1"}))
    assert set(called) <= {"ecs:DescribeServices", *READS["rollback"]}


def test_rollback_to_the_revision_it_already_runs_says_so(ecs: Ecs) -> None:
    # the diagnosis offered web:1, and someone rolled back by hand before the click
    ecs.client.update_service(cluster=CLUSTER, service=SERVICE, taskDefinition=f"{TD}:1")
    back = RollbackParams(**WHERE, from_task_definition="web:2", to_task_definition="web:1")
    assert why_not(lambda: plan_rollback(ecs.client, back)) == AlreadyRunsTarget(
        service=SERVICE, current="web:1"
    )


def test_enable_circuit_breaker(ecs: Ecs) -> None:
    plan = plan_enable_circuit_breaker(ecs.client, ServiceParams(**WHERE))
    assert plan.changes == [
        ("deploymentCircuitBreaker", "enable=False, rollback=False", "enable=true, rollback=true")
    ]
    config = plan.params["deploymentConfiguration"]
    assert config["deploymentCircuitBreaker"] == {"enable": True, "rollback": True}
    assert config["maximumPercent"] == 200 and config["minimumHealthyPercent"] == 100, "the rest is kept"
    apply(ecs.client, plan)
    breaker = ecs.described()["deploymentConfiguration"]["deploymentCircuitBreaker"]
    assert breaker == {"enable": True, "rollback": True}
    assert why_not(lambda: plan_enable_circuit_breaker(ecs.client, ServiceParams(**WHERE))) == (
        CircuitBreakerAlreadyOn(service=SERVICE)
    )


def test_enable_circuit_breaker_with_no_configuration(ecs: Ecs) -> None:
    ecs.service().deployment_configuration = None
    plan = plan_enable_circuit_breaker(ecs.client, ServiceParams(**WHERE))
    assert plan.changes[0][1] == "enable=False, rollback=False"
    assert plan.params["deploymentConfiguration"] == {
        "deploymentCircuitBreaker": {"enable": True, "rollback": True}
    }


def test_enable_execute_command_turns_it_on_with_a_new_deployment(ecs: Ecs) -> None:
    plan = plan_enable_execute_command(ecs.client, ServiceParams(**WHERE))
    assert plan.kind == "enable_execute_command"
    assert plan.changes[0] == ("enableExecuteCommand", "false", "true")
    assert plan.changes[1][0] == "deployment" and "without ECS Exec" in plan.changes[1][1]
    assert plan.cli == (
        "aws ecs update-service --cluster prod --service web --enable-execute-command --force-new-deployment"
    )
    apply(ecs.client, plan)
    assert ecs.described()["enableExecuteCommand"] is True
    assert why_not(lambda: plan_enable_execute_command(ecs.client, ServiceParams(**WHERE))) == (
        ExecAlreadyOn(service=SERVICE)
    )
