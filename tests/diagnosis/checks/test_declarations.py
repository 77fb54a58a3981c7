"""The check registry holds its promises: every declared check can produce a result for every category it
names, its IAM actions are in the shipped read-only policy, every need it declares has a collector, and
what a diagnosis advertises is exactly what the registry runs.

`TRIGGERS` holds, per check, evidence that makes it speak. A check added to the registry without one
fails here: that is the point (a declared check that never produces a result is a defect).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from importlib import import_module

import pytest

from diagnosis.checks import ALL, BY_NAME, CHECKS, NETWORK_PATH, checks_for, needs, needs_of
from diagnosis.checks.evidence import LiveEvidence
from diagnosis.checks.network import NEEDED_ENDPOINTS
from diagnosis.collect.sources import SOURCES
from diagnosis.engine import diagnose
from diagnosis.knowledge import CATALOG
from diagnosis.models import Observations, TaskFacts
from tests.builders import (
    capacity_evidence,
    execution_role,
    placement_evidence,
    platform_evidence,
    secrets_evidence,
    volumes_evidence,
)
from tests.builders.read_policy import called_operations, iam_action, policy_actions

FAMILY = "arn:aws:ecs:eu-west-1:210987654321:task-definition/ledger:"
TASK = "arn:aws:ecs:eu-west-1:210987654321:task/core/" + "b" * 32


def _stopped(revision: int, code: str = "EssentialContainerExited") -> dict[str, object]:
    return {
        "taskArn": TASK,
        "taskDefinitionArn": f"{FAMILY}{revision}",
        "lastStatus": "STOPPED",
        "stopCode": code,
        "stoppedAt": datetime(2026, 3, 4, 5, 6, tzinfo=UTC),
    }


def _definition(revision: int, image: str) -> dict[str, object]:
    return {
        "taskDefinitionArn": f"{FAMILY}{revision}",
        "family": "ledger",
        "revision": revision,
        "cpu": "512",
        "memory": "2048",
        "networkMode": "awsvpc",
        "requiresCompatibilities": ["FARGATE"],
        "containerDefinitions": [{"name": "api", "image": image, "essential": True}],
    }


def _revisions() -> LiveEvidence:
    service = {
        "serviceName": "ledger",
        "taskDefinition": f"{FAMILY}8",
        "deployments": [
            {"taskDefinition": f"{FAMILY}8", "status": "PRIMARY", "rolloutState": "IN_PROGRESS"},
            {"taskDefinition": f"{FAMILY}7", "status": "ACTIVE", "rolloutState": "COMPLETED"},
        ],
    }
    return LiveEvidence(
        service=service,
        tasks=[_stopped(8)],
        task_definitions={f"{FAMILY}{r}": _definition(r, f"ledger:{r}.0") for r in (7, 8)},
    )


def _memory() -> LiveEvidence:
    start = datetime(2026, 3, 4, 5, 0, tzinfo=UTC)
    stamps = [start + timedelta(minutes=i) for i in range(4)]
    return LiveEvidence(
        tasks=[{**_stopped(8), "launchType": "FARGATE"}],
        task_definitions={f"{FAMILY}8": _definition(8, "ledger:8.0")},
        memory=[{"Id": "m0", "Timestamps": stamps, "Values": [900.0, 1500.0, 2000.0, 2040.0]}],
    )


def _task_definition() -> LiveEvidence:
    evidence = _memory()
    evidence.service = {
        "loadBalancers": [{"containerName": "api", "containerPort": 9000, "targetGroupArn": "tg"}]
    }
    evidence.target_groups = [{"TargetGroupArn": "tg", "Port": 9000, "HealthCheckPort": "traffic-port"}]
    return evidence


def _subnets(free: int) -> list[dict[str, object]]:
    return [{"SubnetId": "subnet-77", "VpcId": "vpc-9", "AvailableIpAddressCount": free}]


TRIGGERS: dict[str, Callable[[], LiveEvidence]] = {
    "log_tail": lambda: LiveEvidence(
        log_stream=("/svc/ledger", "api/api/" + "b" * 32), log_events=[{"message": "panic: nil map"}]
    ),
    "revision_diff": _revisions,
    "memory_utilization": _memory,
    "target_group": lambda: LiveEvidence(
        service={"loadBalancers": [{"containerPort": 9000, "targetGroupArn": "tg"}]},
        target_groups=[{"TargetGroupArn": "tg", "HealthCheckPort": "8081", "TargetType": "ip"}],
    ),
    "network_path": lambda: LiveEvidence(
        region="eu-west-1",
        subnets=_subnets(200),
        network_read=True,
        route_tables=[{"RouteTableId": "rtb-3", "Associations": [{"SubnetId": "subnet-77"}], "Routes": []}],
        endpoints=[],
    ),
    "subnet_ips": lambda: LiveEvidence(subnets=_subnets(1)),
    "ecr_image": lambda: LiveEvidence(
        region="eu-west-1", images={"ledger": ["9.1"]}, ecr={"ledger": ["9.0"]}
    ),
    "secret_exists": lambda: LiveEvidence(
        secrets={"arn:aws:ssm:eu-west-1:210987654321:parameter/ledger/dsn": "ParameterNotFound"}
    ),
    "log_group": lambda: LiveEvidence(log_stream=("/svc/ledger", "s"), log_groups=[]),
    "execution_role": lambda: execution_role.evidence(
        simulation={
            (execution_role.ROLE, "logs:CreateLogStream", execution_role.STREAM): "implicitDeny",
            (execution_role.ROLE, "ecr:BatchGetImage", execution_role.REPOSITORY): "explicitDeny",
            (execution_role.ROLE, "ssm:GetParameters", execution_role.PARAM): "implicitDeny",
        }
    ),
    "task_definition": _task_definition,
    "image_platform": lambda: platform_evidence.evidence(
        "ARM64", {}, ["standard_init_linux.go:228: exec user process caused: exec format error"]
    ),
    "secret_access": lambda: secrets_evidence.evidence(
        {secrets_evidence.SECRET: "exists", secrets_evidence.PARAM: "exists"}, {}
    ),
    "efs_volume": lambda: volumes_evidence.evidence(),
    "container_instances": lambda: placement_evidence.evidence(
        [placement_evidence.instance("c0ffee", (2048, 256), (7680, 512))], cpu="1024", memory="4096"
    ),
    "capacity_providers": lambda: capacity_evidence.evidence(capacity_evidence.MIXED, "FARGATE_SPOT"),
    "cloudtrail_stoptask": lambda: LiveEvidence(
        tasks=[_stopped(8, "UserInitiated")],
        trail=[{"Username": "ops-bot", "EventTime": "2026-03-04T05:06:00Z", "CloudTrailEvent": TASK}],
    ),
}


def test_every_declared_check_has_a_trigger() -> None:
    assert set(TRIGGERS) == set(BY_NAME)
    assert len(BY_NAME) == len(ALL), "two checks share a name"


@pytest.mark.parametrize(("name", "category"), [(c.name, category) for c in ALL for category in c.categories])
def test_every_declared_check_produces_a_result_for_each_of_its_categories(name: str, category: str) -> None:
    results = BY_NAME[name].run(TRIGGERS[name](), category)
    assert results, f"{name} never speaks about {category}"
    assert {(r.name, r.category) for r in results} == {(name, category)}
    assert all(r.detail for r in results)


def test_every_declared_check_names_a_function_of_its_module() -> None:
    for check in ALL:
        module, _, function = check.function.rpartition(".")
        found = getattr(import_module(f"diagnosis.checks.{module}"), function, None)
        assert callable(found) and found.__module__ == f"diagnosis.checks.{module}", check.function


def test_the_network_path_speaks_about_exactly_the_causes_it_knows_the_endpoints_of() -> None:
    assert set(NETWORK_PATH.categories) == set(NEEDED_ENDPOINTS)


def test_every_check_speaks_about_known_categories() -> None:
    unknown = {c for check in ALL for c in check.categories} - set(CATALOG)
    assert not unknown


def test_every_iam_action_a_check_declares_is_in_the_read_only_policy() -> None:
    declared = {action for check in ALL for action in check.iam_actions}
    assert declared, "no check declares an action"
    assert declared - policy_actions() == set()


def test_every_need_has_a_collector_and_declares_exactly_what_the_collectors_call() -> None:
    declared = {value for value in vars(needs).values() if isinstance(value, needs.Need)}
    assert {n.name for n in declared} == set(SOURCES)
    needed = {a for n in declared for a in n.iam_actions}
    by_sources = {iam_action(service, operation) for service, operation in called_operations("sources.py")}
    assert by_sources and by_sources <= needed, "a source calls an action its need does not declare"
    anywhere = {iam_action(service, operation) for service, operation in called_operations()}
    assert needed <= anywhere, "a need declares an action no collector calls"


def test_the_collector_plans_only_the_needs_of_the_candidates() -> None:
    wanted = needs_of(["eni_or_subnet"])
    assert set(wanted) == {"subnets"}
    assert wanted["subnets"] == {"eni_or_subnet"}
    assert needs_of(["no_such_category"]) == {}


@pytest.mark.parametrize("category", sorted(CATALOG))
def test_a_finding_advertises_exactly_the_registered_checks_of_its_category(category: str) -> None:
    from diagnosis.findings import _checks

    advertised = [c.name for c in _checks(category)]
    assert advertised == [c.name for c in checks_for(category)]
    assert all(c.outcome == "not_run" and c.iam_action for c in _checks(category))


def test_explain_advertises_registered_checks_only() -> None:
    task = TaskFacts(
        task_arn=TASK,
        stop_code="EssentialContainerExited",
        stopped_reason="Essential container in task exited",
    )
    diagnosis = diagnose(Observations(kind="test", tasks=(task,)))
    for finding in diagnosis.findings:
        assert {c.name for c in finding.checks} <= {c.name for c in CHECKS.get(finding.category, ())}
