"""The simulation and KMS sources planned on a built Plan: which calls, on which resources, for whom."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from diagnosis.checks import needs_of
from diagnosis.checks.evidence import LiveEvidence
from diagnosis.collect.aws import Outcome
from diagnosis.collect.plan import Plan
from diagnosis.collect.service_tasks import Core
from diagnosis.collect.sources import KMS, MAX_SIMULATIONS, MEMORY, SIMULATION
from diagnosis.collect.target import TargetSpec
from tests.builders import execution_role as built
from tests.builders.execution_role import (
    ACCOUNT,
    KEY,
    PARAM,
    REGION,
    REPOSITORY,
    ROLE,
    SECRET,
    SECRET_FULL,
    STREAM,
)


def plan_of(evidence: LiveEvidence, candidates: list[str]) -> Plan:
    core = Core(TargetSpec(cluster="prod", service="ledger"), None, evidence.tasks, evidence.task_definitions)
    return Plan(core, evidence, needs_of(candidates), candidates)


def simulations(evidence: LiveEvidence, candidates: list[str]) -> list[tuple[str, list[str], Any]]:
    calls = SIMULATION.plan(plan_of(evidence, candidates))
    assert {c.operation for c in calls.values()} <= {"simulate_principal_policy"}
    return sorted(
        (c.params["PolicySourceArn"], c.params["ActionNames"], c.params.get("ResourceArns"))
        for c in calls.values()
    )


def test_one_call_per_role_on_the_task_s_own_references() -> None:
    """Before, one call for the union of every candidate's actions, with no ResourceArns at all."""
    assert simulations(built.evidence(), ["image_pull_auth", "log_driver_init"]) == [
        (
            ROLE,
            [
                "ecr:BatchGetImage",
                "ecr:GetAuthorizationToken",
                "ecr:GetDownloadUrlForLayer",
                "logs:CreateLogStream",
                "logs:PutLogEvents",
            ],
            ["*", REPOSITORY, STREAM],  # "*" for ecr:GetAuthorizationToken, the only resource it takes
        ),
    ]
    assert simulations(built.evidence(), ["secrets_retrieval"]) == [
        (
            ROLE,
            ["kms:Decrypt", "secretsmanager:GetSecretValue", "ssm:GetParameters"],
            [KEY, SECRET_FULL, PARAM],
        ),
    ]
    td = built.definition(image="docker.io/library/nginx:1.27", secrets=[], logConfiguration=None)
    td["containerDefinitions"][0]["repositoryCredentials"] = {"credentialsParameter": SECRET_FULL}
    evidence = built.evidence(td, secrets={SECRET_FULL: "exists"}, secret_details={})
    assert simulations(evidence, ["image_pull_auth"]) == [
        (ROLE, ["secretsmanager:GetSecretValue"], [SECRET_FULL])
    ]


def test_each_role_is_simulated_on_its_own_task_s_needs() -> None:
    evidence = built.evidence()
    old = built.definition(role=built.OTHER_ROLE, arn=built.OLD_TD)
    evidence.task_definitions[built.OLD_TD] = old
    old_task = {
        **evidence.tasks[0],
        "taskArn": evidence.tasks[0]["taskArn"][:-4] + "beef",
        "taskDefinitionArn": built.OLD_TD,
    }
    evidence.tasks.append(old_task)
    evidence.explained = {"image_pull_auth": ["9f" * 14 + "beef"], "log_driver_init": ["9f" * 16]}
    found = simulations(evidence, ["image_pull_auth", "log_driver_init"])
    assert [(r, a) for r, a, _ in found] == [
        (built.OTHER_ROLE, ["ecr:BatchGetImage", "ecr:GetAuthorizationToken", "ecr:GetDownloadUrlForLayer"]),
        (ROLE, ["logs:CreateLogStream", "logs:PutLogEvents"]),
    ]


def test_a_cause_with_no_role_references_plans_no_simulation() -> None:
    td = built.definition(image="docker.io/library/nginx:1.27", secrets=[])
    assert simulations(built.evidence(td), ["image_pull_auth"]) == []
    assert simulations(built.evidence(), ["oom"]) == []


def test_no_execution_role_on_ec2_is_a_gap_naming_the_instance_role_and_the_actions() -> None:
    evidence = built.evidence(built.definition(role=None), launch="EC2")
    assert simulations(evidence, ["image_pull_auth"]) == []
    [gap] = evidence.gaps
    assert gap.what.startswith("whether the container instance role of ledger:12 may ")
    assert f"ecr:BatchGetImage, ecr:GetDownloadUrlForLayer on {REPOSITORY}" in gap.what
    assert "check it by hand" in gap.reason
    fargate = built.evidence(built.definition(role=None))
    assert simulations(fargate, ["image_pull_auth"]) == [] and fargate.gaps == []  # the check confirms it


def test_simulations_past_the_bound_are_gaps_not_dropped() -> None:
    evidence = built.evidence()
    roles = [f"arn:aws:iam::{ACCOUNT}:role/exec-{i}" for i in range(MAX_SIMULATIONS + 1)]
    categories = ["image_pull_auth", "log_driver_init", "secrets_retrieval"][: len(roles)]
    for i, (arn, category) in enumerate(zip(roles, categories, strict=False)):
        td_arn = f"{built.TD[:-3]}:{20 + i}"
        evidence.task_definitions[td_arn] = built.definition(role=arn, arn=td_arn)
        task_id = f"{i:02d}" * 16
        evidence.tasks.append(
            {
                **evidence.tasks[0],
                "taskArn": f"arn:aws:ecs:{REGION}:{ACCOUNT}:task/prod/{task_id}",
                "taskDefinitionArn": td_arn,
            }
        )
        evidence.explained[category] = [task_id]
    calls = SIMULATION.plan(plan_of(evidence, categories))
    assert len(calls) == MAX_SIMULATIONS
    [gap] = evidence.gaps
    assert "not simulated" in gap.reason and gap.what.startswith("whether the execution role arn:")


