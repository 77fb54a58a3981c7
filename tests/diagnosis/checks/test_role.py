"""role: the execution role simulated on exactly what the failing task's own start needs, and always named."""

from __future__ import annotations

import pytest

from diagnosis.checks.role import Permission, check_role, needed
from diagnosis.names import secret_names
from tests.builders.execution_role import (
    ACCOUNT,
    IMAGE,
    KEY,
    OLD_TD,
    OTHER_ROLE,
    PARAM,
    PARAM_NAME,
    REGION,
    REPOSITORY,
    ROLE,
    SECRET,
    SECRET_FULL,
    STREAM,
    definition,
    evidence,
)


def pairs(permissions: list[Permission]) -> set[tuple[str, str]]:
    return {(p.action, p.resource) for p in permissions}


def test_an_image_pull_needs_the_task_s_own_repository_and_nothing_else() -> None:
    assert pairs(needed(evidence(), "image_pull_auth")) == {
        ("ecr:GetAuthorizationToken", "*"),
        ("ecr:BatchGetImage", REPOSITORY),
        ("ecr:GetDownloadUrlForLayer", REPOSITORY),
    }


def test_secrets_need_their_full_arns_the_parameter_arn_and_the_customer_managed_key() -> None:
    assert pairs(needed(evidence(), "secrets_retrieval")) == {
        ("secretsmanager:GetSecretValue", SECRET_FULL),  # the ARN DescribeSecret read, suffix and all
        ("ssm:GetParameters", PARAM),  # a bare name becomes its ARN in the task's region and account
        ("kms:Decrypt", KEY),
    }


@pytest.mark.parametrize(("partition", "region"), [("aws-cn", "cn-north-1"), ("aws-us-gov", "us-gov-west-1")])
def test_a_parameter_named_without_its_arn_is_simulated_where_the_steps_simulate_it(
    partition: str, region: str
) -> None:
    """The check simulates the ARN the step's simulate-principal-policy names: one ARN, in the task's partition."""
    td = definition(arn=f"arn:{partition}:ecs:{region}:{ACCOUNT}:task-definition/ledger:12")
    simulated = {r for a, r in pairs(needed(evidence(td), "secrets_retrieval")) if a == "ssm:GetParameters"}
    in_steps = secret_names(PARAM_NAME, {"region": region, "account": ACCOUNT})["secret_arn"]
    assert (
        simulated == {in_steps} == {f"arn:{partition}:ssm:{region}:{ACCOUNT}:parameter/ledger/feature-flags"}
    )


def test_registry_credentials_and_log_secret_options_count_and_aws_managed_keys_do_not() -> None:
    credentials = f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:dockerhub-Qq1234"
    splunk = f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/ledger/splunk-token"
    td = definition(
        secrets=[],
        repositoryCredentials={"credentialsParameter": credentials},
        logConfiguration={
            "logDriver": "splunk",
            "secretOptions": [{"name": "splunk-token", "valueFrom": splunk}],
        },
    )
    custom_looking = "alias/ledger-secrets"
    ev = evidence(
        td,
        secrets={credentials: "exists", splunk: "exists"},
        secret_details={
            credentials: {"ARN": credentials, "KmsKeyId": custom_looking},
            splunk: {"KeyId": "alias/aws/ssm"},
        },
        kms_keys={custom_looking: {"Arn": KEY, "KeyManager": "AWS"}},  # DescribeKey says who manages it
    )
    assert pairs(needed(ev, "secrets_retrieval")) == {
        ("secretsmanager:GetSecretValue", credentials),
        ("ssm:GetParameters", splunk),
    }
    assert ("secretsmanager:GetSecretValue", credentials) in pairs(needed(ev, "image_pull_auth"))
    assert not any(p.action.startswith("ssm:") for p in needed(ev, "image_pull_auth"))


def test_a_log_driver_failure_needs_the_task_s_own_stream_in_the_log_s_region() -> None:
    td = definition()
    td["containerDefinitions"][0]["logConfiguration"]["options"]["awslogs-region"] = "eu-north-1"
    assert pairs(needed(evidence(td), "log_driver_init")) == {
        ("logs:CreateLogStream", STREAM.replace(REGION, "eu-north-1", 1)),
        ("logs:PutLogEvents", STREAM.replace(REGION, "eu-north-1", 1)),
    }


