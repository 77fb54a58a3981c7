"""The session policies of a change allow what the change calls, and nothing else.

Evaluated with moto's IAM policy evaluator (Action/Resource matching with wildcards, Condition operators):
every call a click makes (plan at click, plan and apply at confirm, follow) is checked against the policy
of the session it went through, and every action of the services the bot touches is tried on the
service, its neighbours, the task's roles and others, to show the policy grants exactly the expected pairs.
How an ECS call maps to its IAM action and resource is written out here (the Service Authorization
Reference), independently of the code under test.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import botocore.session
import pytest
from moto.iam.access_control import IAMPolicy, PermissionResult

from bot.authz import Operators
from bot.remediation.executor import Remediator
from bot.remediation.kinds import PLANNERS, READS, Plan, PlanError
from bot.remediation.scope import WITHOUT_RESOURCES, change_policy, read_policy
from bot.remediation.why_not import PlanUnscoped
from bot.store import Store
from bot.store.records import FixTarget
from diagnosis.actions import ServiceParams
from tests.builders.ecs_service import ACCOUNT, CLUSTER, REGION, SERVICE, TD, Ecs
from tests.builders.remediation import pending

USER = "U0OP"
SERVICE_ARN = f"arn:aws:ecs:{REGION}:{ACCOUNT}:service/{CLUSTER}/{SERVICE}"
TASK_ROLE = f"arn:aws:iam::{ACCOUNT}:role/web-task"
EXECUTION_ROLE = f"arn:aws:iam::{ACCOUNT}:role/web-execution"
TARGET = {"account": ACCOUNT, "account_alias": None, "region": REGION, "cluster": CLUSTER, "service": SERVICE}
# What a policy is tried on: the service, its neighbours, other accounts and regions, roles, anything.
CANDIDATES = (
    SERVICE_ARN,
    f"arn:aws:ecs:{REGION}:{ACCOUNT}:service/{CLUSTER}/other",
    f"arn:aws:ecs:{REGION}:{ACCOUNT}:service/staging/{SERVICE}",
    f"arn:aws:ecs:eu-west-1:{ACCOUNT}:service/{CLUSTER}/{SERVICE}",
    f"arn:aws:ecs:{REGION}:210987654321:service/{CLUSTER}/{SERVICE}",
    f"arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/{CLUSTER}",
    f"{TD}:2",
    TASK_ROLE,
    EXECUTION_ROLE,
    f"arn:aws:iam::{ACCOUNT}:role/admin",
    f"arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/web-stack/1a2b",
    f"arn:aws:cloudformation:{REGION}:210987654321:stack/web-stack/1a2b",
    "*",
)
STACK_ARN = CANDIDATES[-3]
SERVICES = (
    "ecs",
    "iam",
    "sts",
    "ec2",
    "logs",
    "ssm",
    "secretsmanager",
    "elbv2",
    "cloudformation",
    "cloudtrail",
    "ecr",
    "s3",
)
TO_TASKS = {"iam:PassedToService": "ecs-tasks.amazonaws.com"}


def permitted(
    policy: dict[str, Any] | IAMPolicy, action: str, resource: str, context: dict[str, str] | None = None
) -> bool:
    evaluator = policy if isinstance(policy, IAMPolicy) else IAMPolicy(json.dumps(policy))
    return evaluator.is_action_permitted(action, resource, None, context or {}) is PermissionResult.PERMITTED


def iam_needs(operation: str, params: dict[str, Any]) -> list[tuple[str, str, dict[str, str]]]:
    """(IAM action, resource, condition context) that AWS authorizes a call by."""
    if operation == "DescribeStackResources":
        name = params["StackName"]
        return [
            (
                f"cloudformation:{operation}",
                f"arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/{name}/1a2b",
                {},
            )
        ]
    if operation == "LookupEvents":
        return [(f"cloudtrail:{operation}", "*", {})]
    if operation == "DescribeServices":
        cluster = params["cluster"].rsplit("/", 1)[-1]
        return [(f"ecs:{operation}", f"arn:aws:ecs:{REGION}:{ACCOUNT}:service/{cluster}/{s}", {})
                for s in params["services"]]  # fmt: skip
    if operation == "UpdateService":
        cluster = params["cluster"].rsplit("/", 1)[-1]
        return [
            (f"ecs:{operation}", f"arn:aws:ecs:{REGION}:{ACCOUNT}:service/{cluster}/{params['service']}", {})
        ]
    if operation == "DescribeTaskDefinition":
        return [(f"ecs:{operation}", "*", {})]
    if operation == "RegisterTaskDefinition":
        roles = [params[k] for k in ("taskRoleArn", "executionRoleArn") if params.get(k)]
        return [(f"ecs:{operation}", "*", {}), *[("iam:PassRole", r, TO_TASKS) for r in roles]]
    raise AssertionError(f"ecs:{operation}: write down how AWS authorizes it before a remediation calls it")


@dataclass
class Recorder:
    """A session factory that records each ECS call with the session policy it was made under."""

    calls: list[tuple[str, dict[str, Any], dict[str, Any]]] = field(default_factory=list)
    policies: list[dict[str, Any]] = field(default_factory=list)

    def __call__(
        self, user: str, account: str | None, region: str | None, policy: dict[str, Any]
    ) -> boto3.Session:
        assert user == USER
        self.policies.append(policy)
        session = boto3.Session(region_name=region or REGION)

        def record(params: dict[str, Any], model: Any, **_: Any) -> None:
            self.calls.append((model.name, dict(params), policy))

        session.events.register("provide-client-params", record)
        return session


def with_roles(ecs: Ecs) -> str:
    """Revision :3 of the family with a task role and an execution role, and the service on it."""
    definition = ecs.client.describe_task_definition(taskDefinition=f"{TD}:2")["taskDefinition"]
    arn = ecs.client.register_task_definition(
        family="web",
        networkMode="awsvpc",
        containerDefinitions=definition["containerDefinitions"],
        requiresCompatibilities=["FARGATE"],
        cpu="256",
        memory="512",
        taskRoleArn=TASK_ROLE,
        executionRoleArn=EXECUTION_ROLE,
    )["taskDefinition"]["taskDefinitionArn"]
    ecs.client.update_service(cluster=CLUSTER, service=SERVICE, taskDefinition=arn)
    return str(arn)


def rolled_back_from_3(ecs: Ecs) -> None:
    with_roles(ecs)
    ecs.service().deployments = [
        ecs.deployment(3, "PRIMARY", "IN_PROGRESS", 1),
        ecs.deployment(2, "ACTIVE", "COMPLETED", 60),
    ]


@dataclass(frozen=True)
class Case:
    params: Callable[[Ecs], dict[str, Any]]
    grants: frozenset[tuple[str, str]]  # what the change's policy must allow, and all it may; "*": anything


WHERE = {"cluster": CLUSTER, "service": SERVICE}
UPDATE = frozenset({("ecs:UpdateService", SERVICE_ARN)})
CASES: dict[str, Case] = {
    "raise_grace_period": Case(lambda e: {**WHERE, "seconds": 190}, UPDATE),
    "force_new_deployment": Case(lambda e: dict(WHERE), UPDATE),
    "enable_circuit_breaker": Case(lambda e: dict(WHERE), UPDATE),
    "enable_execute_command": Case(lambda e: dict(WHERE), UPDATE),
    "rollback": Case(lambda e: (rolled_back_from_3(e), dict(WHERE))[1], UPDATE),
    "increase_memory": Case(
        lambda e: {**WHERE, "task_definition": with_roles(e)},
        UPDATE
        | {
            ("ecs:RegisterTaskDefinition", "*"),
            ("iam:PassRole", TASK_ROLE),
            ("iam:PassRole", EXECUTION_ROLE),
        },
    ),
}


def test_every_kind_has_a_case() -> None:
    assert set(CASES) == set(PLANNERS), "say here what each new kind's credentials may do"


def test_the_declared_reads_are_the_ones_without_resource_level_permissions() -> None:
    assert {a for reads in READS.values() for a in reads} <= WITHOUT_RESOURCES


def all_actions() -> list[str]:
    session = botocore.session.get_session()
    actions = []
    for name in SERVICES:
        model = session.get_service_model(name)
        prefix = model.metadata.get("signingName") or model.endpoint_prefix
        actions += [f"{prefix}:{op}" for op in model.operation_names]
    return [*actions, "iam:PassRole"]


ACTIONS = all_actions()


def granted(policy: dict[str, Any]) -> set[tuple[str, str]]:
    """Every (action, candidate resource) the policy allows; PassRole only to ECS tasks counts."""
    evaluator = IAMPolicy(json.dumps(policy))
    return {
        (a, r)
        for a in ACTIONS
        for r in CANDIDATES
        if permitted(evaluator, a, r, TO_TASKS if a == "iam:PassRole" else None)
    }


def expand(grants: frozenset[tuple[str, str]]) -> set[tuple[str, str]]:
    return {(a, c) for a, r in grants for c in (CANDIDATES if r == "*" else (r,))}


def run_click(store: Store, kind: str, params: dict[str, Any]) -> tuple[Recorder, Plan]:
    recorder = Recorder()
    r = Remediator(store, Operators([USER], lambda g: set()), recorder, ttl_seconds=60)
    key = r.offer(pending({"kind": kind, "params": params}, TARGET))
    authorised, plan = r.plan(USER, key)
    result = r.apply(USER, key)
    assert result.ok, result.error
    r.follow(authorised.pending, USER, lambda text: None, timeout_seconds=0, interval_seconds=0)
    return recorder, plan


@pytest.mark.parametrize("kind", sorted(CASES))
def test_each_call_of_a_click_is_allowed_by_the_policy_of_its_session(
    kind: str, store: Store, ecs: Ecs
) -> None:
    recorder, plan = run_click(store, kind, CASES[kind].params(ecs))
    assert recorder.calls, "the click made ECS calls"
    writes = [c for c in recorder.calls if not c[0].startswith("Describe")]
    assert writes, f"{kind} changed something"
    for operation, params, policy in recorder.calls:
        for action, resource, context in iam_needs(operation, params):
            assert permitted(policy, action, resource, context), f"{action} on {resource} denied to {kind}"
    assert change_policy(plan) in recorder.policies, "the change ran under its own policy"


@pytest.mark.parametrize("kind", sorted(CASES))
def test_the_change_policy_allows_the_change_and_nothing_else(kind: str, store: Store, ecs: Ecs) -> None:
    _, plan = run_click(store, kind, CASES[kind].params(ecs))
    policy = change_policy(plan)
    assert granted(policy) == expand(CASES[kind].grants)
    assert len(json.dumps(policy, separators=(",", ":"))) <= 2048, "STS's limit for a session policy"


@pytest.mark.parametrize("kind", sorted(CASES))
def test_the_read_policy_reads_the_service_and_nothing_else(kind: str) -> None:
    policy = read_policy(kind, ServiceParams(**WHERE), FixTarget(**TARGET))
    everywhere = {"cloudtrail:LookupEvents", *READS.get(kind, ())}  # no resource-level permission exists
    expected = {("ecs:DescribeServices", SERVICE_ARN), ("cloudformation:DescribeStackResources", STACK_ARN)}
    assert granted(policy) == expected | {(a, c) for a in everywhere for c in CANDIDATES}
    reads = {"ecs:DescribeServices", "ecs:DescribeTaskDefinition", "cloudformation:DescribeStackResources"}
    assert not {a for a, _ in granted(policy)} - reads - {"cloudtrail:LookupEvents"}, "reads only"


def test_the_change_policy_reads_as_one_call_on_one_service() -> None:
    plan = Plan("raise_grace_period", "t", [], "cli", "update_service", {}, resource=SERVICE_ARN)
    assert change_policy(plan) == {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "TheChange", "Effect": "Allow", "Action": ["ecs:UpdateService"], "Resource": SERVICE_ARN}
        ],
    }


def test_a_new_revision_passes_its_roles_to_ecs_tasks_only() -> None:
    plan = Plan(
        "increase_memory", "t", [], "cli", "update_service", {}, resource=SERVICE_ARN, registers=True,
        passes=(TASK_ROLE,),
    )  # fmt: skip
    policy = change_policy(plan)
    assert permitted(policy, "iam:PassRole", TASK_ROLE, TO_TASKS)
    assert not permitted(policy, "iam:PassRole", TASK_ROLE, {"iam:PassedToService": "lambda.amazonaws.com"})
    assert not permitted(policy, "iam:PassRole", EXECUTION_ROLE, TO_TASKS)


def test_a_plan_without_its_service_cannot_be_scoped() -> None:
    with pytest.raises(PlanError) as refused:
        change_policy(Plan("rollback", "t", [], "cli", "update_service", {}))
    assert refused.value.reason == PlanUnscoped(kind="rollback")


def test_the_read_policy_of_an_unknown_account_still_names_the_service() -> None:
    where = ServiceParams(cluster=f"arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/{CLUSTER}", service=SERVICE)
    policy = read_policy("rollback", where, FixTarget())
    statement = policy["Statement"][0]  # the service; then what the plan reads (no resource-level permission)
    assert statement["Resource"] == f"arn:aws:ecs:*:*:service/{CLUSTER}/{SERVICE}"
    assert not permitted(
        policy, "ecs:DescribeServices", f"arn:aws:ecs:{REGION}:{ACCOUNT}:service/{CLUSTER}/other"
    )


ROLE_POLICY = json.loads(
    (Path(__file__).parents[3] / "deploy" / "iam" / "remediation-policy.json").read_text()
)
MANAGED = {"aws:ResourceTag/ecs-why:managed": "true"}


@pytest.mark.parametrize("kind", sorted(CASES))
def test_the_shipped_role_policy_allows_what_each_session_policy_allows(
    kind: str, store: Store, ecs: Ecs
) -> None:
    """A session policy only narrows the role: what it allows must be in deploy/iam/remediation-policy.json,
    for a service tagged ecs-why:managed=true, and the update is refused for an untagged one."""
    _, plan = run_click(store, kind, CASES[kind].params(ecs))
    for policy in (change_policy(plan), read_policy(kind, ServiceParams(**WHERE), FixTarget(**TARGET))):
        for action, resource in granted(policy):
            context = {**MANAGED, **TO_TASKS}
            assert permitted(ROLE_POLICY, action, resource, context), f"the role lacks {action} on {resource}"
    assert not permitted(
        ROLE_POLICY, "ecs:UpdateService", SERVICE_ARN, {"aws:ResourceTag/ecs-why:managed": "no"}
    )
