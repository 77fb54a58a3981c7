"""secrets: which secret, whether it exists, which role, which network path, which KMS key."""

from __future__ import annotations

import json
from typing import Any

import pytest

from diagnosis.checks.evidence import LiveEvidence
from diagnosis.checks.role import check_role
from diagnosis.checks.secrets import check_secret_access, customer_managed
from tests.builders.secrets_evidence import PARAM, ROLE, SECRET, TD, evidence, stopped_for


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        (None, False),
        ("alias/aws/ssm", False),
        ("arn:aws:kms:ca-central-1:121212121212:alias/aws/secretsmanager", False),
        ("arn:aws:kms:ca-central-1:121212121212:key/1a2b3c4d-0000-1111-2222-333344445555", True),
        ("alias/payroll", True),
    ],
)
def test_customer_managed(key: str | None, expected: bool) -> None:
    assert customer_managed(key) is expected


# The task's subnet reaches the internet through a NAT gateway, and the VPC has no endpoints (all read).
BEHIND_NAT: dict[str, Any] = {
    "subnets": [{"SubnetId": "subnet-0p", "VpcId": "vpc-9"}],
    "route_tables": [
        {
            "VpcId": "vpc-9",
            "Associations": [{"SubnetId": "subnet-0p"}],
            "Routes": [{"DestinationCidrBlock": "0.0.0.0/0", "NatGatewayId": "nat-0abc"}],
        }
    ],
    "network_read": True,
    "endpoints": [],
}


def test_states_role_kms_and_path() -> None:
    key = "arn:aws:kms:ca-central-1:121212121212:key/1a2b3c4d-0000-1111-2222-333344445555"
    ev = evidence(
        {SECRET: "exists", PARAM: "exists"},
        {SECRET: {"KmsKeyId": key}, PARAM: {"KeyId": "alias/aws/ssm"}},
        **BEHIND_NAT,
        kms_keys={key: {"Arn": key, "KeyManager": "CUSTOMER", "KeyState": "Enabled"}},
    )
    [result] = check_secret_access(ev, "secrets_retrieval")
    assert result.outcome == "inconclusive"
    assert f"the execution role {ROLE} fetches them" in result.detail
    assert (
        f"the secret {SECRET} exists, encrypted with the customer-managed KMS key {key}: the execution role "
        f"{ROLE} needs kms:Decrypt on it" in result.detail
    )
    assert f"the parameter {PARAM} exists, encrypted with the AWS managed key" in result.detail
    assert "subnet-0p reaches secretsmanager through the NAT gateway nat-0abc" in result.detail
    assert result.names["role_name"] == "payroll-exec"


def test_missing_secret_and_endpoint_path() -> None:
    ev = evidence(
        {SECRET: "ResourceNotFoundException", PARAM: "exists"},
        {},
        subnets=[{"SubnetId": "subnet-0q", "VpcId": "vpc-9"}],
        network_read=True,
        endpoints=[{"ServiceName": "com.amazonaws.ca-central-1.secretsmanager", "PrivateDnsEnabled": True}],
    )
    [result] = check_secret_access(ev, "secrets_retrieval")
    assert SECRET not in result.detail  # secret_exists states the missing one, once
    assert f"the parameter {PARAM} exists" in result.detail
    assert "subnet-0q reaches secretsmanager through its VPC endpoint" in result.detail


def test_scheduled_for_deletion_cannot_be_read() -> None:
    ev = evidence({SECRET: "exists", PARAM: "exists"}, {SECRET: {"DeletedDate": "2026-11-30T08:00:00Z"}})
    [result] = check_secret_access(ev, "secrets_retrieval")
    assert result.outcome == "confirms"
    assert "is scheduled for deletion (2026-11-30T08:00:00Z)" in result.detail


def test_no_execution_role() -> None:
    [result] = check_secret_access(evidence({}, {}, role=""), "secrets_retrieval")
    assert result.outcome == "confirms"
    assert "has no execution role" in result.detail


