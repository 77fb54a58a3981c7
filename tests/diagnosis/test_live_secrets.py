"""Nothing secret in a task definition reaches a live diagnosis, whichever check quotes it.

The revision diff quotes `command`, `entryPoint` and `healthCheck`; the log check quotes log lines. A task
definition full of secrets goes through the whole live path (moto), and its JSON output must hold none.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest

from diagnosis.collect import aws as aws_module
from diagnosis.collect.sources import MAX_SECRETS
from diagnosis.contract import to_json
from diagnosis.live import diagnose_live
from diagnosis.models import Diagnosis, Finding
from tests.builders.moto_world import ACCOUNT, REGION, World, moto_session
from tests.fakes.iam_simulator import IamSimulator

SECRETS = {
    "password": "Hunter2Secret!x9",
    "api_key": "sk_live_51HabcdefghijklmnopQRSTuv",
    "aws_secret": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "url_password": "S3cretPassw0rd",
    "env_value": "postgres-pw-8c1f2e",
    "log_token": "ghp_abcdefghijklmnopqrstuvwxyz0123456789",
}


@pytest.fixture
def world() -> Iterator[World]:
    with moto_session() as session:
        yield World(session)


def seed(world: World, family: str, group: str) -> None:
    cluster = world.cluster("payments")
    steady = world.task_definition(family=family, image="shop:v7", log_group=group)
    failing = world.task_definition(
        family=family,
        image="shop:v8",
        log_group=group,
        command=[f"--db-password={SECRETS['password']}", "--api-key", SECRETS["api_key"]],
        entryPoint=["sh", "-c", f"export AWS_SECRET_ACCESS_KEY={SECRETS['aws_secret']} && exec /app"],
        healthCheck={
            "command": ["CMD-SHELL", f"curl -f http://admin:{SECRETS['url_password']}@localhost/health"],
            "interval": 15,
            "retries": 4,
        },
        environment=[{"name": "DB_PASSWORD", "value": SECRETS["env_value"]}],
    )
    service = world.service(cluster, family, failing)
    arns = [
        world.task(
            cluster,
            family,
            failing,
            "EssentialContainerExited",
            "Essential container in task exited",
            None,
            3,
        )
        for _ in range(4)
    ]
    world.write_logs(group, arns[-1], "booting", f"fatal: token {SECRETS['log_token']} rejected, exiting")
    now = world.clock
    service.deployments = [
        _deployment(failing, "PRIMARY", "IN_PROGRESS", now - timedelta(minutes=5)),
        _deployment(steady, "ACTIVE", "COMPLETED", now - timedelta(days=2)),
    ]


def _deployment(arn: str, status: str, rollout: str, created: object) -> dict[str, object]:
    return {
        "id": f"ecs-svc/{arn.rsplit(':', 1)[-1]}",
        "status": status,
        "taskDefinition": arn,
        "desiredCount": 2,
        "runningCount": 0,
        "failedTasks": 4,
        "createdAt": created,
        "updatedAt": created,
        "rolloutState": rollout,
    }


@pytest.mark.parametrize(("family", "group"), [("checkout", "/ecs/checkout"), ("ledger-api", "/svc/ledger")])
def test_a_task_definition_full_of_secrets_leaks_nothing(world: World, family: str, group: str) -> None:
    seed(world, family, group)
    diagnosis = diagnose_live(world.session, family, cluster="payments", cache={})
    output = to_json(diagnosis)
    checks = {c.name: c for f in diagnosis.findings for c in f.checks}
    # the checks did quote the changed command, health check and log line (the test is not vacuous) …
    assert checks["revision_diff"].outcome == "confirms"
    assert "command" in (checks["revision_diff"].detail or "")
    assert "healthCheck" in (checks["revision_diff"].detail or "")
    assert checks["log_tail"].outcome == "confirms"
    # … and no secret value survived, in any field
    leaked = [name for name, value in SECRETS.items() if value in output]
    assert leaked == []


# --- what a task's secret references ask for, read live (moto: ecs, secretsmanager, ssm, kms; IAM's
# simulation, which moto lacks, by tests/fakes/iam_simulator.py) ----------------------------------------

ROLE = f"arn:aws:iam::{ACCOUNT}:role/ecsTaskExecutionRole"
VALUE = '{"password": "Xq7-never-shown-9Lm", "user": "shop"}'
# The stopped reason ECS gives when it does not name the secret (resource-initialization-error.html)
UNSAID = "ResourceInitializationError: unable to pull secrets or registry auth"


@contextmanager
def simulated_iam(grants: dict[str, list[tuple[str, str]]]) -> Iterator[list[str]]:
    """Every client the diagnosis makes records the operations it calls; its IAM client answers
    SimulatePrincipalPolicy from `grants`."""
    real = aws_module.Aws.client
    called: list[str] = []

    def client(self: Any, service: str, region: str = "") -> Any:
        made = real(self, service, region)
        if not getattr(made, "_recorded", False):
            made._recorded = True
            made.meta.events.register("before-call", lambda model, **_: called.append(model.name))
            if service == "iam":
                IamSimulator(made, grants)
        return made

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(aws_module.Aws, "client", client)
        yield called


def seed_secrets(world: World, references: list[dict[str, str]], reason: str = UNSAID) -> None:
    cluster = world.cluster("shop")
    td = world.task_definition(family="orders", secrets=references)
    world.service(cluster, "orders", td)
    for _ in range(2):
        world.task(cluster, "orders", td, "TaskFailedToStart", reason)


def finding_of(
    world: World, grants: dict[str, list[tuple[str, str]]]
) -> tuple[Diagnosis, list[str], Finding]:
    """The diagnosis of the orders service, the operations it called, and its secrets finding."""
    with simulated_iam(grants) as called:
        diagnosis = diagnose_live(world.session, "orders", cluster="shop", cache={})
    [finding] = [f for f in diagnosis.findings if f.category == "secrets_retrieval"]
    return diagnosis, called, finding


def test_a_version_stage_the_secret_lacks_and_a_missing_parameter_each_get_their_steps(world: World) -> None:
    secret = world.session.client("secretsmanager").create_secret(Name="prod/db", SecretString=VALUE)["ARN"]
    seed_secrets(
        world,
        [
            {"name": "DB_PASSWORD", "valueFrom": f"{secret}:password:AWSPREVIOUS:"},
            {"name": "API_KEY", "valueFrom": "/prod/api-key"},
        ],
    )
    diagnosis, called, finding = finding_of(world, {ROLE: [("*", "*")]})
    checks = {c.name: c.detail or "" for c in finding.checks}
    assert "/prod/api-key" in checks["secret_exists"]
    assert (
        f"the secret {secret} has no version labelled AWSPREVIOUS, which {secret}:password:AWSPREVIOUS: asks "
        "for (its versions carry AWSCURRENT)" in checks["secret_access"]
    )
    assert (
        "asks for the JSON key password of the secret's value, which is not read" in checks["secret_access"]
    )
    commands = [r.command or "" for r in finding.remediations]
    assert (
        "aws ssm get-parameter --name /prod/api-key --query 'Parameter.[Name,Type,Version,LastModifiedDate]' "
        f"--region {REGION}" in commands
    )
    assert (
        f"aws secretsmanager describe-secret --secret-id {secret} --query VersionIdsToStages --region {REGION}"
        in commands
    )
    assert not any(":password:" in c for c in commands), "every command names the secret by its own ARN"
    # the value was never asked for, and appears nowhere
    assert "GetSecretValue" not in called and "GetParameters" not in called and "GetParameter" not in called
    assert "never-shown" not in to_json(diagnosis)


def test_a_role_that_may_not_read_the_secret_is_named_with_the_action_and_the_resource(world: World) -> None:
    kms = world.session.client("kms")
    key = kms.create_key(Description="orders")["KeyMetadata"]["Arn"]
    sm = world.session.client("secretsmanager")
    secret = sm.create_secret(Name="prod/db", SecretString=VALUE, KmsKeyId=key)["ARN"]
    world.session.client("ssm").put_parameter(Name="/prod/flag", Value="on", Type="String")
    seed_secrets(
        world,
        [{"name": "DB", "valueFrom": f"{secret}:password::"}, {"name": "FLAG", "valueFrom": "/prod/flag"}],
    )
    grants = {ROLE: [("ssm:GetParameters", "*"), ("kms:Decrypt", "*")]}
    _, _, finding = finding_of(world, grants)
    role = {c.name: c for c in finding.checks}["execution_role"]
    assert role.outcome == "confirms"
    assert f"the execution role {ROLE} is not allowed secretsmanager:GetSecretValue on {secret}" in (
        role.detail or ""
    )
    grant = re.compile(
        r"aws iam put-role-policy --role-name ecsTaskExecutionRole --policy-name ecs-secrets-access-\w+ "
        + re.escape(
            '--policy-document \'{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":'
            f'"secretsmanager:GetSecretValue","Resource":"{secret}"}}]}}\''
        )
    )
    assert any(grant.match(r.command or "") for r in finding.remediations), "the fix grants just that"
    flag = f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/prod/flag"
    assert f"is allowed kms:Decrypt on {key}; ssm:GetParameters on {flag}" in (role.detail or "")
    # …and without kms:Decrypt on the customer-managed key, that is named too
    _, _, finding = finding_of(
        world, {ROLE: [("secretsmanager:GetSecretValue", "*"), ("ssm:GetParameters", "*")]}
    )
    role = {c.name: c for c in finding.checks}["execution_role"]
    assert f"is not allowed kms:Decrypt on {key} (KMS key {key} of {secret}: implicitDeny)" in (
        role.detail or ""
    )


def test_a_parameter_in_another_region_is_read_there(world: World) -> None:
    """By ARN, a parameter may live in another region (specifying-sensitive-data.html): it is asked there,
    so it is not said to be missing."""
    west = world.session.client("ssm", region_name="us-west-2")
    west.put_parameter(Name="/shared/flag", Value="on", Type="String")
    arn = f"arn:aws:ssm:us-west-2:{ACCOUNT}:parameter/shared/flag"
    seed_secrets(world, [{"name": "FLAG", "valueFrom": arn}, {"name": "GONE", "valueFrom": "/prod/gone"}])
    _, _, finding = finding_of(world, {ROLE: [("*", "*")]})
    checks = {c.name: c.detail or "" for c in finding.checks}
    assert "/prod/gone" in checks["secret_exists"] and arn not in checks["secret_exists"]
    assert f"the parameter is in us-west-2, the task in {REGION}" in checks["secret_access"]


def test_a_secret_in_another_region_is_described_there(world: World) -> None:
    west = world.session.client("secretsmanager", region_name="eu-west-1")
    secret = west.create_secret(Name="shared/db", SecretString=VALUE)["ARN"]
    seed_secrets(world, [{"name": "DB", "valueFrom": secret + ":password::"}])
    _, _, finding = finding_of(world, {ROLE: [("*", "*")]})
    checks = {c.name: c.detail or "" for c in finding.checks}
    assert checks["secret_exists"].startswith("every referenced secret exists")
    assert f"the secret is in eu-west-1, the task in {REGION}" in checks["secret_access"]
    describe = next(r.command or "" for r in finding.remediations if "describe-secret" in (r.command or ""))
    assert describe == f"aws secretsmanager describe-secret --secret-id {secret} --region eu-west-1"


def test_a_parameter_of_another_account_is_not_called_missing(world: World) -> None:
    """DescribeParameters lists only the caller's own parameters: another account's is not read, and says so."""
    other = "arn:aws:ssm:us-east-1:444455556666:parameter/shared/db"
    seed_secrets(world, [{"name": "DB", "valueFrom": other}])
    _, called, finding = finding_of(world, {ROLE: [("*", "*")]})
    checks = {c.name: c for c in finding.checks}
    assert checks["secret_exists"].outcome != "confirms", "not read is not missing"
    assert f"the parameter {other} is in account 444455556666, the task in {ACCOUNT}: not read" in (
        checks["secret_access"].detail or ""
    )
    assert "DescribeParameters" not in called


def test_a_secret_that_never_had_a_value_is_named(world: World) -> None:
    """Created without a value, a secret has no version: DescribeSecret shows no VersionIdsToStages."""
    secret = world.session.client("secretsmanager").create_secret(Name="prod/empty")["ARN"]
    seed_secrets(world, [{"name": "DB", "valueFrom": secret}])
    _, _, finding = finding_of(world, {ROLE: [("*", "*")]})
    access = {c.name: c for c in finding.checks}["secret_access"]
    assert access.outcome == "confirms"
    assert (
        f"the secret {secret} has no version labelled AWSCURRENT, the version ECS reads by default (it has no "
        "version: it never had a value)" in (access.detail or "")
    )


def test_every_fact_of_the_secrets_check_names_a_call_the_diagnosis_made(world: World) -> None:
    """Each evidence item says which call read it: never one that was not made (another account's parameter
    is not asked), and a key's state is what kms:DescribeKey said, not DescribeSecret."""
    kms = world.session.client("kms")
    made = kms.create_key(Description="orders")["KeyMetadata"]
    kms.disable_key(KeyId=made["KeyId"])
    key = made["Arn"]
    sm = world.session.client("secretsmanager")
    secret = sm.create_secret(Name="prod/db", SecretString=VALUE, KmsKeyId=key)["ARN"]
    other = "arn:aws:ssm:us-east-1:444455556666:parameter/shared/db"
    references = [secret, other, "/prod/gone"]
    seed_secrets(world, [{"name": f"S{n}", "valueFrom": r} for n, r in enumerate(references)])
    _, called, finding = finding_of(world, {ROLE: [("*", "*")]})
    by_fact = {item.fact: item.source for item in finding.facts}
    assert by_fact["/prod/gone does not exist"] == "ssm:DescribeParameters"
    assert len(by_fact) >= 5
    for fact, source in by_fact.items():
        for read_by in source.split(", "):  # "ec2:DescribeRouteTables/DescribeVpcEndpoints": both
            for operation in read_by.split(":", 1)[1].split("/"):
                assert operation in called, f"{fact!r} names {read_by}, which was not called"
    [disabled] = [source for fact, source in by_fact.items() if "is Disabled" in fact]
    assert "kms:DescribeKey" in disabled.split(", ")
    [shared] = [source for fact, source in by_fact.items() if other in fact]
    assert shared == "ecs:DescribeTaskDefinition", "the reference is all that was read of it"