def test_both_answer_shapes_are_read_per_resource() -> None:
    evidence = LiveEvidence()
    other = SECRET_FULL.replace("ledger/db", "ledger/cache")
    current = {
        "EvalActionName": "secretsmanager:GetSecretValue",
        "EvalDecision": "implicitDeny",
        "ResourceSpecificResults": [
            {"EvalResourceName": SECRET_FULL, "EvalResourceDecision": "allowed"},
            {"EvalResourceName": other, "EvalResourceDecision": "implicitDeny"},
        ],
    }
    legacy = [
        {"EvalActionName": "ssm:GetParameters", "EvalResourceName": PARAM, "EvalDecision": "explicitDeny"},
        {"EvalActionName": "ecr:GetAuthorizationToken", "EvalResourceName": "*", "EvalDecision": "allowed"},
    ]
    SIMULATION.absorb(
        evidence,
        {
            f"simulate:0:{ROLE}": Outcome(data={"EvaluationResults": [current]}),
            f"simulate:1:{ROLE}": Outcome(data={"EvaluationResults": legacy}),
            "simulate:2:arn:aws:iam::1:role/x": Outcome(error="AccessDenied"),
        },
    )
    assert evidence.simulation == {
        (ROLE, "secretsmanager:GetSecretValue", SECRET_FULL): "allowed",
        (ROLE, "secretsmanager:GetSecretValue", other): "implicitDeny",
        (ROLE, "ssm:GetParameters", PARAM): "explicitDeny",
        (ROLE, "ecr:GetAuthorizationToken", "*"): "allowed",
    }


def test_kms_describes_the_keys_of_the_task_s_own_secrets_unless_named_aws_managed() -> None:
    evidence = built.evidence(
        secret_details={
            SECRET: {"ARN": SECRET_FULL, "KmsKeyId": "alias/ledger"},
            built.PARAM_NAME: {"KeyId": "alias/aws/ssm"},
            "arn:aws:secretsmanager:x:1:secret:not-referenced": {"KmsKeyId": KEY},
        },
        kms_keys={},
    )
    calls = KMS.plan(plan_of(evidence, ["secrets_retrieval"]))
    assert [(c.operation, c.params) for c in calls.values()] == [("describe_key", {"KeyId": "alias/ledger"})]
    assert KMS.plan(plan_of(evidence, ["oom"])) == {}
    KMS.absorb(
        evidence,
        {
            "kms:alias/ledger": Outcome(
                data={
                    "KeyMetadata": {
                        "Arn": KEY,
                        "KeyManager": "CUSTOMER",
                        "KeyState": "Enabled",
                        "Description": "x",
                    }
                }
            ),
            "kms:alias/gone": Outcome(error="NotFoundException"),
        },
    )
    assert evidence.kms_keys == {
        "alias/ledger": {"Arn": KEY, "KeyManager": "CUSTOMER", "KeyState": "Enabled"},
        "alias/gone": "NotFoundException",
    }


def test_memory_is_asked_the_same_from_any_page_and_trimmed_to_the_kills() -> None:
    """A big service's memory read planned from its first page of stopped tasks is the call planned from
    every page (so the read ahead is used), and the check sees only the samples around the kills."""
    read_at = datetime(2026, 3, 1, 12, 0, 30, tzinfo=UTC)
    stops = [
        {"taskArn": f"t{n}", "lastStatus": "STOPPED", "stoppedAt": read_at - timedelta(minutes=50 - 5 * n)}
        for n in range(10)
    ]  # one every 5 minutes, the last 5 minutes before the diagnosis
    service = {"serviceName": "ledger"}

    def memory_call(tasks: list[dict[str, Any]]) -> Any:
        core = Core(TargetSpec(cluster="prod", service="ledger"), service, tasks, read_at=read_at)
        evidence = LiveEvidence(region=REGION, service=service, tasks=tasks)
        return MEMORY.plan(Plan(core, evidence, needs_of(["oom"]), ["oom"]))["memory"]

    whole = memory_call(stops)
    assert memory_call(stops[:3]) == whole == memory_call(stops[-3:])  # oldest first, newest first
    assert whole.params["StartTime"] <= stops[0]["stoppedAt"] - timedelta(hours=1)
    assert whole.params["EndTime"] >= stops[-1]["stoppedAt"] + timedelta(minutes=5)

    minutes = [whole.params["StartTime"] + timedelta(minutes=m) for m in range(0, 200, 10)]
    answer = {"MetricDataResults": [{"Id": "m0", "Timestamps": minutes, "Values": list(range(len(minutes)))}]}
    evidence = LiveEvidence(region=REGION, service=service, tasks=stops)
    MEMORY.absorb(evidence, {"memory": Outcome(data=answer)})
    [kept] = evidence.memory or []
    first, last = stops[0]["stoppedAt"], stops[-1]["stoppedAt"]
    assert kept["Timestamps"] == [
        t for t in minutes if last - timedelta(hours=2) <= t <= last + timedelta(minutes=5)
    ]
    assert first - timedelta(hours=1) > last - timedelta(hours=2)  # the window reaches 2 h before the last
    assert kept["Values"] == [minutes.index(t) for t in kept["Timestamps"]]