ALIAS = "alias/payroll-secrets"
KEY_ARN = "arn:aws:kms:ca-central-1:121212121212:key/9e8d7c6b-5a49-3827-1605-f4e3d2c1b0a9"


def test_describe_key_decides_who_manages_the_key() -> None:
    """The key's name does not say who manages it: kms:DescribeKey does (KeyManager)."""
    details = {SECRET: {"KmsKeyId": ALIAS}, PARAM: {"KeyId": KEY_ARN}}
    read = {
        ALIAS: {"Arn": KEY_ARN.replace("9e8d", "1111"), "KeyManager": "CUSTOMER", "KeyState": "Enabled"},
        KEY_ARN: {"Arn": KEY_ARN, "KeyManager": "AWS", "KeyState": "Enabled"},
    }
    [result] = check_secret_access(
        evidence({SECRET: "exists", PARAM: "exists"}, details, kms_keys=read), "secrets_retrieval"
    )
    customer = read[ALIAS]["Arn"]
    assert (
        f"the secret {SECRET} exists, encrypted with the customer-managed KMS key {ALIAS} ({customer})"
        in (result.detail)
    )
    assert f"the parameter {PARAM} exists, encrypted with the AWS managed key" in result.detail


@pytest.mark.parametrize(
    ("state", "phrase"), [("Disabled", "is Disabled"), ("PendingDeletion", "is PendingDeletion")]
)
def test_a_key_that_cannot_decrypt_confirms(state: str, phrase: str) -> None:
    read = {ALIAS: {"Arn": KEY_ARN, "KeyManager": "CUSTOMER", "KeyState": state}}
    ev = evidence({SECRET: "exists", PARAM: "exists"}, {SECRET: {"KmsKeyId": ALIAS}}, kms_keys=read)
    [result] = check_secret_access(ev, "secrets_retrieval")
    assert result.outcome == "confirms"
    assert f"the KMS key {ALIAS} ({KEY_ARN}) that encrypts the secret {SECRET} {phrase}" in result.detail


def test_a_key_that_does_not_exist_confirms_and_an_unread_one_is_said() -> None:
    details = {SECRET: {"KmsKeyId": ALIAS}}
    [gone] = check_secret_access(
        evidence({SECRET: "exists", PARAM: "exists"}, details, kms_keys={ALIAS: "NotFoundException"}),
        "secrets_retrieval",
    )
    assert (
        gone.outcome == "confirms"
        and f"the KMS key {ALIAS} that encrypts the secret {SECRET} does not exist" in (gone.detail)
    )
    [unread] = check_secret_access(
        evidence({SECRET: "exists", PARAM: "exists"}, details, kms_keys={ALIAS: "AccessDeniedException"}),
        "secrets_retrieval",
    )
    assert unread.outcome == "inconclusive"
    assert f"encrypted with the KMS key {ALIAS} (not described: AccessDeniedException)" in unread.detail


# --- what a reference asks of its secret (ARN:json-key:version-stage:version-id), and other accounts ------

VERSIONS = {"VersionIdsToStages": {"0f1e-v1": ["AWSCURRENT"], "9a8b-v0": ["AWSPREVIOUS"]}}


def with_reference(
    value_from: str, states: dict[str, str], details: dict[str, dict[str, object]]
) -> LiveEvidence:
    ev = evidence(states, details)
    ev.task_definitions[TD]["containerDefinitions"][0]["secrets"] = [{"name": "DB", "valueFrom": value_from}]
    return ev


@pytest.mark.parametrize(
    ("suffix", "said"),
    [
        (
            ":password:AWSPENDING:",
            f"the secret {SECRET} has no version labelled AWSPENDING, which {SECRET}:password:AWSPENDING: asks "
            "for (its versions carry AWSCURRENT, AWSPREVIOUS)",
        ),
    ],
)
def test_a_version_the_secret_lacks_confirms_and_names_the_reference(suffix: str, said: str) -> None:
    [result] = check_secret_access(
        with_reference(SECRET + suffix, {SECRET: "exists"}, {SECRET: VERSIONS}), "secrets_retrieval"
    )
    assert result.outcome == "confirms"
    assert said in result.detail
    assert result.names["secret"] == SECRET + suffix, "the steps look at the reference as written"