def test_references_beyond_what_a_diagnosis_reads_are_said_as_a_gap(world: World) -> None:
    """A diagnosis asks about at most MAX_SECRETS references: the others are named as not read, never
    silently dropped (nor called missing)."""
    ssm = world.session.client("ssm")
    names = [f"/prod/flag-{n}" for n in range(MAX_SECRETS + 2)]
    for name in names:
        ssm.put_parameter(Name=name, Value="on", Type="String")
    seed_secrets(world, [{"name": f"FLAG{n}", "valueFrom": name} for n, name in enumerate(names)])
    diagnosis, called, finding = finding_of(world, {ROLE: [("*", "*")]})
    assert called.count("DescribeParameters") == MAX_SECRETS
    unread = names[MAX_SECRETS:]
    [gap] = [g for g in diagnosis.gaps if all(name in g.what for name in unread)]
    assert f"at most {MAX_SECRETS}" in gap.reason
    assert not any(name in gap.what for name in names[:MAX_SECRETS])
    checks = {c.name: c.detail or "" for c in finding.checks}
    assert all(f"parameter {name} (not read" in checks["secret_access"] for name in unread)
    assert not checks["secret_exists"].startswith("every referenced secret exists"), "not all were read"
    assert f"(not read: {', '.join(unread)})" in checks["secret_exists"]
