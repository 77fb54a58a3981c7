"""The execution role, as a user reads it from `ecs-why diagnose`: a secret encrypted with a customer-managed
key that the role may not decrypt.

Its own service in the shared sandbox (staged with the demo's machinery, taken away after the module):
a secret encrypted under a KMS alias and a SecureString parameter, referenced by its bare name, under the
same key. moto implements kms:DescribeKey (so the key is stated as customer-managed) but not
iam:SimulatePrincipalPolicy, so the answer must say which role and which actions on which resources to
check by hand, and still fill the role into the commands (the simulation's verdicts are unit-tested with a
stand-in evaluator: tests/diagnosis/collect/test_cause_evidence.py).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from moto.backends import get_backend

from bot.demo.access import ECS_TASKS_TRUST
from bot.demo.registry import create_repositories
from bot.demo.sandbox import sandbox_session
from bot.demo.scenarios import Sandbox
from bot.demo.spec import Revision, Scenario, Stop, Tasks
from bot.demo.stage import stage
from bot.demo.world import World
from tests.e2e.conftest import run_cli

SERVICE = "payouts"
PARAMETER = "/payouts/webhook-signing"
ALIAS = "alias/payouts-secrets"


@dataclass(frozen=True)
class Seeded:
    role: str
    key: str
    secret: str
    parameter: str  # the parameter's ARN, which the task names only by its name
    cluster: str


@pytest.fixture(scope="module")
def payouts(endpoint: str, sandbox: Sandbox) -> Iterator[Seeded]:
    session = sandbox_session(sandbox.region)
    world = World(session, sandbox.account, sandbox.region, endpoint, datetime.now(UTC))
    world.ids.update(sandbox.ids)
    kms = world._client("kms")
    ssm = world._client("ssm")
    key = kms.create_key(Description="payouts secrets")["KeyMetadata"]
    kms.create_alias(AliasName=ALIAS, TargetKeyId=key["KeyId"])
    secret = world.secrets.create_secret(Name="payouts/ledger-token", SecretString="x", KmsKeyId=ALIAS)["ARN"]
    ssm.put_parameter(Name=PARAMETER, Value="x", Type="SecureString", KeyId=key["Arn"])
    trust = json.dumps(ECS_TASKS_TRUST)
    role = world.iam.create_role(RoleName="payouts-exec", AssumeRolePolicyDocument=trust)["Role"]["Arn"]
    world.ids[f"task_role_{SERVICE}"] = world.iam.create_role(
        RoleName="payouts-task", AssumeRolePolicyDocument=trust
    )["Role"]["Arn"]
    create_repositories(world, {SERVICE: ("3.1.0",)})
    reason = (
        "ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval "
        "failed: unable to retrieve secrets from ssm: service call has been retried 1 time(s): "
        f"AccessDeniedException: User: arn:aws:sts::{sandbox.account}:assumed-role/payouts-exec/7f3e is not "
        f"authorized to perform: kms:Decrypt on resource: {key['Arn']} because no identity-based policy "
        "allows the kms:Decrypt action"
    )
    stage(
        world,
        Scenario(
            service=SERVICE,
            pushed=("3.1.0",),
            revisions=(
                Revision(
                    "3.1.0",
                    rollout="IN_PROGRESS",
                    deployed=timedelta(minutes=26),
                    updated=timedelta(minutes=4),
                    secrets={"LEDGER_TOKEN": secret, "WEBHOOK_KEY": PARAMETER},
                    definition={"executionRoleArn": role},
                ),
            ),
            desired=1,
            tasks=(
                Tasks(
                    4,
                    first=timedelta(minutes=25),
                    every=timedelta(minutes=6),
                    stop=Stop("TaskFailedToStart", reason, after=52),
                ),
            ),
            category="secrets_retrieval",
            story="the execution role may not decrypt with the key that encrypts the payouts secrets",
        ),
    )
    parameter = f"arn:aws:ssm:{sandbox.region}:{sandbox.account}:parameter{PARAMETER}"
    try:
        yield Seeded(role, key["Arn"], secret, parameter, sandbox.cluster)
    finally:
        _take_away(world, kms, ssm, key["KeyId"], secret, sandbox)


def _take_away(world: World, kms: Any, ssm: Any, key_id: str, secret: str, sandbox: Sandbox) -> None:
    """Leave the shared sandbox as it was: the service, its tasks and revisions, the secrets, key and roles."""
    ecs = world.ecs_backend
    ecs.services.pop(f"{sandbox.cluster}:{SERVICE}", None)
    tasks = ecs.tasks.get(sandbox.cluster, {})
    for arn in [
        a for a, t in tasks.items() if t.task_definition_arn.rsplit("/", 1)[-1].startswith(f"{SERVICE}:")
    ]:
        for attachment in tasks.pop(arn).attachments:
            for detail in attachment.get("details", []):
                if detail.get("name") == "networkInterfaceId":
                    world.ec2_backend.delete_network_interface(detail["value"])
    ecs.task_definitions.pop(SERVICE, None)
    world.secrets.delete_secret(SecretId=secret, ForceDeleteWithoutRecovery=True)
    ssm.delete_parameter(Name=PARAMETER)
    kms.delete_alias(AliasName=ALIAS)
    get_backend("kms")[sandbox.account][sandbox.region].keys.pop(key_id, None)
    for name in ("payouts-exec", "payouts-task"):
        world.iam.delete_role(RoleName=name)
    world.ecr.delete_repository(repositoryName=SERVICE, force=True)
    world.logs.delete_log_group(logGroupName=f"/ecs/{SERVICE}")


def diagnosis(endpoint: str, seeded: Seeded) -> dict[str, Any]:
    result = run_cli("diagnose", SERVICE, "--cluster", seeded.cluster, "--format", "json", endpoint=endpoint)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    doc: dict[str, Any] = json.loads(result.stdout)
    return doc


def test_the_customer_managed_key_is_stated_and_the_role_to_check_by_hand_is_named(
    endpoint: str, payouts: Seeded
) -> None:
    doc = diagnosis(endpoint, payouts)
    [finding] = [f for f in doc["findings"] if f["category"] == "secrets_retrieval"]
    facts = " ".join(item["fact"] for item in finding["evidence"])
    # kms:DescribeKey read the key behind the alias: customer-managed, so the role needs kms:Decrypt on it
    assert (
        f"the secret {payouts.secret} exists, encrypted with the customer-managed KMS key {ALIAS} ({payouts.key}): "
        f"the execution role {payouts.role} needs kms:Decrypt on it"
    ) in facts
    assert (
        f"the parameter {PARAMETER} exists, encrypted with the customer-managed KMS key {payouts.key}"
        in facts
    )
    # The simulation is unavailable (moto): a gap names the role and exactly the task's own actions and resources
    [gap] = [g for g in doc["gaps"] if payouts.role in g["what"]]
    assert gap["what"].startswith(f"whether the execution role {payouts.role} may ")
    for pair in (
        f"kms:Decrypt on {payouts.key}",
        f"secretsmanager:GetSecretValue on {payouts.secret}",
        f"ssm:GetParameters on {payouts.parameter}",
    ):
        assert pair in gap["what"]
    assert "ecr:" not in gap["what"] and "logs:" not in gap["what"]  # not the other causes' actions
    [check] = [c for c in finding["checks"] if c["name"] == "execution_role"]
    assert check["outcome"] == "inconclusive"
    assert f"check by hand that the execution role {payouts.role} may" in check["detail"]
    commands = " ".join(r.get("command") or "" for r in finding["remediations"])
    assert f"--policy-source-arn {payouts.role}" in commands
    assert "<execution_role_arn>" not in commands and "<role_name>" not in commands


def test_the_role_and_key_cost_no_round_more(endpoint: str, payouts: Seeded) -> None:
    stats = diagnosis(endpoint, payouts)["stats"]
    assert stats["tasks_stopped"] == 4
    assert stats["rounds"] <= 4 and stats["api_calls"] <= 15