def test_a_version_id_no_label_marks_is_said_not_judged_missing() -> None:
    """DescribeSecret lists only labelled versions: an ID it does not list may be an unlabelled version."""
    reference = SECRET + "::AWSCURRENT:7c6d-unlabelled"
    [result] = check_secret_access(
        with_reference(reference, {SECRET: "exists"}, {SECRET: VERSIONS}), "secrets_retrieval"
    )
    assert result.outcome != "confirms", "an unlabelled version still exists: not proof it is missing"
    assert f"the secret {SECRET} has no labelled version 7c6d-unlabelled, which {reference} asks for" in (
        result.detail
    )
    assert result.names["secret"] == reference


def test_versions_that_exist_and_a_json_key_are_said_not_judged() -> None:
    [result] = check_secret_access(
        with_reference(SECRET + ":password:AWSPREVIOUS:", {SECRET: "exists"}, {SECRET: VERSIONS}),
        "secrets_retrieval",
    )
    assert result.outcome == "inconclusive"
    assert "has no version" not in result.detail
    assert "asks for the JSON key password of the secret's value, which is not read" in result.detail


OTHER = "arn:aws:secretsmanager:ca-central-1:444455556666:secret:shared/db-Zz9Yy8"


def test_a_secret_of_another_account_under_the_aws_managed_key_cannot_be_decrypted() -> None:
    [result] = check_secret_access(
        with_reference(OTHER, {OTHER: "exists"}, {OTHER: {"ARN": OTHER}}), "secrets_retrieval"
    )
    assert result.outcome == "confirms"
    assert (
        f"the secret {OTHER} is in account 444455556666, the task in 121212121212, and is encrypted with the AWS "
        "managed key, which no other account can decrypt with" in result.detail
    )


def test_a_secret_of_another_account_under_its_own_key_needs_both_policies() -> None:
    key = "arn:aws:kms:ca-central-1:444455556666:key/1a2b3c4d-0000-1111-2222-333344445555"
    read = {key: {"Arn": key, "KeyManager": "CUSTOMER", "KeyState": "Enabled"}}
    ev = with_reference(OTHER, {OTHER: "exists"}, {OTHER: {"KmsKeyId": key}})
    ev.kms_keys = read
    [result] = check_secret_access(ev, "secrets_retrieval")
    assert result.outcome == "inconclusive"
    assert (
        f"its resource policy must let the execution role read it, and the key policy of {key} let"
        in result.detail
    )


def test_an_unread_secret_of_another_account_says_where_it_is() -> None:
    [result] = check_secret_access(
        with_reference(OTHER, {OTHER: "AccessDeniedException"}, {}), "secrets_retrieval"
    )
    assert (
        f"the secret {OTHER} is in account 444455556666, the task in 121212121212 (not read: AccessDeniedException)"
        in result.detail
    )


@pytest.mark.parametrize(("decision", "granted"), [("implicitDeny", True), ("explicitDeny", False)])
def test_the_role_check_grants_what_no_policy_allows_and_not_what_one_denies(
    decision: str, granted: bool
) -> None:
    """An Allow does not undo an explicit Deny: only the implicitly denied pairs become the policy to add."""
    simulation = {
        (ROLE, "secretsmanager:GetSecretValue", SECRET): decision,
        (ROLE, "ssm:GetParameters", PARAM): "allowed",
    }
    ev = evidence({SECRET: "exists", PARAM: "exists"}, {}, simulation=simulation)
    [result] = check_role(ev, "secrets_retrieval")
    assert result.outcome == "confirms"
    assert (
        f"the execution role {ROLE} is not allowed secretsmanager:GetSecretValue on {SECRET}" in result.detail
    )
    policy = result.names.get("denied_policy", "")
    assert bool(policy) is granted
    if granted:
        assert json.loads(policy)["Statement"] == [
            {"Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": SECRET}
        ]