def test_a_denial_on_a_resource_the_task_does_not_use_confirms_nothing() -> None:
    """Before, any denied action of any candidate confirmed: here the role may not read someone else's
    parameter nor decrypt with another key, which the task never asks for."""
    simulation = {
        (ROLE, "secretsmanager:GetSecretValue", SECRET_FULL): "allowed",
        (ROLE, "ssm:GetParameters", PARAM): "allowed",
        (ROLE, "kms:Decrypt", KEY): "allowed",
        (ROLE, "ssm:GetParameters", f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/payroll/x"): "implicitDeny",
        (ROLE, "kms:Decrypt", KEY.replace("0b1c", "ffff")): "explicitDeny",
        (OTHER_ROLE, "secretsmanager:GetSecretValue", SECRET_FULL): "implicitDeny",
    }
    [result] = check_role(evidence(simulation=simulation), "secrets_retrieval")
    assert result.outcome == "refutes"
    assert "payroll" not in result.detail and "ffff" not in result.detail
    assert f"the execution role {ROLE} is allowed" in result.detail


@pytest.mark.parametrize("decision", ["implicitDeny", "explicitDeny"])
def test_a_denial_names_the_role_the_action_and_the_resource(decision: str) -> None:
    simulation = {
        (ROLE, "ecr:GetAuthorizationToken", "*"): "allowed",
        (ROLE, "ecr:BatchGetImage", REPOSITORY): decision,
        (ROLE, "ecr:GetDownloadUrlForLayer", REPOSITORY): "allowed",
    }
    [result] = check_role(evidence(simulation=simulation), "image_pull_auth")
    assert result.outcome == "confirms"
    assert f"the execution role {ROLE} is not allowed ecr:BatchGetImage on {REPOSITORY}" in result.detail
    assert f"image {IMAGE}" in result.detail and decision in result.detail
    assert [item.fact for item in result.evidence] == [result.detail.split("; ")[0]]
    assert result.names == {
        "execution_role_arn": ROLE,
        "execution_role": "ledger-exec",
        "role_name": "ledger-exec",
    }


def test_the_role_is_the_one_of_the_task_the_cause_explains() -> None:
    old = definition(role=OTHER_ROLE, arn=OLD_TD)
    ev = evidence()
    ev.task_definitions[OLD_TD] = old
    ev.tasks.append(
        {**ev.tasks[0], "taskArn": ev.tasks[0]["taskArn"][:-4] + "beef", "taskDefinitionArn": OLD_TD}
    )
    ev.explained = {"image_pull_auth": ["9f" * 14 + "beef"]}
    ev.simulation = {(OTHER_ROLE, "ecr:BatchGetImage", REPOSITORY): "implicitDeny"}
    [result] = check_role(ev, "image_pull_auth")
    assert result.names["execution_role_arn"] == OTHER_ROLE
    assert result.outcome == "confirms"


def test_without_a_simulation_the_role_and_the_actions_to_check_by_hand_are_named() -> None:
    [result] = check_role(evidence(), "log_driver_init")
    assert result.outcome == "inconclusive"
    assert f"check by hand that the execution role {ROLE} may" in result.detail
    assert f"logs:CreateLogStream, logs:PutLogEvents on {STREAM}" in result.detail
    assert result.names["role_name"] == "ledger-exec"  # the templates are filled all the same


def test_part_simulated_is_inconclusive_and_says_what_is_left() -> None:
    simulation = {(ROLE, "secretsmanager:GetSecretValue", SECRET_FULL): "allowed"}
    [result] = check_role(evidence(simulation=simulation), "secrets_retrieval")
    assert result.outcome == "inconclusive"
    assert f"is allowed secretsmanager:GetSecretValue on {SECRET_FULL}" in result.detail
    assert f"ssm:GetParameters on {PARAM}" in result.detail and f"kms:Decrypt on {KEY}" in result.detail


def test_kms_decrypt_is_judged_only_for_a_customer_managed_key_and_softly() -> None:
    allowed = {
        (ROLE, "secretsmanager:GetSecretValue", SECRET_FULL): "allowed",
        (ROLE, "ssm:GetParameters", PARAM): "allowed",
    }
    [soft] = check_role(
        evidence(simulation={**allowed, (ROLE, "kms:Decrypt", KEY): "implicitDeny"}), "secrets_retrieval"
    )
    assert (
        soft.outcome == "inconclusive"
    )  # the key policy may grant it: only the role's policies were simulated
    assert f"not allowed kms:Decrypt on {KEY}" in soft.detail and "key policy" in soft.detail
    [hard] = check_role(
        evidence(simulation={**allowed, (ROLE, "kms:Decrypt", KEY): "explicitDeny"}), "secrets_retrieval"
    )
    assert hard.outcome == "confirms"
    aws_managed = evidence(simulation=allowed, kms_keys={KEY: {"Arn": KEY, "KeyManager": "AWS"}})
    [result] = check_role(aws_managed, "secrets_retrieval")
    assert result.outcome == "refutes" and "kms:" not in result.detail


def test_a_missing_secret_is_not_simulated() -> None:
    ev = evidence(secrets={SECRET: "ResourceNotFoundException", PARAM_NAME: "exists"})
    assert "secretsmanager:GetSecretValue" not in {p.action for p in needed(ev, "secrets_retrieval")}


def test_no_execution_role_on_fargate_confirms_and_on_ec2_names_the_instance_role() -> None:
    [fargate] = check_role(evidence(definition(role=None)), "image_pull_auth")
    assert fargate.outcome == "confirms"
    assert "ledger:12 has no execution role, so nothing may" in fargate.detail
    assert f"ecr:BatchGetImage, ecr:GetDownloadUrlForLayer on {REPOSITORY}" in fargate.detail
    [ec2] = check_role(evidence(definition(role=None), launch="EC2"), "log_driver_init")
    assert ec2.outcome == "inconclusive"
    assert "the container instance role acts for it" in ec2.detail and "check by hand" in ec2.detail
    [secrets] = check_role(evidence(definition(role=None), launch="EC2"), "secrets_retrieval")
    assert secrets.outcome == "confirms"


def test_an_image_outside_ecr_gives_the_role_nothing_to_do() -> None:
    td = definition(image="ghcr.io/acme/ledger:4.2.0", secrets=[])
    [result] = check_role(evidence(td), "image_pull_auth")
    assert result.outcome == "inconclusive"
    assert "nothing to fetch" in result.detail and result.names["role_name"] == "ledger-exec"