def test_a_described_secret_without_versions_has_no_current_value() -> None:
    ev = with_reference(SECRET, {SECRET: "exists"}, {SECRET: {"ARN": SECRET}})
    [result] = check_secret_access(ev, "secrets_retrieval")
    assert result.outcome == "confirms" and "has no version labelled AWSCURRENT" in result.detail
    undescribed = with_reference(SECRET, {SECRET: "exists"}, {})
    [result] = check_secret_access(undescribed, "secrets_retrieval")
    assert "AWSCURRENT" not in result.detail, "versions not read: nothing said of them"


def sources(result: object) -> dict[str, str]:
    return {item.fact: item.source for item in getattr(result, "evidence", ())}


def test_each_fact_names_the_call_that_read_it() -> None:
    """A key's state is kms:DescribeKey's answer (the key's name, DescribeSecret's); a route is the route
    table's; a reference nobody asked about was read only from its task definition."""
    read = {ALIAS: {"Arn": KEY_ARN, "KeyManager": "CUSTOMER", "KeyState": "Disabled"}}
    ev = evidence(
        {SECRET: "exists"},  # the parameter was not asked (a diagnosis asks about only so many)
        {SECRET: {"KmsKeyId": ALIAS}},
        kms_keys=read,
        **BEHIND_NAT,
    )
    [result] = check_secret_access(ev, "secrets_retrieval")
    said = sources(result)
    assert said[
        f"the KMS key {ALIAS} ({KEY_ARN}) that encrypts the secret {SECRET} is Disabled: it cannot decrypt"
    ] == ("secretsmanager:DescribeSecret, kms:DescribeKey")
    assert (
        said["subnet-0p reaches secretsmanager through the NAT gateway nat-0abc"] == "ec2:DescribeRouteTables"
    )
    assert said[f"parameter {PARAM} (not read)"] == "ecs:DescribeTaskDefinition"
    assert said[f"the execution role {ROLE} fetches them"] == "ecs:DescribeTaskDefinition"


def test_a_parameter_under_the_aws_managed_key_is_what_describe_parameters_said() -> None:
    ev = evidence(
        {SECRET: "ResourceNotFoundException", PARAM: "exists"},
        {PARAM: {"KeyId": "alias/aws/ssm"}},
        subnets=[{"SubnetId": "subnet-0q", "VpcId": "vpc-9"}],
        network_read=True,
        endpoints=[{"ServiceName": "com.amazonaws.ca-central-1.secretsmanager", "PrivateDnsEnabled": True}],
    )
    [result] = check_secret_access(ev, "secrets_retrieval")
    said = sources(result)
    assert (
        said[f"the parameter {PARAM} exists, encrypted with the AWS managed key"] == "ssm:DescribeParameters"
    )
    assert said["subnet-0q reaches secretsmanager through its VPC endpoint (private DNS)"] == (
        "ec2:DescribeVpcEndpoints"
    )


def test_a_json_key_several_references_ask_for_says_which_could_be_meant() -> None:
    reason = (
        "ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval "
        "failed: retrieved secret from Secrets Manager did not contain json key password"
    )
    other = SECRET.replace("payroll/db-AbC123", "payroll/api-Zx98Yw")
    [result] = check_secret_access(
        stopped_for(reason, PARAM, f"{SECRET}:password::", f"{other}:password::"), "secrets_retrieval"
    )
    assert (
        f"the stopped reason names the JSON key password but no secret: {SECRET}:password::, {other}:password:: "
        "ask for it" in result.detail
    )
    [alone] = check_secret_access(stopped_for(reason, PARAM, f"{SECRET}:password::"), "secrets_retrieval")
    assert "names the JSON key" not in alone.detail, "one reference asks for it: it is the one"
